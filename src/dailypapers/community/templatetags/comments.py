"""``{% discussion paper %}``: the comments under a paper, with forms for a signed-in user.

One query for the whole thread (``community.queries.get_discussion``), plus the moderator check for
a signed-in user; none when the paper has no shown comment (``Paper.local_comments``). Anonymous visitors get the thread and a link to log in: their pages are cached and
shared, so they hold no form and no CSRF token.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from dailypapers.accounts.permissions import is_moderator
from dailypapers.community.queries import Discussion, get_discussion
from dailypapers.papers.models import Paper

register = template.Library()


@register.inclusion_tag("community/_discussion.html", takes_context=True)
def discussion(context: template.Context, paper: Paper) -> dict:
    from dailypapers.community.views import login_url

    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    back = f"{paper.get_absolute_url()}#discussion"
    if paper.local_comments:
        discussion = get_discussion(
            paper.pk, user if signed_in else None, moderator=signed_in and is_moderator(user)
        )
    else:
        # No shown comment means nothing to show (a deleted or hidden comment stays only above
        # shown replies, which would be counted): most pages skip the query.
        discussion = Discussion(threads=[], count=0)
    return {
        "paper": paper,
        "discussion": discussion,
        "signed_in": signed_in,
        "create_url": reverse("comments.create", args=[paper.arxiv_id]),
        "login_url": f"{login_url()}?{urlencode({'next': back})}",
        "max_chars": settings.COMMENT_MAX_CHARS,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
