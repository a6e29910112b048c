/* Progressive enhancements; every page works without this file.
 *
 * - Renders LaTeX math ($...$, $$...$$, \(...\), \[...\]) in elements marked .js-math with the
 *   vendored KaTeX auto-render; math without delimiters (HF's "mathcal O(K^{2/3})") stays text.
 * - "Copy" buttons for the BibTeX entry (shown only when this script runs).
 * - Renders math again in cards that htmx appends ("Show more papers").
 */
(function () {
  "use strict";

  var MATH_OPTIONS = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false }
    ],
    throwOnError: false,
    ignoredClasses: ["katex"]
  };

  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") {
      return;
    }
    var nodes = root.querySelectorAll(".js-math:not([data-math-done])");
    for (var i = 0; i < nodes.length; i++) {
      try {
        window.renderMathInElement(nodes[i], MATH_OPTIONS);
      } catch (error) {
        // A malformed formula must not stop the rest of the page from rendering.
      }
      nodes[i].setAttribute("data-math-done", "");
    }
  }

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function setupCopyButtons(root) {
    var buttons = root.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      button.hidden = false;
      button.addEventListener("click", function (event) {
        var trigger = event.currentTarget;
        var source = document.getElementById(trigger.getAttribute("data-copy"));
        var status = trigger.parentNode.querySelector(".copy-status");
        if (!source) {
          return;
        }
        var text = source.textContent;
        function report(message) {
          if (status) {
            status.textContent = message;
          }
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { report("Copied to the clipboard."); },
            function () { selectText(source); report("Selected: press Ctrl+C (⌘C) to copy."); }
          );
        } else {
          // Plain http on a LAN address is not a secure context: select it for the user instead.
          selectText(source);
          report("Selected: press Ctrl+C (⌘C) to copy.");
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    setupCopyButtons(document);
  });
  document.addEventListener("htmx:after:settle", function () {
    renderMath(document);
  });
})();
