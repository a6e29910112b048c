/* Progressive enhancements; every page works without this file.
 *
 * - Renders LaTeX math ($...$, $$...$$, \(...\), \[...\]) in elements marked .js-math with the
 *   vendored KaTeX auto-render; math without delimiters (HF's "mathcal O(K^{2/3})") stays text.
 *   Titles and abstracts are written by anyone who can post to arXiv, so the formulas are hostile
 *   input: KaTeX's limits are set (see MATH_OPTIONS) and a formula that still comes out too big
 *   for its place is shown as its TeX source instead (see keepMathInBounds).
 * - "Copy" buttons for the BibTeX entry (shown only when this script runs).
 * - Renders math again in cards that htmx appends ("Show more papers").
 */
(function () {
  "use strict";

  // TeX's definition commands, each replaced by an undefined command, so a formula that defines a
  // macro fails to parse and stays text. Without definitions a formula's output grows with its
  // length only (no macro expanding to a thousand copies of a long body), and no real title or
  // abstract (17,270 formulas in ../shared/data) defines one.
  var NO_DEFINITIONS = {};
  [
    "\\def", "\\gdef", "\\edef", "\\xdef", "\\let", "\\futurelet", "\\global", "\\long",
    "\\newcommand", "\\renewcommand", "\\providecommand"
  ].forEach(function (name) {
    NO_DEFINITIONS[name] = "\\macroDefinitionsAreOff";
  });

  var MATH_OPTIONS = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false }
    ],
    // A formula KaTeX cannot parse stays as its source text, delimiters and all. (With
    // throwOnError: false KaTeX draws it in red through a style attribute, which the site's CSP
    // refuses with a console error.)
    throwOnError: true,
    errorCallback: function () {},
    ignoredClasses: ["katex"],
    // Every size a formula states (\rule, \kern, \hspace, \raisebox...) is capped at 3em; KaTeX's
    // default is no cap, so \rule{9999em}{9999em} drew a 160,000-pixel square. Real formulas
    // state at most 2em.
    maxSize: 3,
    // Macro expansions per formula (KaTeX's default is 1,000); real formulas need at most 20.
    maxExpand: 100,
    macros: NO_DEFINITIONS,
    // No \href, \url, \includegraphics or \html...: a formula can neither link nor style the page.
    trust: false,
    // Not-quite-LaTeX input (a % comment at the end, accented letters) renders without a console
    // warning per formula.
    strict: "ignore"
  };

  // Past these a rendered formula is put back as its TeX source (plain text, which wraps): taller
  // than MAX_MATH_HEIGHT_EM (the tallest real formula is under 5em), or, inline, drawing further
  // than MATH_SPILL_EM beyond the sides of the block it sits in (a negative \kern, or a formula too
  // long to break: KaTeX breaks lines only after relations and operators). Display math scrolls
  // sideways inside its own box instead (site.css).
  var MAX_MATH_HEIGHT_EM = 8;
  var MATH_SPILL_EM = 1;

  function enclosingBlock(element) {
    var block = element.parentElement;
    while (block.parentElement && window.getComputedStyle(block).display.indexOf("inline") === 0) {
      block = block.parentElement;
    }
    return block;
  }

  function isOutOfBounds(formula, em) {
    var box = formula.getBoundingClientRect();
    if (box.height > MAX_MATH_HEIGHT_EM * em) {
      return true;
    }
    if (formula.parentElement.classList.contains("katex-display")) {
      return false;
    }
    var limits = enclosingBlock(formula).getBoundingClientRect();
    var left = limits.left - MATH_SPILL_EM * em;
    var right = limits.right + MATH_SPILL_EM * em;
    if (box.left < left || box.right > right) {
      return true;
    }
    // Glyphs and rules can be moved outside the formula's own box (negative kerns); stretchy
    // parts are SVGs clipped by their wrappers, so only glyphs and rules are measured.
    var parts = formula.querySelectorAll(".katex-html span");
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      var drawn = part.classList.contains("rule") ||
        (part.firstChild !== null && part.firstChild.nodeType === Node.TEXT_NODE);
      if (drawn) {
        var rect = part.getBoundingClientRect();
        if (rect.width > 0 && (rect.left < left || rect.right > right)) {
          return true;
        }
      }
    }
    return false;
  }

  function showAsSource(formula) {
    var annotation = formula.querySelector("annotation");
    var display = formula.parentElement && formula.parentElement.classList.contains("katex-display");
    var delimiter = display ? "$$" : "$";
    var source = document.createElement("span");
    source.className = "math-source";
    source.textContent = delimiter + (annotation ? annotation.textContent : "") + delimiter;
    (display ? formula.parentElement : formula).replaceWith(source);
  }

  function keepMathInBounds(nodes) {
    // Every box is measured before any formula is replaced: one layout for the whole page.
    var oversized = [];
    for (var i = 0; i < nodes.length; i++) {
      var formulas = nodes[i].querySelectorAll(".katex");
      var em = parseFloat(window.getComputedStyle(nodes[i]).fontSize) || 16;
      for (var j = 0; j < formulas.length; j++) {
        if (isOutOfBounds(formulas[j], em)) {
          oversized.push(formulas[j]);
        }
      }
    }
    oversized.forEach(showAsSource);
  }

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
    keepMathInBounds(nodes);
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
