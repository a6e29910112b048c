"""The vote endpoint: ``POST /papers/<arxiv id>/vote`` with ``action=upvote`` or ``action=withdraw``.

One endpoint serves both kinds of client:

* without JavaScript the vote box is a plain form; the answer is a 303 back to the page it was on
  (``next``, checked to stay on this site), at the voted paper;
* with htmx (``HX-Request``) the answer is the new vote box, which htmx swaps in place of the old.

Anonymous users are sent to log in (``settings.LOGIN_URL``), and come back to the page afterwards;
htmx is told so with ``HX-Redirect``, since a redirect followed inside ``fetch`` would swap the
login page into the vote box. Votes are rate limited (``DAILYPAPERS_RATE_LIMITS``, action
``vote``); over the limit an htmx client gets the vote box with the message, a plain client the
429 page.

A duplicate that moderators merged into another paper takes no votes: the answer is a 303 to the
paper it was merged into, with a message saying the vote was not counted (htmx: ``HX-Redirect``
there). That holds whether the merge was done before the request or committed while the vote
waited for the paper's row (``services.votes.PaperMerged``).

The action names the state wanted rather than "toggle", so a double click or a resent form can
never undo the vote it repeats.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dailypapers.community.services.votes import (
    PaperMerged,
    PaperNotFound,
    upvote_paper,
    withdraw_upvote,
)
from dailypapers.community.templatetags.votes import vote_box_context
from dailypapers.papers.models import Paper
from dailypapers.ratelimit import rate_limited

ACTIONS = {"upvote": upvote_paper, "withdraw": withdraw_upvote}


def login_url() -> str:
    """The accounts app's login page (``settings.LOGIN_URL``, a URL name or a path)."""
    for candidate in (settings.LOGIN_URL, "login"):
        if candidate.startswith("/"):
            return candidate
        try:
            return reverse(candidate)
        except NoReverseMatch:
            continue
    return "/accounts/login/"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The page to go back to: ``next`` if it is a path on this site, else ``fallback``."""
    candidate = request.POST.get("next", "")
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _render_box(
    request: HttpRequest, paper: Paper, *, voted: bool, message: str = "", status: int = 200
) -> HttpResponse:
    context = vote_box_context(
        request,
        paper,
        voted=voted,
        wide=request.POST.get("box") == "wide",
        next_url=safe_next(request, paper.get_absolute_url()),
        message=message,
    )
    return render(request, "community/_vote_box.html", context, status=status)


def _htmx_rate_limit_box(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Over the limit, htmx gets the vote box with the message (htmx 4 swaps 4xx answers too)."""

    @wraps(view)
    def wrapper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
        response = view(request, arxiv_id)
        if response.status_code != 429 or not is_htmx(request):
            return response
        paper = Paper.objects.filter(arxiv_id=arxiv_id, hidden=False).first()
        if paper is None:
            return response
        voted = request.POST.get("action") == "withdraw"  # unchanged: the state it showed
        retry = response.get("Retry-After", "")
        box = _render_box(
            request,
            paper,
            voted=voted,
            message=f"Too many votes: try again in {retry} s." if retry else "Too many votes.",
            status=429,
        )
        if retry:
            box["Retry-After"] = retry
        return box

    return wrapper


def _redirect(request: HttpRequest, target: str, status: int = 303) -> HttpResponse:
    """Send the browser to ``target``; htmx gets ``HX-Redirect`` (a redirect followed inside
    ``fetch`` would swap the whole target page into the vote box)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target, status=status)


def _merged_answer(request: HttpRequest, arxiv_id: str, merged_into_id: int) -> HttpResponse:
    kept = Paper.objects.filter(pk=merged_into_id, hidden=False).only("pk", "arxiv_id").first()
    if kept is None:  # merged into a paper that was hidden since
        raise Http404(f"There is no paper {arxiv_id} here.")
    messages.warning(
        request,
        f"arXiv:{arxiv_id} was merged into arXiv:{kept.arxiv_id}, so your vote was not counted. "
        "Vote for it here.",
    )
    return _redirect(request, f"{kept.get_absolute_url()}#vote-{kept.pk}")


@require_POST
@_htmx_rate_limit_box
@rate_limited("vote")
def vote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = (
        Paper.objects.filter(arxiv_id=arxiv_id)
        .only("pk", "arxiv_id", "hidden", "merged_into_id")
        .first()
    )
    if paper is not None and paper.merged_into_id is not None:
        return _merged_answer(request, arxiv_id, paper.merged_into_id)
    if paper is None or paper.hidden:
        raise Http404(f"There is no paper {arxiv_id} here.")
    back = safe_next(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return _redirect(request, f"{login_url()}?{urlencode({'next': back})}", status=302)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponseBadRequest("action must be upvote or withdraw")
    try:
        result = action(request.user.pk, paper.pk)
    except PaperMerged as merged:  # merged while this vote waited for the paper's row
        return _merged_answer(request, arxiv_id, merged.merged_into_id)
    except PaperNotFound:
        raise Http404(f"There is no paper {arxiv_id} here.") from None
    if is_htmx(request):
        paper.upvotes = result.upvotes
        return _render_box(request, paper, voted=result.voted)
    return HttpResponseRedirect(f"{back}#vote-{paper.pk}", status=303)
