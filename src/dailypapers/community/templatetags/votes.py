"""``{% vote_box paper %}``: a paper's upvote count, as a vote form for a signed-in user.

Anonymous visitors get a link to log in (their pages are cached and shared, so they hold no form
and no CSRF token). Signed-in users get a form showing whether *they* voted: from
``voted_paper_ids`` in the context when the view computed it for the whole page (one query), else
one query for this paper.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.http import HttpRequest
from django.urls import reverse

from dailypapers.community.queries import has_voted
from dailypapers.papers.models import Paper

register = template.Library()


def vote_box_context(
    request: HttpRequest | None,
    paper: Paper,
    *,
    voted: bool,
    wide: bool,
    next_url: str,
    message: str = "",
) -> dict:
    from dailypapers.community.views import login_url

    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    return {
        "paper": paper,
        "signed_in": signed_in,
        "voted": voted and signed_in,
        "wide": wide,
        "next_url": next_url,
        "message": message,
        "vote_url": reverse("papers.vote", args=[paper.arxiv_id]),
        "login_url": f"{login_url()}?{urlencode({'next': next_url})}",
        "request": request,
    }


@register.inclusion_tag("community/_vote_box.html", takes_context=True)
def vote_box(context: template.Context, paper: Paper, wide: bool = False) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    voted = False
    if user is not None and user.is_authenticated:
        known = context.get("voted_paper_ids")
        voted = paper.pk in known if known is not None else has_voted(user, paper.pk)
    next_url = request.get_full_path() if request is not None else paper.get_absolute_url()
    result = vote_box_context(request, paper, voted=voted, wide=wide, next_url=next_url)
    result["csrf_token"] = context.get("csrf_token")
    return result
