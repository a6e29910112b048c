"""Papers as Hugging Face's JSON: the ``/api/daily_papers`` item and the ``/api/papers/{id}`` object.

Field names, nesting and key order follow huggingface.co's own responses (see the captures in
``shared/data/hf_daily_papers/raw``). Like Hugging Face, a key whose value we do not have is left
out rather than sent as ``null`` or ``""`` (no ``githubRepo`` when there is no repository), so a
client's ``.get("githubRepo")`` behaves the same against both sites. Lists that HF always sends
(``authors``) and counts (``upvotes``, ``numComments``) are always present.

Plain dict building, not pydantic: these run for every paper of every page on a cache miss, and
``schemas.py`` describes the same shapes for OpenAPI (a test validates one against the other).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dailypapers.papers.models import DailyEntry, Organization, Paper


def hf_datetime(value: dt.datetime | None) -> str | None:
    """``2026-06-25T00:00:00.000Z``: UTC, milliseconds, ``Z``, as Hugging Face writes dates."""
    if value is None:
        return None
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def submitted_moment(entry: DailyEntry) -> dt.datetime:
    """When the paper entered the daily feed; midnight UTC of its day when the time is unknown
    (which is also what Hugging Face's newer captures say: ``2026-06-30T00:00:00.000Z``)."""
    if entry.submitted_at is not None:
        return entry.submitted_at
    return dt.datetime.combine(entry.date, dt.time(0), tzinfo=dt.UTC)


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` only when there is something to say (HF omits absent fields)."""
    if value is None or value == "" or value == []:
        return
    target[key] = value


def organization_json(organization: Organization) -> dict[str, Any]:
    data: dict[str, Any] = {}
    _put(data, "_id", organization.hf_id)
    data["name"] = organization.name
    data["fullname"] = organization.fullname or organization.name
    _put(data, "avatar", organization.avatar_url)
    return data


def _submitter_json(entry: DailyEntry, *, inner: bool) -> dict[str, Any] | None:
    """``submittedBy`` (outer item) or ``submittedOnDailyBy`` (inner paper, which adds ``user``).

    Hugging Face also sends the user's ``_id``, ``isPro``, follower counts...; we know only the
    handle, the full name and the avatar, and send only those.
    """
    if not entry.submitter_name:
        return None
    data: dict[str, Any] = {}
    _put(data, "avatarUrl", entry.submitter_avatar_url)
    data["fullname"] = entry.submitter_fullname or entry.submitter_name
    if inner:
        data["user"] = entry.submitter_name
    data["type"] = "user"
    data["name"] = entry.submitter_name
    return data


def _authors_json(paper: Paper) -> list[dict[str, Any]]:
    # ``authorships`` is prefetched in byline order by the queries module: no query per paper.
    authors = []
    for authorship in paper.authorships.all():
        item: dict[str, Any] = {}
        _put(item, "_id", authorship.hf_id)
        item["name"] = authorship.author.name
        item["hidden"] = authorship.hidden
        authors.append(item)
    return authors


def _daily(paper: Paper) -> DailyEntry | None:
    try:
        return paper.daily
    except DailyEntry.DoesNotExist:
        return None


def paper_json(paper: Paper) -> dict[str, Any]:
    """The inner ``paper`` object of a daily item; also the body of ``/api/papers/{id}``."""
    entry = _daily(paper)
    data: dict[str, Any] = {"id": paper.arxiv_id, "authors": _authors_json(paper)}
    _put(data, "mediaUrls", list(entry.media_urls) if entry else None)
    _put(data, "publishedAt", hf_datetime(paper.published_at))
    if entry is not None:
        data["submittedOnDailyAt"] = hf_datetime(submitted_moment(entry))
    data["title"] = paper.title
    if entry is not None:
        _put(data, "submittedOnDailyBy", _submitter_json(entry, inner=True))
    data["summary"] = paper.abstract
    data["upvotes"] = paper.upvotes
    _put(data, "discussionId", paper.discussion_id)
    _put(data, "projectPage", paper.project_page)
    _put(data, "githubRepo", paper.github_repo)
    _put(data, "ai_summary", paper.ai_summary)
    _put(data, "ai_keywords", list(paper.ai_keywords or []))
    if paper.github_stars is not None and paper.github_repo:
        data["githubStars"] = paper.github_stars
    if paper.organization is not None:
        data["organization"] = organization_json(paper.organization)
    return data


def paper_info_json(paper: Paper) -> dict[str, Any]:
    """``/api/papers/{id}``: the paper object plus ``numComments``, which ``huggingface_hub``'s
    ``PaperInfo`` reads from the top level (it would otherwise report 0 comments)."""
    data = paper_json(paper)
    data["numComments"] = paper.comment_count
    return data


def daily_item_json(paper: Paper) -> dict[str, Any]:
    """One item of ``/api/daily_papers``: the paper wrapped with feed-level fields.

    The outer ``publishedAt`` is the moment the paper entered the daily feed. Hugging Face's older
    responses meant exactly that, and ``huggingface_hub`` reads it as ``submitted_at``; its newer
    responses put the arXiv date (shifted by a time zone) there instead. We keep the meaning the
    official client relies on.
    """
    entry = _daily(paper)
    data: dict[str, Any] = {"paper": paper_json(paper)}
    moment = submitted_moment(entry) if entry else paper.published_at
    _put(data, "publishedAt", hf_datetime(moment))
    data["title"] = paper.title
    data["summary"] = paper.abstract
    _put(data, "mediaUrls", list(entry.media_urls) if entry else None)
    _put(data, "thumbnail", paper.thumbnail_url)
    data["numComments"] = paper.comment_count
    if entry is not None:
        _put(data, "submittedBy", _submitter_json(entry, inner=False))
    if paper.organization is not None:
        data["organization"] = organization_json(paper.organization)
    data["isAuthorParticipating"] = False
    return data
