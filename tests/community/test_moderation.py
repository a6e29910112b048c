"""Moderation: hidden papers leave every read path, suspended accounts are shut out, duplicates merge,
and the moderator role works the admin without superuser powers. Through the HTTP client."""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from dailypapers.accounts.permissions import is_moderator
from dailypapers.accounts.services import create_api_token, user_for_api_token
from dailypapers.community.models import Comment, Submission, TrendingScore, Vote
from dailypapers.community.services.comments import post_comment
from dailypapers.community.services.moderation import (
    MergeRefused,
    SuspensionRefused,
    merge_papers,
    set_papers_hidden,
    suspend_users,
    unsuspend_users,
)
from dailypapers.community.services.votes import upvote_paper
from dailypapers.papers.models import DailyEntry, Paper
from tests.accounts.conftest import PASSWORD
from tests.accounts.conftest import make_user as make_account
from tests.community.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 14)


def make_moderator(name: str = "mod"):
    user = make_user(name)
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Moderators"))
    return get_user_model().objects.get(pk=user.pk)


def make_superuser(name: str = "root"):
    return get_user_model().objects.create_superuser(name, f"{name}@example.org", PASSWORD)


# -- hidden papers ----------------------------------------------------------------------------


@pytest.fixture
def hidden_and_shown():
    """Two papers by the same author and organization on the same day; the first is hidden."""
    common = {"authors": ["Grace Hopper"], "organization": "navylab", "day": DAY}
    hidden = make_paper(title="Hidden spam paper", upvotes=500, **common)
    shown = make_paper(title="Honest paper", upvotes=5, **common)
    for paper in (hidden, shown):
        TrendingScore.objects.create(paper=paper, score=10.0, computed_at=timezone.now())
    assert set_papers_hidden([hidden.pk], True) == 1
    return hidden, shown


READ_PATHS = [
    "/papers",
    "/papers/date/2025-03-14",
    "/papers/week/2025-W11",
    "/papers/month/2025-03",
    "/papers/trending",
    "/authors/Grace Hopper",
    "/organizations/navylab",
    "/api/daily_papers",
    "/api/daily_papers?date=2025-03-14",
    "/api/daily_papers?date=2025-03-14&sort=trending",
    "/api/papers",
]
FEED_PATHS = [
    "/feeds/daily.rss",
    "/feeds/weekly.atom",
    "/feeds/monthly.rss",
    "/feeds/trending.atom",
    "/feeds/authors/Grace Hopper.rss",
    "/feeds/organizations/navylab.atom",
]


@pytest.mark.parametrize("path", READ_PATHS)
def test_a_hidden_paper_is_absent_from_pages_and_the_api(client, hidden_and_shown, path):
    hidden, shown = hidden_and_shown

    response = client.get(path)

    body = response.content.decode()
    assert response.status_code == 200, body[:300]
    assert shown.arxiv_id in body
    assert hidden.arxiv_id not in body and "Hidden spam paper" not in body


@pytest.mark.parametrize("path", FEED_PATHS)
def test_a_hidden_paper_is_absent_from_rss_and_atom(client, hidden_and_shown, path):
    hidden, shown = hidden_and_shown

    parsed = feedparser.parse(client.get(path).content)

    links = [entry.link for entry in parsed.entries]
    assert not parsed.bozo
    assert any(link.endswith(f"/papers/{shown.arxiv_id}") for link in links)
    assert not any(hidden.arxiv_id in link for link in links)


def test_a_hidden_papers_page_and_api_answer_404(client, hidden_and_shown):
    hidden, _ = hidden_and_shown

    assert client.get(f"/papers/{hidden.arxiv_id}").status_code == 404
    assert client.get(f"/api/papers/{hidden.arxiv_id}").status_code == 404


def test_a_hidden_paper_takes_no_votes_or_comments(client, hidden_and_shown):
    hidden, _ = hidden_and_shown
    client.force_login(make_user())

    assert client.post(f"/papers/{hidden.arxiv_id}/vote", {"action": "upvote"}).status_code == 404
    assert client.post(f"/papers/{hidden.arxiv_id}/comments", {"body": "hi"}).status_code == 404
    assert not Vote.objects.filter(paper=hidden).exists()
    assert not Comment.objects.exists()


def test_a_hidden_paper_does_not_take_a_rank_badge(client, hidden_and_shown):
    _, shown = hidden_and_shown

    html = client.get(f"/papers/{shown.arxiv_id}").content.decode()

    assert "#1 Paper of the day" in html


def test_a_hidden_paper_leaves_the_profile_lists(client, hidden_and_shown):
    hidden, shown = hidden_and_shown
    ada = make_user("ada")
    Vote.objects.create(user=ada, paper=hidden)
    Vote.objects.create(user=ada, paper=shown)

    html = client.get("/users/ada").content.decode()

    assert shown.arxiv_id in html and hidden.arxiv_id not in html


def test_a_day_of_hidden_papers_only_is_not_the_latest_day(client):
    older = make_paper(day=dt.date(2025, 3, 13), title="Yesterday's paper")
    newest = make_paper(day=DAY, title="Today's only paper")
    set_papers_hidden([newest.pk], True)

    html = client.get("/papers").content.decode()

    assert older.arxiv_id in html and newest.arxiv_id not in html


def test_unhiding_brings_the_paper_back(client, hidden_and_shown):
    hidden, _ = hidden_and_shown

    assert set_papers_hidden([hidden.pk], False) == 1

    assert client.get(f"/papers/{hidden.arxiv_id}").status_code == 200
    assert hidden.arxiv_id in client.get("/papers/date/2025-03-14").content.decode()


def test_a_reimport_does_not_unhide_or_duplicate_a_hidden_paper(hidden_and_shown):
    hidden, _ = hidden_and_shown

    make_paper(arxiv_id=hidden.arxiv_id, title="Hidden spam paper, re-imported", day=DAY)

    assert Paper.objects.filter(arxiv_id=hidden.arxiv_id).count() == 1
    assert Paper.objects.get(arxiv_id=hidden.arxiv_id).hidden


# -- suspended accounts -----------------------------------------------------------------------


def test_a_suspended_user_cannot_log_in_and_is_told_why(client):
    make_account("ada")
    suspend_users(make_moderator(), [get_user_model().objects.get(username="ada").pk])

    response = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 200  # the form again, with the reason
    assert "suspended" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_suspending_ends_the_users_open_sessions(client):
    ada = make_account("ada")
    other = Client()
    other.force_login(make_account("bob"))
    client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert client.get("/accounts/settings").status_code == 200

    suspend_users(make_moderator(), [ada.pk])

    assert client.get("/accounts/settings").status_code == 302  # sent to log in
    assert Session.objects.count() == 1  # bob's session is untouched
    assert other.get("/accounts/settings").status_code == 200


def test_a_suspended_users_api_token_is_refused():
    ada = make_account("ada")
    _, secret = create_api_token(ada, "laptop")
    assert user_for_api_token(secret) == ada

    suspend_users(make_moderator(), [ada.pk])

    assert user_for_api_token(secret) is None


@pytest.mark.urls("tests.accounts.token_api")
def test_a_suspended_users_token_gets_401_from_a_write_endpoint(client):
    ada = make_account("ada")
    _, secret = create_api_token(ada, "laptop")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.post("/api/write", **auth).status_code == 200

    suspend_users(make_moderator(), [ada.pk])

    assert client.post("/api/write", **auth).status_code == 401


def test_a_suspended_user_cannot_comment_or_resend_a_confirmation_into_activity(client):
    ada = make_account("ada")
    suspend_users(make_moderator(), [ada.pk])

    client.post("/accounts/verify/resend", {"email": "ada@example.org"})

    ada.refresh_from_db()
    assert not ada.is_active


def test_unsuspending_restores_a_confirmed_account_but_never_activates_an_unconfirmed_one():
    confirmed = make_account("ada")
    unconfirmed = make_account("bob", confirmed=False)
    moderator = make_moderator()
    suspend_users(moderator, [confirmed.pk])

    assert unsuspend_users(moderator, [confirmed.pk, unconfirmed.pk]) == 1

    confirmed.refresh_from_db()
    unconfirmed.refresh_from_db()
    assert confirmed.is_active and not unconfirmed.is_active


def test_moderators_cannot_suspend_staff_superusers_or_themselves():
    moderator = make_moderator()
    staff = make_moderator("other-mod")
    root = make_superuser()

    for victim in (staff, root, moderator):
        with pytest.raises(SuspensionRefused):
            suspend_users(moderator, [victim.pk])
    assert get_user_model().objects.filter(is_active=False).count() == 0
    assert suspend_users(root, [staff.pk]) == 1  # a superuser can


# -- merging duplicates -----------------------------------------------------------------------


def test_merge_moves_votes_once_per_user_comments_submissions_and_the_daily_entry():
    keep = make_paper(day=None, upvotes=3)
    drop = make_paper(
        day=DAY,
        upvotes=7,
        github_repo="https://github.com/owner/repo",
        project_page="https://project.example",
    )
    both, only_keep, only_drop = make_user("both"), make_user("keeper"), make_user("dropper")
    for user, paper in [(both, keep), (both, drop), (only_keep, keep), (only_drop, drop)]:
        upvote_paper(user.pk, paper.pk)
    top = post_comment(only_drop, drop.pk, "on the duplicate")
    post_comment(both, drop.pk, "a reply", parent_id=top.pk)
    post_comment(both, keep.pk, "on the kept one")
    Submission.objects.create(user=only_drop, paper=drop)

    result = merge_papers(keep.pk, drop.pk)

    keep.refresh_from_db()
    drop.refresh_from_db()
    assert (result.votes_moved, result.votes_merged) == (1, 1)
    assert sorted(Vote.objects.filter(paper=keep).values_list("user__username", flat=True)) == [
        "both",
        "dropper",
        "keeper",
    ]
    assert not Vote.objects.filter(paper=drop).exists()
    assert keep.local_upvotes == 3
    assert keep.upvotes == max(3, 7) + 3
    assert Comment.objects.filter(paper=keep).count() == 3
    assert keep.local_comments == 3
    assert Submission.objects.get().paper_id == keep.pk
    assert DailyEntry.objects.get().paper_id == keep.pk
    assert keep.github_repo == "https://github.com/owner/repo"
    assert keep.project_page == "https://project.example"
    assert drop.hidden and drop.merged_into_id == keep.pk
    assert (drop.local_upvotes, drop.local_comments) == (0, 0)


def test_merge_keeps_the_earlier_daily_entry():
    keep = make_paper(day=dt.date(2025, 3, 14))
    drop = make_paper(day=dt.date(2025, 3, 10))

    merge_papers(keep.pk, drop.pk)

    entry = DailyEntry.objects.get()
    assert (entry.paper_id, entry.date) == (keep.pk, dt.date(2025, 3, 10))


def test_after_a_merge_the_duplicates_page_redirects_and_the_feed_lists_one_paper(client):
    keep = make_paper(day=DAY, title="The paper")
    drop = make_paper(day=DAY, title="The paper, again")

    merge_papers(keep.pk, drop.pk)

    response = client.get(f"/papers/{drop.arxiv_id}")
    assert response.status_code == 301
    assert response["Location"] == f"/papers/{keep.arxiv_id}"
    day = client.get("/papers/date/2025-03-14").content.decode()
    assert keep.arxiv_id in day and drop.arxiv_id not in day
    assert client.get(f"/api/papers/{drop.arxiv_id}").status_code == 404


def test_merging_a_paper_into_itself_or_a_missing_one_is_refused():
    paper = make_paper()

    with pytest.raises(MergeRefused):
        merge_papers(paper.pk, paper.pk)
    with pytest.raises(MergeRefused):
        merge_papers(paper.pk, paper.pk + 1000)
    assert not Paper.objects.get(pk=paper.pk).hidden


def test_an_earlier_merge_into_the_dropped_paper_follows_to_the_kept_one(client):
    first, second, third = make_paper(), make_paper(), make_paper()
    merge_papers(second.pk, first.pk)

    merge_papers(third.pk, second.pk)

    assert Paper.objects.get(pk=first.pk).merged_into_id == third.pk
    assert client.get(f"/papers/{first.arxiv_id}")["Location"] == f"/papers/{third.arxiv_id}"


# -- the moderator role in the admin ----------------------------------------------------------


def admin_action(client, model: str, action: str, ids: list[int], **extra):
    return client.post(
        f"/admin/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in ids], **extra},
        follow=True,
    )


def test_the_moderators_group_makes_a_moderator_who_is_not_a_superuser():
    moderator = make_moderator()

    assert is_moderator(moderator)
    assert not moderator.is_superuser
    assert moderator.has_perm("papers.change_paper")
    assert not moderator.has_perm("papers.delete_paper")
    assert not moderator.has_perm("auth.change_group")
    assert not is_moderator(make_user("plain"))


def test_a_moderator_hides_and_shows_papers_from_the_admin(client):
    paper = make_paper()
    client.force_login(make_moderator())

    assert client.get("/admin/papers/paper/").status_code == 200
    admin_action(client, "papers/paper", "hide_papers", [paper.pk])
    assert Paper.objects.get(pk=paper.pk).hidden
    admin_action(client, "papers/paper", "show_papers", [paper.pk])
    assert not Paper.objects.get(pk=paper.pk).hidden


def test_a_moderator_edits_a_papers_links_in_the_admin(client):
    paper = make_paper()
    client.force_login(make_moderator())
    form = client.get(f"/admin/papers/paper/{paper.pk}/change/").content.decode()
    assert 'name="github_repo"' in form and 'name="project_page"' in form

    data = {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "categories": "[]",
        "ai_keywords": "[]",
        "github_repo": "https://github.com/fixed/repo",
        "project_page": "https://fixed.example",
        "authorships-TOTAL_FORMS": "0",
        "authorships-INITIAL_FORMS": "0",
        "daily-TOTAL_FORMS": "0",
        "daily-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/papers/paper/{paper.pk}/change/", data)

    assert response.status_code == 302, re.findall(
        r'class="errorlist[^"]*">(.*?)</ul>', response.content.decode()
    )
    paper.refresh_from_db()
    assert (paper.github_repo, paper.project_page) == (
        "https://github.com/fixed/repo",
        "https://fixed.example",
    )


def test_a_moderator_hides_comments_from_the_admin(client):
    paper = make_paper()
    comment = post_comment(make_user("ada"), paper.pk, "spam")
    client.force_login(make_moderator())

    admin_action(client, "community/comment", "hide_comments", [comment.pk])

    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.hidden and paper.local_comments == 0


def test_a_moderator_merges_two_papers_after_choosing_which_to_keep(client):
    keep, drop = make_paper(), make_paper()
    upvote_paper(make_user().pk, drop.pk)
    client.force_login(make_moderator())

    confirm = admin_action(client, "papers/paper", "merge_duplicates", [keep.pk, drop.pk])
    assert 'name="keep"' in confirm.content.decode()
    assert not Paper.objects.get(pk=drop.pk).hidden  # asking changed nothing
    admin_action(
        client,
        "papers/paper",
        "merge_duplicates",
        [keep.pk, drop.pk],
        confirm="yes",
        keep=str(keep.pk),
    )

    drop.refresh_from_db()
    keep.refresh_from_db()
    assert drop.merged_into_id == keep.pk and drop.hidden
    assert keep.local_upvotes == 1


def test_a_moderator_suspends_a_user_from_the_admin(client):
    ada = make_account("ada")
    client.force_login(make_moderator())

    admin_action(client, "auth/user", "suspend", [ada.pk])

    ada.refresh_from_db()
    assert not ada.is_active


def test_a_moderator_cannot_do_what_only_superusers_do(client):
    paper = make_paper()
    root = make_superuser()
    moderator = make_moderator()
    client.force_login(moderator)

    assert client.get("/admin/auth/group/").status_code == 403
    assert client.get(f"/admin/papers/paper/{paper.pk}/delete/").status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403
    assert client.get("/admin/accounts/apitoken/").status_code == 403
    # The user form shows a moderator no superuser, staff or permission fields to change...
    form = client.get(f"/admin/auth/user/{moderator.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in form and 'name="user_permissions"' not in form
    # ...and posting them anyway changes nothing.
    client.post(
        f"/admin/auth/user/{moderator.pk}/change/",
        {"username": "mod", "is_superuser": "on", "is_staff": "on", "groups": []},
    )
    moderator.refresh_from_db()
    assert not moderator.is_superuser
    # Suspending a superuser from the admin is refused with a message.
    response = admin_action(client, "auth/user", "suspend", [root.pk])
    assert "Only a superuser can suspend" in response.content.decode()
    root.refresh_from_db()
    assert root.is_active
    Paper.objects.get(pk=paper.pk)  # still there


def test_staff_outside_the_group_get_no_moderation_actions(client):
    staff = make_user("staff")
    staff.is_staff = True
    staff.save()
    paper = make_paper()
    client.force_login(staff)

    assert client.get("/admin/papers/paper/").status_code == 403
    admin_action(client, "papers/paper", "hide_papers", [paper.pk])
    assert not Paper.objects.get(pk=paper.pk).hidden


def test_a_moderator_sees_who_submitted_what_but_cannot_change_it(client):
    from dailypapers.community.models import Submission

    submitter = make_user("submitter")
    submission = Submission.objects.create(
        user=submitter, paper=make_paper(), github_repo="https://github.com/a/b"
    )
    client.force_login(make_moderator())

    listing = client.get("/admin/community/submission/")
    detail = client.get(f"/admin/community/submission/{submission.pk}/change/")
    post = client.post(
        f"/admin/community/submission/{submission.pk}/change/",
        {"github_repo": "https://github.com/evil/x"},
    )

    assert listing.status_code == 200 and "submitter" in listing.content.decode()
    assert detail.status_code == 200
    assert post.status_code == 403
    assert Submission.objects.get(pk=submission.pk).github_repo == "https://github.com/a/b"
    client.force_login(make_user("plain-member"))
    assert client.get("/admin/community/submission/").status_code == 302  # to the admin login
