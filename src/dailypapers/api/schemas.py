"""OpenAPI descriptions of the Hugging Face-compatible responses and of our error body.

The views build their JSON with ``serializers.py`` (plain dicts, fast) and return it as is; these
schemas document those shapes in ``/api/openapi.json``. They forbid unknown keys, and the tests
validate real responses against them, so the documentation cannot drift from what is served.

Optional keys are typed without ``None``: such a key is either absent or holds a value, never
``null`` (Hugging Face's convention, kept by the serializers).

The parameter types at the end (``ArxivIdParam``...) document the formats the views accept, in
JSON Schema's regex dialect (``[0-9]``, never ``\\d``, which some engines read as any Unicode
digit). They only document: the views keep their own parsers and clearer messages, and
``tests/functional/test_api_fuzz.py`` (schemathesis) checks that schema and parsers agree.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, WithJsonSchema

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


# --- Parameter formats (documentation only; see the module docstring) ----------------------------

ARXIV_ID_REGEX = r"(?:[0-9]{4}\.[0-9]{4,5}|[a-z-]+(?:\.[A-Z]{2})?/[0-9]{7})(?:v[0-9]+)?"
# Years 0001..9999, as Python's calendar (and so the feed) knows them.
YEAR_REGEX = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"


def documented_string(**schema: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", **schema})


ArxivIdParam = Annotated[
    str,
    documented_string(
        pattern=f"^{ARXIV_ID_REGEX}$",
        description="An arXiv id: 2405.15738 or hep-th/9901001; a version (v2) is ignored.",
        example="2405.15738",
    ),
]
# An empty date, week or month is the same as none (as huggingface.co takes it).
DayParam = Annotated[
    str | None,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": 0},
                {
                    "type": "string",
                    "format": "date",
                    "pattern": f"^{YEAR_REGEX}-[0-9]{{2}}-[0-9]{{2}}$",
                },
            ]
        }
    ),
]
# Weeks 1..53: a week 53 only in the years that have one (the schema cannot say which).
WeekParam = Annotated[
    str | None,
    documented_string(pattern=f"^(?:{YEAR_REGEX}-W(?:0?[1-9]|[1-4][0-9]|5[0-3]))?$"),
]
MonthParam = Annotated[
    str | None, documented_string(pattern=f"^(?:{YEAR_REGEX}-(?:0?[1-9]|1[0-2]))?$")
]

# Spaces around a value, which the submission checks strip first.
SPACES = r"\s*"


def any_case(text: str) -> str:
    """``abs`` -> ``[aA][bB][sS]``: JSON Schema's regexes have no case-insensitive flag."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


# community.services.submissions.parse_reference: an id, optionally as an arxiv.org abs/pdf URL or
# with an arXiv: prefix, slashes and a .pdf suffix around it, spaces around all.
ARXIV_REFERENCE_REGEX = (
    f"^{SPACES}"
    f"(?:(?:{any_case('http')}[sS]?://)?(?:{any_case('www.')}|{any_case('export.')})?"
    f"{any_case('arxiv.org/')}(?:{any_case('abs')}|{any_case('pdf')})/)?"
    f"(?:{any_case('arxiv:')})?/*{ARXIV_ID_REGEX}/*(?:\\.pdf)?{SPACES}$"
)
ORGANIZATION_REGEX = f"^{SPACES}(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{{0,98}}[A-Za-z0-9])?)?{SPACES}$"
GITHUB_REPO_REGEX = (
    f"^{SPACES}(?:https?://(?:www\\.)?github\\.com(?::(?:80|443))?/[A-Za-z0-9][A-Za-z0-9-]{{0,38}}"
    f"/[A-Za-z0-9_-][A-Za-z0-9._-]{{0,99}}(?:/[A-Za-z0-9._~%/-]*)?)?{SPACES}$"
)
# A subset of what Django's URLValidator takes (the submission check): an http(s) URL of a domain
# name, printable ASCII after it (the check refuses invisible characters).
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PROJECT_PAGE_REGEX = (
    f"^{SPACES}(?:https?://(?:{_LABEL}\\.)+[A-Za-z]{{2,63}}(?::[0-9]{{1,5}})?(?:[/?#][!-~]*)?)?"
    f"{SPACES}$"
)
