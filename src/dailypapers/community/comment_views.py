"""The comment endpoints: post or reply, edit and delete your own, and a moderator's hide.

``POST /papers/<arxiv id>/comments``      post (``body``), or reply (``body`` and ``parent``)
``GET|POST /comments/<id>/edit``          the edit form; saving it (the author only)
``POST /comments/<id>/delete``            delete (the author only)
``POST /comments/<id>/hide``              ``action=hide`` or ``unhide`` (moderators only)

Plain HTML forms with CSRF tokens, so everything works without JavaScript; every answer that
changes something is a 303 back to the comment on the paper's page. A refused body (empty, too
long) is answered 400 with the form again, holding the text as it was sent, so nothing typed is
lost. Someone else's comment is 403; a comment or paper that is not shown is 404. Posting,
replying, editing and deleting all count against the ``comment`` rate limit, per member: over it
the answer is 429 with ``Retry-After`` (the form again with the text as sent, for a post or an
edit). GET never changes anything. The rules themselves live in ``community.services.comments``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.community.queries import get_comment
from dailypapers.community.services.comments import (
    CommentNotFound,
    CommentRefused,
    NotAllowed,
    delete_comment,
    edit_comment,
    post_comment,
    set_comments_hidden,
)
from dailypapers.community.views import login_url
from dailypapers.papers.models import Paper
from dailypapers.papers.queries import get_paper
from dailypapers.ratelimit import hit, rate_limit_message, rate_limited, user_or_client_key

ACTION = "comment"


def _at_comment(paper: Paper, comment_id: int | None) -> HttpResponseRedirect:
    anchor = f"#comment-{comment_id}" if comment_id else "#discussion"
    return HttpResponseRedirect(f"{paper.get_absolute_url()}{anchor}", status=303)


def _to_login(paper: Paper) -> HttpResponseRedirect:
    back = f"{paper.get_absolute_url()}#discussion"
    return HttpResponseRedirect(f"{login_url()}?{urlencode({'next': back})}")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "community/comment_refused.html", {"message": message}, status=403)


def _held_back(request: HttpRequest, context: dict) -> HttpResponse | None:
    """Over the comment limit: the form again, with the text as sent, 429; else None."""
    wait = hit(ACTION, user_or_client_key(request))
    if not wait:
        return None
    context = {**context, "error": rate_limit_message(ACTION, wait)}
    response = render(request, "community/comment_form.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _parent_id(request: HttpRequest) -> int | None:
    raw = request.POST.get("parent", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404("There is no such comment to reply to.")
    return int(raw)


@require_POST
def comment_create(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_paper(arxiv_id)
    if paper is None:
        raise Http404(f"There is no paper {arxiv_id} here.")
    if not request.user.is_authenticated:
        return _to_login(paper)
    body = request.POST.get("body", "")
    parent_id = _parent_id(request)
    context = {
        "paper": paper,
        "body": body,
        "parent_id": parent_id,
        "max_chars": settings.COMMENT_MAX_CHARS,
    }
    held_back = _held_back(request, context)
    if held_back is not None:
        return held_back
    try:
        comment = post_comment(request.user, paper.pk, body, parent_id=parent_id)
    except CommentNotFound:
        raise Http404("That paper or comment is not here any more.") from None
    except NotAllowed as refusal:
        return _forbidden(request, str(refusal))
    except CommentRefused as refusal:
        context.update(error=refusal.message)
        return render(request, "community/comment_form.html", context, status=400)
    return _at_comment(paper, comment.pk)


@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_comment(comment_id)
    if comment is None or comment.paper.hidden:
        raise Http404("There is no such comment.")
    if not request.user.is_authenticated:
        return _to_login(comment.paper)
    if comment.author_id != request.user.pk:
        return _forbidden(request, "You can only edit your own comments.")
    context = {
        "paper": comment.paper,
        "comment": comment,
        "body": comment.body,
        "max_chars": settings.COMMENT_MAX_CHARS,
    }
    if request.method == "GET":
        return render(request, "community/comment_form.html", context)
    body = request.POST.get("body", "")
    held_back = _held_back(request, {**context, "body": body})
    if held_back is not None:
        return held_back
    try:
        edit_comment(request.user, comment.pk, body)
    except CommentNotFound:
        raise Http404("There is no such comment.") from None
    except NotAllowed as refusal:
        return _forbidden(request, str(refusal))
    except CommentRefused as refusal:
        context.update(body=body, error=refusal.message)
        return render(request, "community/comment_form.html", context, status=400)
    return _at_comment(comment.paper, comment.pk)


@require_POST
@rate_limited(ACTION)
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_comment(comment_id)
    if comment is None:
        raise Http404("There is no such comment.")
    if not request.user.is_authenticated:
        return _to_login(comment.paper)
    try:
        delete_comment(request.user, comment.pk)
    except CommentNotFound:
        raise Http404("There is no such comment.") from None
    except NotAllowed as refusal:
        return _forbidden(request, str(refusal))
    return _at_comment(comment.paper, comment.pk)


@require_POST
def comment_hide(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_comment(comment_id)
    if comment is None:
        raise Http404("There is no such comment.")
    if not request.user.is_authenticated:
        return _to_login(comment.paper)
    action = request.POST.get("action", "hide")
    if action not in {"hide", "unhide"}:
        return render(
            request,
            "community/comment_refused.html",
            {"message": "action must be hide or unhide"},
            status=400,
        )
    try:
        set_comments_hidden(request.user, [comment.pk], action == "hide")
    except NotAllowed as refusal:
        return _forbidden(request, str(refusal))
    return _at_comment(comment.paper, comment.pk)
