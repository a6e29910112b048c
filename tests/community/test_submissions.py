"""Submitting papers through the service: every rule, every refusal, and nothing half-saved.

The arXiv API is the recorded exchanges served by a local HTTP server (``arxiv_stub``); the
database is real. ``now`` is passed in, so the window is tested against the recordings' real dates.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.auth.models import Group, Permission

from dailypapers.accounts.permissions import is_moderator
from dailypapers.community.models import Submission
from dailypapers.community.services.submissions import (
    AccountNotAllowed,
    AlreadyOnFeed,
    DailyCapReached,
    InvalidLink,
    InvalidReference,
    OutsideWindow,
    RemovedPaper,
    UnknownPaper,
    UpstreamUnavailable,
    WithdrawnPaper,
    submit_paper,
)
from dailypapers.papers.models import DailyEntry, Organization, Paper
from tests.community.arxiv_stub import (
    HEAT_BATH,
    PUBLISHED,
    UNKNOWN,
    arxiv_fixture,  # noqa: F401 (the ``arxiv`` fixture)
    withdrawn_body,
)
from tests.community.conftest import make_user
from tests.conftest import Exchange
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

SOON = PUBLISHED[HEAT_BATH] + dt.timedelta(days=3)  # three days after 1605.08386 v1


def nothing_stored() -> bool:
    return not (
        Paper.objects.exists() or DailyEntry.objects.exists() or Submission.objects.exists()
    )


@pytest.fixture(autouse=True)
def default_rules(settings):
    settings.SUBMISSION_WINDOW_DAYS = 14
    settings.SUBMISSIONS_PER_DAY = 5
    settings.SUBMISSION_FETCH_TIMEOUT_SECONDS = 5


# --- Success --------------------------------------------------------------------------------------


def test_submitting_an_id_puts_the_arxiv_paper_on_the_feed_of_the_day_with_its_submitter(arxiv):
    ada = make_user("ada")

    result = submit_paper(ada.pk, HEAT_BATH, now=SOON)

    paper = Paper.objects.get(arxiv_id=HEAT_BATH)
    assert result.paper == paper and result.created_paper
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert [a.name for a in paper.authors.order_by("authorships__position")] == [
        "Caprice Stanley",
        "Tobias Windisch",
    ]
    assert paper.categories == ["math.CO", "math.ST"]
    assert paper.published_at == PUBLISHED[HEAT_BATH]
    entry = paper.daily
    assert entry.date == SOON.date()
    assert entry.submitter_name == "ada"
    assert entry.submitted_at == SOON
    submission = Submission.objects.get()
    assert (submission.user, submission.paper, submission.created) == (ada, paper, SOON)
    assert arxiv.asked_for == [HEAT_BATH]


@pytest.mark.parametrize(
    "reference",
    [
        "1605.08386",
        "1605.08386v1",
        " arXiv:1605.08386v3 ",
        "https://arxiv.org/abs/1605.08386",
        "http://arxiv.org/abs/1605.08386v2",
        "https://arxiv.org/pdf/1605.08386v1",
        "https://arxiv.org/pdf/1605.08386.pdf",
        "https://export.arxiv.org/abs/1605.08386",
        "arxiv.org/abs/1605.08386",
    ],
)
def test_every_form_of_id_and_url_names_the_same_paper(arxiv, reference):
    submit_paper(make_user().pk, reference, now=SOON)

    assert Paper.objects.get().arxiv_id == HEAT_BATH
    assert arxiv.asked_for == [HEAT_BATH]  # the latest version is asked for, without a version


@pytest.mark.parametrize(
    "reference", ["astro-ph/0601001", "https://arxiv.org/abs/quant-ph/0201082v1"]
)
def test_old_style_ids_are_submitted(arxiv, reference):
    arxiv_id = reference.removeprefix("https://arxiv.org/abs/").removesuffix("v1")
    now = PUBLISHED[arxiv_id] + dt.timedelta(days=1)

    result = submit_paper(make_user().pk, reference, now=now)

    assert result.paper.arxiv_id == arxiv_id
    assert result.paper.daily.date == now.date()
    assert arxiv.asked_for == [arxiv_id]


def test_links_and_organization_are_stored_on_the_paper_and_the_submission(arxiv):
    Organization.objects.create(name="MarkovLab", fullname="The Markov Lab")

    submit_paper(
        make_user().pk,
        HEAT_BATH,
        organization="markovlab",
        github_repo="https://www.github.com/cstanley/heat-bath.git",
        project_page="https://example.org/heat-bath?x=1#top",
        now=SOON,
    )

    paper = Paper.objects.get()
    assert paper.organization.name == "MarkovLab"  # the existing organization, not a new one
    assert Organization.objects.count() == 1
    assert paper.github_repo == "https://github.com/cstanley/heat-bath"
    assert paper.project_page == "https://example.org/heat-bath?x=1#top"
    submission = Submission.objects.get()
    assert submission.organization == "MarkovLab"
    assert submission.github_repo == "https://github.com/cstanley/heat-bath"


def test_a_github_page_inside_a_repository_is_stored_as_the_repository(arxiv):
    submit_paper(
        make_user().pk,
        HEAT_BATH,
        github_repo="http://github.com/cstanley/heat-bath/tree/main/src?tab=readme",
        now=SOON,
    )

    assert Paper.objects.get().github_repo == "https://github.com/cstanley/heat-bath"


def test_a_new_organization_handle_creates_the_organization(arxiv):
    submit_paper(make_user().pk, HEAT_BATH, organization="heat-bath_lab.2", now=SOON)

    assert Paper.objects.get().organization.name == "heat-bath_lab.2"


def test_a_paper_we_hold_but_not_on_the_feed_joins_the_feed_with_arxiv_metadata(arxiv):
    make_paper(
        arxiv_id=HEAT_BATH, title="Old HF title", day=None, github_repo="https://github.com/a/b"
    )

    result = submit_paper(
        make_user("ada").pk, HEAT_BATH, github_repo="https://github.com/c/d", now=SOON
    )

    paper = Paper.objects.get()
    assert not result.created_paper
    assert paper.title == "Heat-bath random walks with Markov bases"  # arXiv takes over from HF
    assert paper.daily.submitter_name == "ada"
    # The pipeline's rule: a link fills a blank, never replaces one (a moderator's edit survives).
    assert paper.github_repo == "https://github.com/a/b"
    assert Submission.objects.get().github_repo == "https://github.com/c/d"


def test_the_submitters_display_name_is_shown_on_the_feed_entry(arxiv):
    from dailypapers.accounts.services import profile_of, update_display_name

    ada = make_user("ada")
    profile_of(ada)
    update_display_name(ada, "Ada Lovelace")

    submit_paper(ada.pk, HEAT_BATH, now=SOON)

    assert Paper.objects.get().daily.submitter_fullname == "Ada Lovelace"


# --- Bad input: refused before any call to arXiv ----------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "   ",
        "abc",
        "2401.123",
        "1605.08386v",
        "https://example.org/abs/1605.08386",
        "https://arxiv.org/list/cs.LG/recent",
        "javascript:alert(1)//1605.08386",
        "<script>alert(1)</script>",
        "1605.08386\u202e",
        "1605.08386" + "x" * 1_000_000,
        "HEP-TH/9901001",
    ],
)
def test_what_is_not_an_arxiv_id_or_url_is_refused_without_asking_arxiv(arxiv, reference):
    with pytest.raises(InvalidReference) as refused:
        submit_paper(make_user().pk, reference, now=SOON)

    assert "arXiv id" in refused.value.message
    assert "<" not in refused.value.message and len(refused.value.message) < 300  # no echo
    assert arxiv.asked_for == []
    assert nothing_stored()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("github_repo", "javascript:alert(1)"),
        ("github_repo", "https://gitlab.com/owner/repo"),
        ("github_repo", "https://github.com/owner"),
        ("github_repo", "https://github.com/orgs/owner"),
        ("github_repo", "https://github.com.evil.example/owner/repo"),
        ("github_repo", "https://github.com@evil.example/owner/repo"),
        ("github_repo", "https://user:pw@github.com/owner/repo"),
        ("github_repo", "ftp://github.com/owner/repo"),
        ("github_repo", 'https://github.com/owner/repo"><script>alert(1)</script>'),
        ("github_repo", "https://github.com/own\u202eer/repo"),
        ("github_repo", "https://github.com:99999/owner/repo"),  # urlsplit cannot read the port
        ("project_page", "javascript:alert(document.cookie)"),
        ("project_page", "JAVASCRIPT:alert(1)"),
        ("project_page", "data:text/html,<script>alert(1)</script>"),
        ("project_page", "vbscript:msgbox"),
        ("project_page", "//example.org/page"),
        ("project_page", "example.org"),
        ("project_page", "https://example.org/" + "a" * 600),
        ("project_page", "https://exa mple.org/"),
        ("project_page", "https://example.org/\u202epage"),
        ("organization", "<img src=x onerror=alert(1)>"),
        ("organization", "Meta AI"),
        ("organization", "lab\u202e"),
        ("organization", "a" * 101),
        ("organization", "x" * 1_000_000),
    ],
)
def test_hostile_or_malformed_links_are_refused_naming_the_field(arxiv, field, value):
    with pytest.raises(InvalidLink) as refused:
        submit_paper(make_user().pk, HEAT_BATH, now=SOON, **{field: value})

    message = refused.value.message
    assert refused.value.field == field
    assert "<" not in message and "\u202e" not in message and len(message) < 300  # no echo
    assert arxiv.asked_for == []
    assert nothing_stored()
    assert not Organization.objects.exists()


def test_an_inactive_account_cannot_submit(arxiv):
    ada = make_user("ada")
    ada.is_active = False
    ada.save()

    with pytest.raises(AccountNotAllowed):
        submit_paper(ada.pk, HEAT_BATH, now=SOON)

    assert nothing_stored()


# --- Duplicates -------------------------------------------------------------------------------------


def test_a_paper_already_on_the_feed_is_refused_with_the_paper_to_link_to(arxiv):
    existing = make_paper(arxiv_id=HEAT_BATH, day=dt.date(2016, 5, 27), submitter="akhaliq")

    with pytest.raises(AlreadyOnFeed) as refused:
        submit_paper(make_user().pk, "https://arxiv.org/abs/1605.08386v1", now=SOON)

    assert refused.value.paper == existing
    assert refused.value.code == "duplicate" and refused.value.status == 409
    assert "already on the daily feed (since May 27, 2016)" in refused.value.message
    assert arxiv.asked_for == []
    assert DailyEntry.objects.get().submitter_name == "akhaliq"
    assert not Submission.objects.exists()


def test_the_second_submission_of_a_paper_is_a_duplicate(arxiv):
    submit_paper(make_user("ada").pk, HEAT_BATH, now=SOON)

    with pytest.raises(AlreadyOnFeed):
        submit_paper(make_user("bob").pk, "1605.08386v1", now=SOON + dt.timedelta(hours=1))

    assert Submission.objects.get().user.username == "ada"
    assert Paper.objects.get().daily.submitter_name == "ada"


def test_a_paper_moderators_hid_cannot_be_submitted_again(arxiv):
    paper = make_paper(arxiv_id=HEAT_BATH, day=None)
    Paper.objects.filter(pk=paper.pk).update(hidden=True)

    with pytest.raises(RemovedPaper) as refused:
        submit_paper(moderator_by_group().pk, HEAT_BATH, now=SOON)

    assert refused.value.status == 410 and "removed" in refused.value.message
    assert arxiv.asked_for == [] and not DailyEntry.objects.exists()


def test_a_duplicate_moderators_merged_is_refused_naming_the_paper_it_was_merged_into(arxiv):
    target = make_paper(arxiv_id="1707.08567")
    duplicate = make_paper(arxiv_id=HEAT_BATH, day=None)
    Paper.objects.filter(pk=duplicate.pk).update(merged_into=target, hidden=True)

    with pytest.raises(AlreadyOnFeed) as refused:
        submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert refused.value.paper == target
    assert refused.value.message == "arXiv:1605.08386 is already on this site as arXiv:1707.08567."
    assert arxiv.asked_for == []


# --- The window ---------------------------------------------------------------------------------------


def test_a_paper_older_than_the_window_is_refused_with_its_date(arxiv):
    late = PUBLISHED[HEAT_BATH] + dt.timedelta(days=14, hours=1)

    with pytest.raises(OutsideWindow) as refused:
        submit_paper(make_user().pk, HEAT_BATH, now=late)

    assert refused.value.message == (
        "arXiv:1605.08386 was first published on May 26, 2016: only papers from the last "
        "14 days can be submitted."
    )
    assert nothing_stored()


def test_a_paper_just_inside_the_window_is_accepted(arxiv):
    just = PUBLISHED[HEAT_BATH] + dt.timedelta(days=13, hours=23)

    submit_paper(make_user().pk, HEAT_BATH, now=just)

    assert Paper.objects.get().daily.date == just.date()


def test_the_window_is_configurable(arxiv, settings):
    late = PUBLISHED[HEAT_BATH] + dt.timedelta(days=20)
    settings.SUBMISSION_WINDOW_DAYS = 30

    submit_paper(make_user().pk, HEAT_BATH, now=late)

    settings.SUBMISSION_WINDOW_DAYS = 3
    with pytest.raises(OutsideWindow) as refused:
        submit_paper(make_user().pk, "1707.08567", now=PUBLISHED["1707.08567"] + dt.timedelta(4))
    assert "last 3 days" in refused.value.message


def test_a_window_of_zero_accepts_papers_of_any_age(arxiv, settings):
    settings.SUBMISSION_WINDOW_DAYS = 0

    submit_paper(make_user().pk, "quant-ph/0201082", now=dt.datetime(2026, 11, 29, tzinfo=dt.UTC))

    assert Paper.objects.get().arxiv_id == "quant-ph/0201082"


# --- The daily cap ------------------------------------------------------------------------------------

FIVE = ["1605.08386", "1707.08567", "2104.12255", "astro-ph/0601001", "quant-ph/0201082"]


def test_the_daily_cap_refuses_the_submission_after_the_last_allowed(arxiv, settings):
    settings.SUBMISSION_WINDOW_DAYS = 0
    settings.SUBMISSIONS_PER_DAY = 2
    ada = make_user("ada")
    noon = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)

    submit_paper(ada.pk, FIVE[0], now=noon)
    submit_paper(ada.pk, FIVE[1], now=noon + dt.timedelta(hours=1))
    with pytest.raises(DailyCapReached) as refused:
        submit_paper(ada.pk, FIVE[2], now=noon + dt.timedelta(hours=2))

    assert refused.value.message == (
        "You have submitted 2 papers today, the most allowed per day. "
        "You can submit again after midnight UTC."
    )
    assert refused.value.retry_after == 10 * 3600  # until midnight UTC
    assert not Paper.objects.filter(arxiv_id=FIVE[2]).exists()
    assert FIVE[2] not in arxiv.asked_for  # refused before calling arXiv
    # Another user has a cap of their own; the next day the count starts again.
    submit_paper(make_user("bob").pk, FIVE[2], now=noon + dt.timedelta(hours=2))
    submit_paper(ada.pk, FIVE[3], now=dt.datetime(2026, 11, 30, 0, 0, 1, tzinfo=dt.UTC))
    assert Submission.objects.filter(user=ada).count() == 3


def test_refused_submissions_do_not_count_towards_the_cap(arxiv, settings):
    settings.SUBMISSION_WINDOW_DAYS = 0
    settings.SUBMISSIONS_PER_DAY = 1
    ada = make_user("ada")
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)

    with pytest.raises(UnknownPaper):
        submit_paper(ada.pk, UNKNOWN, now=now)
    submit_paper(ada.pk, HEAT_BATH, now=now)

    assert Submission.objects.filter(user=ada).count() == 1


def test_a_cap_of_zero_means_no_cap(arxiv, settings):
    settings.SUBMISSION_WINDOW_DAYS = 0
    settings.SUBMISSIONS_PER_DAY = 0
    ada = make_user("ada")
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)

    for reference in FIVE:
        submit_paper(ada.pk, reference, now=now)

    assert Submission.objects.filter(user=ada).count() == 5


# --- Moderators ---------------------------------------------------------------------------------------


def moderator_by_group():
    user = make_user("mod")
    user.groups.add(Group.objects.get_or_create(name="Moderators")[0])
    return user


def moderator_by_permission():
    user = make_user("perm")
    # The permission the moderation models define (community migration 0003).
    user.user_permissions.add(
        Permission.objects.get(codename="moderate", content_type__app_label="community")
    )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached


def superuser():
    user = make_user("root")
    user.is_superuser = True
    user.save()
    return user


@pytest.mark.parametrize("make_moderator", [moderator_by_group, moderator_by_permission, superuser])
def test_moderators_are_exempt_from_the_window_and_the_cap(arxiv, settings, make_moderator):
    settings.SUBMISSIONS_PER_DAY = 1
    moderator = make_moderator()
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)  # years after every recorded paper

    for reference in FIVE[:3]:
        submit_paper(moderator.pk, reference, now=now)

    assert is_moderator(moderator)
    assert Submission.objects.filter(user=moderator).count() == 3


def test_ordinary_and_staff_users_are_not_moderators():
    staff = make_user("staff")
    staff.is_staff = True
    staff.save()
    other_group = make_user("member")
    other_group.groups.add(Group.objects.create(name="Readers"))

    assert not is_moderator(make_user("plain"))
    assert not is_moderator(staff)
    assert not is_moderator(other_group)
    assert not is_moderator(None)


def test_moderators_cannot_submit_withdrawn_or_duplicate_papers(arxiv, shared_data):
    moderator = moderator_by_group()
    arxiv.answers[HEAT_BATH] = Exchange(200, withdrawn_body(shared_data))

    with pytest.raises(WithdrawnPaper):
        submit_paper(moderator.pk, HEAT_BATH, now=SOON)
    make_paper(arxiv_id="1707.08567")
    with pytest.raises(AlreadyOnFeed):
        submit_paper(moderator.pk, "1707.08567", now=SOON)


# --- What arXiv says --------------------------------------------------------------------------------


def test_an_id_arxiv_does_not_know_is_refused(arxiv):
    with pytest.raises(UnknownPaper) as refused:
        submit_paper(make_user().pk, UNKNOWN, now=SOON)

    assert refused.value.message == (
        "arXiv has no paper with the id 0808.05394. Check the id and try again."
    )
    assert arxiv.asked_for == [UNKNOWN]
    assert nothing_stored()


def test_a_withdrawn_paper_is_refused(arxiv, shared_data):
    arxiv.answers[HEAT_BATH] = Exchange(200, withdrawn_body(shared_data))

    with pytest.raises(WithdrawnPaper) as refused:
        submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert "withdrawn" in refused.value.message
    assert nothing_stored()


def test_an_upstream_server_error_is_retried_once_then_refused_with_nothing_saved(arxiv):
    arxiv.answers[HEAT_BATH] = Exchange(500, b"Internal Server Error", "text/plain")

    with pytest.raises(UpstreamUnavailable) as refused:
        submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert "try again" in refused.value.message
    assert arxiv.asked_for == [HEAT_BATH, HEAT_BATH]
    assert nothing_stored()


def test_an_upstream_error_that_clears_on_the_retry_is_a_success(arxiv):
    recorded = arxiv.answers[HEAT_BATH]
    answers = iter([Exchange(503, b"busy", "text/plain", {"Retry-After": "0"}), recorded])
    arxiv.answers[HEAT_BATH] = lambda: next(answers)

    submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert Paper.objects.get().arxiv_id == HEAT_BATH


def test_a_long_retry_after_from_arxiv_is_not_waited_for_in_full(arxiv):
    recorded = arxiv.answers[HEAT_BATH]
    answers = iter([Exchange(503, b"busy", "text/plain", {"Retry-After": "120"}), recorded])
    arxiv.answers[HEAT_BATH] = lambda: next(answers)
    started = time.monotonic()

    submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert time.monotonic() - started < 10
    assert Paper.objects.get().arxiv_id == HEAT_BATH


def test_an_upstream_timeout_is_refused_with_nothing_saved(arxiv, settings):
    settings.SUBMISSION_FETCH_TIMEOUT_SECONDS = 0.3
    recorded = arxiv.answers[HEAT_BATH]

    def slow() -> Exchange:
        time.sleep(1.0)
        return recorded

    arxiv.answers[HEAT_BATH] = slow

    with pytest.raises(UpstreamUnavailable):
        submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry><id>http://arxiv",
        b"<html><body>Service temporarily unavailable</body></html>",
        b"",
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>not an id</id><title>x</title></entry></feed>",
        # An answer about another paper than the one asked for.
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>http://arxiv.org/abs/2104.12255v1</id>"
        b"<title>0</title><published>2016-05-26T00:00:00Z</published></entry></feed>",
    ],
)
def test_an_unreadable_answer_is_refused_with_nothing_saved(arxiv, body):
    arxiv.answers[HEAT_BATH] = Exchange(200, body)

    with pytest.raises(UpstreamUnavailable):
        submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert nothing_stored()


def test_an_arxiv_error_feed_is_refused_with_nothing_saved(arxiv, shared_data):
    import json

    recorded = json.loads(
        (
            shared_data / "arxiv/atom_api/recorded_2026_new_format/id_abc_s0_m100_b79c8dcf6bc3.json"
        ).read_text()
    )
    arxiv.answers[HEAT_BATH] = Exchange(recorded["status_code"], recorded["body"].encode())

    with pytest.raises(UpstreamUnavailable):
        submit_paper(make_user().pk, HEAT_BATH, now=SOON)

    assert nothing_stored()
