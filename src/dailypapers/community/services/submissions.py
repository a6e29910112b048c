"""Submitting a paper to the daily feed: by arXiv id or URL, with the submitter's optional links.

``submit_paper`` is the one way in, for the ``/papers/submit`` page and ``POST /api/papers/submit``
alike. In order, and before anything is written:

1. the reference must be an arXiv id or an arxiv.org abs/pdf URL (new style ``2401.01234``, old
   style ``hep-th/9901001``, with or without a version); the links must be http(s), the GitHub one
   a github.com repository, the organization a handle;
2. the paper must not be on the feed already (the refusal names the paper, to link to it), nor
   hidden by moderators, nor a duplicate they merged into another (the refusal names that one);
3. the user must be under ``SUBMISSIONS_PER_DAY`` submissions this UTC day;
4. the arXiv API (``settings.ARXIV_API_URL``, through the ingestion's parser and ``PoliteClient``)
   must know the paper, and it must not be withdrawn;
5. its first version must be at most ``SUBMISSION_WINDOW_DAYS`` old.

Moderators (``accounts.permissions.is_moderator``) skip 3 and 5. Each refusal is a
``SubmissionRefused`` subclass with a message meant for the submitter and a ``code`` for API
clients. The paper then goes through the import pipeline (``ingest.pipeline``) with a daily-feed
entry for today, so its merge rules apply as to any import: the arXiv metadata takes over from a
Hugging Face-only record, the submitter's links fill what the paper lacks and never replace what a
moderator set. The import and the ``Submission`` row are one transaction: a failure stores neither.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from dailypapers.accounts.models import Profile
from dailypapers.accounts.permissions import is_moderator
from dailypapers.community.models import Submission
from dailypapers.ingest.http import PoliteClient, UpstreamError
from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import (
    DailyRecord,
    InvalidArxivId,
    OrganizationRecord,
    PaperRecord,
    parse_arxiv_id,
)
from dailypapers.ingest.sources.arxiv_atom import ArxivApiClient
from dailypapers.papers.models import DailyEntry, Organization, Paper

MAX_REFERENCE_LENGTH = 300
MAX_RETRY_PAUSE_SECONDS = 2.0
MAX_URL_LENGTH = 500  # the Paper and Submission URL columns
# Organization handles as Hugging Face spells them (``google``, ``facebook-research``, ``ai2``).
ORGANIZATION_HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
# The first path segment of github.com pages that are not owners.
GITHUB_NOT_OWNERS = frozenset(
    {"orgs", "topics", "search", "settings", "marketplace", "explore", "features", "login", "about"}
)
_url_validator = URLValidator(schemes=["http", "https"])
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})  # controls, formats (U+202E), spaces


# --- Refusals -------------------------------------------------------------------------------------


class SubmissionRefused(Exception):
    """A submission we do not take; ``message`` is written for the submitter."""

    code = "refused"
    status = 400  # the HTTP status the page and the API answer with
    field: str | None = None  # the form field at fault, when one is

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidReference(SubmissionRefused):
    code = "invalid_reference"
    field = "arxiv"


class InvalidLink(SubmissionRefused):
    code = "invalid_link"

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class AlreadyOnFeed(SubmissionRefused):
    code = "duplicate"
    status = 409
    field = "arxiv"

    def __init__(self, paper: Paper, on: dt.date | None, message: str = ""):
        when = f" (since {on:%b} {on.day}, {on.year})" if on else ""
        super().__init__(message or f"arXiv:{paper.arxiv_id} is already on the daily feed{when}.")
        self.paper = paper


class RemovedPaper(SubmissionRefused):
    code = "removed"
    status = 410
    field = "arxiv"

    def __init__(self, arxiv_id: str):
        super().__init__(
            f"arXiv:{arxiv_id} was removed from this site by its moderators, so it cannot be "
            "submitted again."
        )


class DailyCapReached(SubmissionRefused):
    code = "daily_cap"
    status = 429

    def __init__(self, cap: int, retry_after: int):
        papers = "paper" if cap == 1 else "papers"
        super().__init__(
            f"You have submitted {cap} {papers} today, the most allowed per day. "
            "You can submit again after midnight UTC."
        )
        self.retry_after = retry_after


class UnknownPaper(SubmissionRefused):
    code = "unknown_paper"
    status = 404
    field = "arxiv"

    def __init__(self, arxiv_id: str):
        super().__init__(f"arXiv has no paper with the id {arxiv_id}. Check the id and try again.")


class WithdrawnPaper(SubmissionRefused):
    code = "withdrawn"
    status = 422
    field = "arxiv"

    def __init__(self, arxiv_id: str):
        super().__init__(
            f"arXiv:{arxiv_id} has been withdrawn by its authors or arXiv, so it cannot be submitted."
        )


class OutsideWindow(SubmissionRefused):
    code = "too_old"
    status = 422
    field = "arxiv"

    def __init__(self, arxiv_id: str, published: dt.date, days: int):
        super().__init__(
            f"arXiv:{arxiv_id} was first published on {published:%b} {published.day}, "
            f"{published.year}: only papers from the last {days} days can be submitted."
        )


class UpstreamUnavailable(SubmissionRefused):
    code = "upstream_error"
    status = 502

    def __init__(self) -> None:
        super().__init__(
            "arXiv could not be reached or gave an answer we could not read, so nothing was "
            "submitted. Please try again in a few minutes."
        )


class AccountNotAllowed(SubmissionRefused):
    code = "not_allowed"
    status = 403

    def __init__(self) -> None:
        super().__init__("This account cannot submit papers.")


@dataclass(frozen=True)
class SubmissionResult:
    paper: Paper
    submission: Submission
    created_paper: bool  # the paper was new to this site (not only new to the feed)


# --- Input checks (also used by the form, to show each error beside its field) -------------------


def parse_reference(raw: str) -> str:
    """The arXiv id (no version) of an id or arxiv.org abs/pdf URL; ``InvalidReference`` else."""
    text = (raw or "").strip()
    if not text:
        raise InvalidReference("Give an arXiv id (such as 2401.01234) or an arxiv.org link.")
    if len(text) <= MAX_REFERENCE_LENGTH:
        try:
            return parse_arxiv_id(text)[0]
        except InvalidArxivId:
            pass
    raise InvalidReference(
        "That is not an arXiv id or link. Use an id such as 2401.01234 or hep-th/9901001, "
        "or a link such as https://arxiv.org/abs/2401.01234."
    )


def _check_url(raw: str, field: str, label: str) -> str:
    value = raw.strip()
    if len(value) > MAX_URL_LENGTH:
        raise InvalidLink(field, f"The {label} is too long (at most {MAX_URL_LENGTH} characters).")
    # Direction overrides and other invisible characters make a link read as something it is not.
    if any(unicodedata.category(char) in INVISIBLE for char in value):
        raise InvalidLink(field, f"The {label} must not hold spaces or invisible characters.")
    try:
        _url_validator(value)
    except ValidationError:
        raise InvalidLink(
            field, f"The {label} must be a full http:// or https:// address."
        ) from None
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:
        raise InvalidLink(field, f"The {label} must not hold a user name or password.")
    return value


def clean_project_page(raw: str) -> str:
    """An http(s) URL, or "" for none; ``InvalidLink`` for anything else."""
    if not (raw or "").strip():
        return ""
    return _check_url(raw, "project_page", "project page")


def clean_github_repo(raw: str) -> str:
    """``https://github.com/owner/repo`` for a github.com repository URL (any page of it), or ""."""
    if not (raw or "").strip():
        return ""
    value = _check_url(raw, "github_repo", "GitHub link")
    parts = urlsplit(value)
    segments = [s for s in parts.path.split("/") if s]
    owner, repo = (segments + ["", ""])[:2]
    repo = repo.removesuffix(".git")
    try:
        port = parts.port
    except ValueError:  # past 65535: URLValidator lets it through, urlsplit refuses to read it
        port = -1
    if (
        (parts.hostname or "").lower() not in GITHUB_HOSTS
        or port not in (None, 80, 443)
        or not GITHUB_OWNER.match(owner)
        or owner.lower() in GITHUB_NOT_OWNERS
        or not GITHUB_REPO.match(repo)
        or repo in {".", ".."}
    ):
        raise InvalidLink(
            "github_repo",
            "The GitHub link must be a repository on github.com, such as "
            "https://github.com/owner/repository.",
        )
    return f"https://github.com/{owner}/{repo}"


def clean_organization(raw: str) -> str:
    """An organization handle (the name in ``/organizations/<name>``), or ""."""
    value = (raw or "").strip()
    if not value:
        return ""
    if not ORGANIZATION_HANDLE.match(value):
        raise InvalidLink(
            "organization",
            "The organization must be a handle of letters, digits, '.', '-' or '_' "
            "(at most 100 characters), such as google or facebook-research.",
        )
    known = Organization.objects.filter(name__iexact=value).values_list("name", flat=True).first()
    return known or value


# --- The rules ------------------------------------------------------------------------------------


def feed_entry_of(arxiv_id: str) -> DailyEntry | None:
    return DailyEntry.objects.select_related("paper").filter(paper__arxiv_id=arxiv_id).first()


def _start_of_day(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def submissions_today(user_id: int, now: dt.datetime) -> int:
    return Submission.objects.filter(user_id=user_id, created__gte=_start_of_day(now)).count()


def _check_cap(user_id: int, now: dt.datetime) -> None:
    cap = settings.SUBMISSIONS_PER_DAY
    if cap and submissions_today(user_id, now) >= cap:
        tomorrow = _start_of_day(now) + dt.timedelta(days=1)
        raise DailyCapReached(cap, max(1, int((tomorrow - now).total_seconds())))


def _check_not_on_feed(arxiv_id: str) -> None:
    """Refuse a paper on the feed already, one moderators hid, and a duplicate they merged."""
    paper = Paper.objects.filter(arxiv_id=arxiv_id).select_related("merged_into").first()
    if paper is None:
        return
    # A merged duplicate is hidden too, and pointing at the paper it became helps more.
    if paper.merged_into is not None and not paper.merged_into.hidden:
        target = paper.merged_into
        raise AlreadyOnFeed(
            target, None, f"arXiv:{arxiv_id} is already on this site as arXiv:{target.arxiv_id}."
        )
    if paper.hidden:
        raise RemovedPaper(arxiv_id)
    entry = DailyEntry.objects.filter(paper=paper).first()
    if entry is not None:
        raise AlreadyOnFeed(paper, entry.date)


def fetch_arxiv_record(arxiv_id: str, client: PoliteClient | None = None) -> PaperRecord:
    """The paper as the arXiv API describes it now (its latest version; ``published_at`` is v1's).

    A person is waiting: one retry after at most ``MAX_RETRY_PAUSE_SECONDS``, and
    ``SUBMISSION_FETCH_TIMEOUT_SECONDS`` per try.
    """
    client = client or PoliteClient(
        delay=1.0,
        retries=1,
        timeout=settings.SUBMISSION_FETCH_TIMEOUT_SECONDS,
        # arXiv's Retry-After can be a minute: too long for a person (and a web worker) to wait.
        sleep=lambda seconds: time.sleep(min(seconds, MAX_RETRY_PAUSE_SECONDS)),
    )
    api = ArxivApiClient(base_url=settings.ARXIV_API_URL, client=client)
    try:
        page = api.fetch_page(id_list=[arxiv_id])
    except UpstreamError:  # ArxivApiError too: an error feed, a 4xx/5xx, unreadable XML
        raise UpstreamUnavailable() from None
    records = [item for item in page.items if isinstance(item, PaperRecord)]
    if len(records) != len(page.items):  # an entry the parser could not read
        raise UpstreamUnavailable()
    for record in records:
        if record.arxiv_id == arxiv_id:
            return record
    if records:  # an answer about some other paper: not one we can trust
        raise UpstreamUnavailable()
    raise UnknownPaper(arxiv_id)


def submit_paper(
    user_id: int,
    arxiv_ref: str,
    *,
    organization: str = "",
    github_repo: str = "",
    project_page: str = "",
    now: dt.datetime | None = None,
    client: PoliteClient | None = None,
) -> SubmissionResult:
    """Put the paper ``arxiv_ref`` names on today's feed for ``user_id``, or raise a refusal."""
    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        raise AccountNotAllowed()
    arxiv_id = parse_reference(arxiv_ref)
    organization = clean_organization(organization)
    github_repo = clean_github_repo(github_repo)
    project_page = clean_project_page(project_page)
    exempt = is_moderator(user)

    # Cheap checks first: no call to arXiv for a paper we would refuse anyway.
    _check_not_on_feed(arxiv_id)
    if not exempt:
        _check_cap(user.pk, now)

    record = fetch_arxiv_record(arxiv_id, client)
    if record.withdrawn:
        raise WithdrawnPaper(arxiv_id)
    window = settings.SUBMISSION_WINDOW_DAYS
    if not exempt and window:
        if record.published_at is None:
            raise UpstreamUnavailable()
        if record.published_at < now - dt.timedelta(days=window):
            raise OutsideWindow(arxiv_id, record.published_at.date(), window)

    display_name = Profile.objects.filter(user=user).values_list("display_name", flat=True).first()
    record.daily = DailyRecord(
        date=now.astimezone(dt.UTC).date(),
        submitted_at=now,
        submitter_name=user.get_username(),
        submitter_fullname=display_name or "",
    )
    record.github_repo = github_repo or None
    record.project_page = project_page or None
    record.organization = OrganizationRecord(name=organization) if organization else None
    record.origin = f"submitted by {user.get_username()}"

    with transaction.atomic():
        # The user's row lock makes one user's concurrent submissions take turns, so two cannot
        # both pass the cap; the rules are checked again inside the transaction for that reason.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        _check_not_on_feed(arxiv_id)
        if not exempt:
            _check_cap(user.pk, now)
        existed = Paper.objects.filter(arxiv_id=arxiv_id).exists()
        stats = import_records([record], batch_size=1)
        entry = feed_entry_of(arxiv_id)
        # Raising inside the block rolls the import back: nothing of this submission is kept.
        if stats.skipped or entry is None:
            # The pipeline refused the record: most likely another submission of the same paper
            # committed in between (its feed entry is unique).
            if entry is not None:
                raise AlreadyOnFeed(entry.paper, entry.date)
            raise UpstreamUnavailable()
        if entry.submitter_name != user.get_username() or entry.submitted_at != now:
            raise AlreadyOnFeed(entry.paper, entry.date)
        submission = Submission.objects.create(
            user=user,
            paper=entry.paper,
            created=now,
            organization=organization,
            github_repo=github_repo,
            project_page=project_page,
        )
    return SubmissionResult(paper=entry.paper, submission=submission, created_paper=not existed)
