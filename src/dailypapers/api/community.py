"""The write API: submit a paper, upvote one, withdraw the upvote. Personal API tokens only.

Every endpoint here needs ``Authorization: Bearer dp_...`` (``accounts.auth.TokenAuth``) and acts
for the token's owner, whatever the request body says: no parameter names a user. A session cookie
is not a credential here, so a cross-site form cannot use a visitor's login (no CSRF exposure);
such a request is answered 401 like any request without a token.

The views are thin: ``community.services.submissions.submit_paper`` and
``community.services.votes`` do the work, the same calls the web pages make. Refusals are JSON
``{"error": ..., "code": ...}`` with the refusal's status (a duplicate also names the paper on the
feed); abuse limits are the site's (``DAILYPAPERS_RATE_LIMITS``, actions ``submit`` and ``vote``),
answered 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from dailypapers.accounts.auth import TokenAuth
from dailypapers.api.responses import ApiError, encode, json_response
from dailypapers.api.schemas import (
    ARXIV_REFERENCE_REGEX,
    GITHUB_REPO_REGEX,
    ORGANIZATION_REGEX,
    PROJECT_PAGE_REGEX,
    ArxivIdParam,
    ErrorOut,
    RateLimitedOut,
    documented_string,
)
from dailypapers.community.services.submissions import (
    MAX_REFERENCE_LENGTH,
    MAX_URL_LENGTH,
    AlreadyOnFeed,
    DailyCapReached,
    SubmissionRefused,
    submit_paper,
)
from dailypapers.community.services.votes import (
    PaperMerged,
    PaperNotFound,
    upvote_paper,
    withdraw_upvote,
)
from dailypapers.papers.models import NEW_STYLE_ID, OLD_STYLE_ID, Paper
from dailypapers.papers.queries import visible_papers
from dailypapers.ratelimit import hit, too_many_requests

router = Router(tags=["Write (API token)"], auth=TokenAuth())


class SubmitIn(Schema):
    arxiv: Annotated[
        str,
        documented_string(
            minLength=1, maxLength=MAX_REFERENCE_LENGTH, pattern=ARXIV_REFERENCE_REGEX
        ),
    ] = Field(
        max_length=MAX_REFERENCE_LENGTH,
        description="An arXiv id (2401.01234, 2401.01234v2, hep-th/9901001) or an arxiv.org "
        "abs/pdf URL.",
        examples=["2401.01234"],
    )
    organization: Annotated[str, documented_string(maxLength=100, pattern=ORGANIZATION_REGEX)] = (
        Field("", max_length=100, description="Optional organization handle, such as google.")
    )
    github_repo: Annotated[
        str, documented_string(maxLength=MAX_URL_LENGTH, pattern=GITHUB_REPO_REGEX)
    ] = Field(
        "",
        max_length=MAX_URL_LENGTH,
        description="Optional https://github.com/owner/repository URL.",
    )
    project_page: Annotated[
        str, documented_string(maxLength=MAX_URL_LENGTH, pattern=PROJECT_PAGE_REGEX)
    ] = Field(
        "", max_length=MAX_URL_LENGTH, description="Optional http(s) URL of the project page."
    )


class PaperRefOut(Schema):
    id: str
    url: str


class SubmittedOut(Schema):
    id: str = Field(description="The paper's arXiv id, without version.")
    title: str
    url: str = Field(description="The paper's page on this site.")
    date: str = Field(description="The feed day the paper is on (YYYY-MM-DD, UTC).")
    submitter: str
    created: bool = Field(description="Whether the paper was new to this site.")


class VoteOut(Schema):
    id: str
    upvoted: bool = Field(description="Whether your upvote stands after the call.")
    changed: bool = Field(description="Whether this call added or removed your upvote.")
    upvotes: int = Field(description="The paper's count after the call (imported + local).")


class RefusalOut(Schema):
    error: str
    code: str = Field(
        description="duplicate, daily_cap, too_old, unknown_paper, withdrawn, removed, "
        "invalid_reference, invalid_link, upstream_error, not_allowed or merged."
    )
    param: str | None = Field(None, description="The body field at fault, when one is.")
    paper: PaperRefOut | None = Field(
        None,
        description="For a duplicate: the paper on the feed. For a merged paper: the paper it "
        "was merged into.",
    )


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _user(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _refusal(refusal: SubmissionRefused) -> HttpResponse:
    body: dict[str, Any] = {"error": refusal.message, "code": refusal.code}
    if refusal.field:
        body["param"] = refusal.field
    if isinstance(refusal, AlreadyOnFeed):
        paper = refusal.paper
        body["paper"] = {"id": paper.arxiv_id, "url": _absolute(paper.get_absolute_url())}
    response = json_response(encode(body), status=refusal.status)
    if isinstance(refusal, DailyCapReached):
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _limited(request: HttpRequest, action: str) -> HttpResponse | None:
    retry_after = hit(action, f"user:{_user(request).pk}")
    return too_many_requests(request, retry_after, action) if retry_after else None


@router.post(
    "/papers/submit",
    response={
        201: SubmittedOut,
        # RefusalOut for a refusal; ErrorOut when the body itself is not what the schema says.
        400: RefusalOut | ErrorOut,
        401: ErrorOut,
        403: RefusalOut,
        404: RefusalOut,
        409: RefusalOut,
        410: RefusalOut,
        422: RefusalOut,
        429: RefusalOut | RateLimitedOut,
        502: RefusalOut,
    },
    summary="Submit a paper to today's feed",
)
def submit(request: HttpRequest, body: SubmitIn) -> HttpResponse:
    """Fetch the paper's metadata from arXiv and put it on today's feed, submitted by you.

    The rules (each refusal says which): the paper must not be on the feed already (409, with the
    paper), arXiv must know it (404) and it must not be withdrawn (422); its first version must
    be recent (``DAILYPAPERS_SUBMISSION_WINDOW_DAYS``, 422) and you may submit
    ``DAILYPAPERS_SUBMISSIONS_PER_DAY`` papers a day (429 with ``Retry-After``); moderators are
    exempt from those two. If arXiv cannot be reached, 502 and nothing is stored."""
    limited = _limited(request, "submit")
    if limited:
        return limited
    try:
        result = submit_paper(
            _user(request).pk,
            body.arxiv,
            organization=body.organization,
            github_repo=body.github_repo,
            project_page=body.project_page,
        )
    except SubmissionRefused as refusal:
        return _refusal(refusal)
    paper = result.paper
    entry = paper.daily
    url = _absolute(paper.get_absolute_url())
    data = {
        "id": paper.arxiv_id,
        "title": paper.title,
        "url": url,
        "date": entry.date.isoformat(),
        "submitter": entry.submitter_name,
        "created": result.created_paper,
    }
    response = json_response(encode(data), status=201)
    response["Location"] = url
    return response


def _paper_for_vote(raw: str) -> Paper:
    for pattern in (NEW_STYLE_ID, OLD_STYLE_ID):
        match = pattern.match(raw)
        if match:
            arxiv_id = match.group("id")
            paper = (
                Paper.objects.filter(arxiv_id=arxiv_id)
                .only("pk", "arxiv_id", "hidden", "merged_into_id")
                .first()
            )
            if paper is not None and paper.merged_into_id is not None:
                raise PaperMerged(paper.pk, paper.merged_into_id)
            if paper is None or paper.hidden:
                raise ApiError(404, f"paper {arxiv_id} not found")
            return paper
    raise ApiError(400, "id must be an arXiv id such as 2405.15738 or hep-th/9901001", "arxiv_id")


def _merged(arxiv_id: str, merged: PaperMerged) -> HttpResponse:
    """410: the paper is a merged duplicate; the body names the paper to vote for instead."""
    kept = visible_papers().filter(pk=merged.merged_into_id).only("pk", "arxiv_id").first()
    if kept is None:
        raise ApiError(404, f"paper {arxiv_id} not found")
    body = {
        "error": f"paper {arxiv_id} was merged into {kept.arxiv_id}: vote for that one "
        "(this vote was not counted)",
        "code": "merged",
        "paper": {"id": kept.arxiv_id, "url": _absolute(kept.get_absolute_url())},
    }
    return json_response(encode(body), status=410)


def _vote(request: HttpRequest, arxiv_id: str, upvote: bool) -> HttpResponse:
    try:
        paper = _paper_for_vote(arxiv_id)
    except PaperMerged as merged:
        return _merged(arxiv_id, merged)
    limited = _limited(request, "vote")
    if limited:
        return limited
    action = upvote_paper if upvote else withdraw_upvote
    try:
        result = action(_user(request).pk, paper.pk)
    except PaperMerged as merged:  # merged while this vote waited for the paper's row
        return _merged(paper.arxiv_id, merged)
    except PaperNotFound:
        raise ApiError(404, f"paper {paper.arxiv_id} not found") from None
    data = {
        "id": paper.arxiv_id,
        "upvoted": result.voted,
        "changed": result.changed,
        "upvotes": result.upvotes,
    }
    return json_response(encode(data))


VOTE_RESPONSES: dict[int, Any] = {
    200: VoteOut,
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    410: RefusalOut,
    429: RateLimitedOut,
}


@router.post("/papers/{path:arxiv_id}/upvote", response=VOTE_RESPONSES, summary="Upvote a paper")
def upvote(request: HttpRequest, arxiv_id: ArxivIdParam) -> HttpResponse:
    """Add your upvote. Upvoting a paper you already upvoted changes nothing (``changed``: false).

    A duplicate that moderators merged into another paper takes no votes: 410 with ``code``
    ``merged`` and, in ``paper``, the paper to vote for instead."""
    return _vote(request, arxiv_id, True)


@router.delete(
    "/papers/{path:arxiv_id}/upvote", response=VOTE_RESPONSES, summary="Withdraw your upvote"
)
def unvote(request: HttpRequest, arxiv_id: ArxivIdParam) -> HttpResponse:
    """Remove your upvote. Removing an upvote you did not give is not an error (``changed``: false).

    A merged duplicate answers 410 (``code`` ``merged``): its votes moved to the kept paper."""
    return _vote(request, arxiv_id, False)
