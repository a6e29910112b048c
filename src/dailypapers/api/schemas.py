"""OpenAPI descriptions of the Hugging Face-compatible responses and of our error body.

The views build their JSON with ``serializers.py`` (plain dicts, fast) and return it as is; these
schemas document those shapes in ``/api/openapi.json``. They forbid unknown keys, and the tests
validate real responses against them, so the documentation cannot drift from what is served.

Optional keys are typed without ``None``: such a key is either absent or holds a value, never
``null`` (Hugging Face's convention, kept by the serializers).
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

HF_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


def _omitted(description: str | None = None, **kwargs: Any) -> Any:
    """An optional key: absent from the JSON when there is no value (the default is never sent)."""
    return Field(default=None, description=description, **kwargs)


def _when(description: str) -> Any:
    return _omitted(
        description,
        pattern=HF_DATETIME,
        json_schema_extra={"format": "date-time", "example": "2026-06-25T00:00:00.000Z"},
    )


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AuthorOut(_Strict):
    id: str = _omitted("Hugging Face's author id, when imported.", alias="_id")
    name: str
    hidden: bool


class OrganizationOut(_Strict):
    id: str = _omitted("Hugging Face's organization id.", alias="_id")
    name: str = Field(description="Short handle.")
    fullname: str
    avatar: str = _omitted("Avatar image URL.")


class SubmitterOut(_Strict):
    """``submittedBy`` of a daily item: who put the paper in the daily feed."""

    avatarUrl: str = _omitted()
    fullname: str
    type: Literal["user"]
    name: str = Field(description="The submitter's handle (the ``submitter`` filter).")


class DailySubmitterOut(SubmitterOut):
    """``submittedOnDailyBy`` of a paper: as ``submittedBy``, plus ``user`` (the same handle)."""

    user: str


class PaperOut(_Strict):
    """A paper: the ``paper`` of a daily item. Keys without a value are omitted."""

    id: str = Field(description="arXiv id without version: 2405.15738 or hep-th/9901001.")
    authors: list[AuthorOut] = Field(description="In byline order.")
    mediaUrls: list[str] = _omitted()
    publishedAt: str = _when("arXiv publication date (v1).")
    submittedOnDailyAt: str = _when("When the paper entered the daily feed.")
    title: str
    submittedOnDailyBy: DailySubmitterOut = _omitted()
    summary: str = Field(description="The abstract.")
    upvotes: int = Field(description="Imported upvotes plus votes cast on this site.")
    discussionId: str = _omitted()
    projectPage: str = _omitted()
    githubRepo: str = _omitted()
    ai_summary: str = _omitted()
    ai_keywords: list[str] = _omitted()
    githubStars: int = _omitted("Present only with githubRepo.")
    organization: OrganizationOut = _omitted()


class PaperInfoOut(PaperOut):
    """``/api/papers/{id}``: the paper object, plus its comment count."""

    numComments: int


class DailyPaperOut(_Strict):
    """One item of ``/api/daily_papers``."""

    paper: PaperOut
    publishedAt: str = _when(
        "When the paper entered the daily feed (huggingface_hub reads it as submitted_at)."
    )
    title: str
    summary: str
    mediaUrls: list[str] = _omitted()
    thumbnail: str = _omitted()
    numComments: int
    submittedBy: SubmitterOut = _omitted()
    organization: OrganizationOut = _omitted()
    isAuthorParticipating: bool = Field(
        description="Always false: authors cannot claim papers yet."
    )


class ErrorOut(_Strict):
    """Every error: ``error`` says what is wrong; ``param`` names the query parameter at fault."""

    error: str
    param: str = _omitted()
    detail: list[dict[str, Any]] = _omitted(
        "pydantic's validation errors, when the framework found them."
    )


class RateLimitedOut(_Strict):
    """429: too many requests of one kind from one client (``DAILYPAPERS_RATE_LIMITS``)."""

    error: str = Field(description="What was counted and how long to wait, in words.")
    retry_after: int = Field(description="Seconds to wait, as the Retry-After header says.")
