"""Deleting an account keeps every count exact, by any path; ``recount-votes`` repairs drift.

The account's votes cascade away; the papers they counted in are recounted in the same
transaction (admin, ``user.delete()``, a bulk queryset delete, and accounts deleted while others
vote). Comments stay with an empty author, so comment counts do not move. ``dailypapers
recount-votes`` finds papers whose counts drifted from their vote rows (votes deleted with raw
SQL here), reports each (id, old, new) and repairs them; ``--dry-run`` writes nothing.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from dailypapers.community.models import Comment, Vote
from dailypapers.community.services.comments import post_comment
from dailypapers.community.services.votes import upvote_paper
from dailypapers.papers.models import Paper
from tests.accounts.conftest import PASSWORD
from tests.community.conftest import make_user, pending_trending_jobs
from tests.community.test_vote_concurrency import run_in_threads
from tests.factories import make_paper

User = get_user_model()


def counts(paper: Paper) -> tuple[int, int]:
    paper.refresh_from_db()
    return paper.local_upvotes, paper.upvotes


def assert_exact(*papers: Paper) -> None:
    for paper in papers:
        paper.refresh_from_db()
        rows = Vote.objects.filter(paper_id=paper.pk).count()
        assert (paper.local_upvotes, paper.upvotes) == (rows, paper.imported_upvotes + rows)


@pytest.fixture
def voted():
    """Two papers (10 and 20 imported upvotes); ada voted for both, bob for the first."""
    first, second = make_paper(upvotes=10), make_paper(upvotes=20)
    ada, bob = make_user("ada"), make_user("bob")
    for user, paper in [(ada, first), (ada, second), (bob, first)]:
        upvote_paper(user.pk, paper.pk)
    assert counts(first) == (2, 12) and counts(second) == (1, 21)
    return ada, bob, first, second


@pytest.mark.django_db
def test_deleting_an_account_in_a_shell_takes_its_votes_out_of_the_counts(
    voted, huey_queue, django_capture_on_commit_callbacks
):
    ada, bob, first, second = voted

    with django_capture_on_commit_callbacks(execute=True):
        ada.delete()

    assert counts(first) == (1, 11)
    assert counts(second) == (0, 20)
    assert_exact(first, second)
    # The trending scores of both papers are refreshed after the commit.
    queued = {pk for job in pending_trending_jobs(huey_queue) for pk in job.args[0]}
    assert {first.pk, second.pk} <= queued


@pytest.mark.django_db
def test_a_bulk_delete_of_accounts_keeps_counts_exact(voted):
    ada, bob, first, second = voted
    make_user("carol")  # no votes

    deleted, _ = User.objects.filter(username__in=["ada", "bob", "carol"]).delete()

    assert deleted
    assert counts(first) == (0, 10)
    assert counts(second) == (0, 20)


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", PASSWORD))
    return client


@pytest.mark.django_db
def test_deleting_an_account_from_the_admin_keeps_counts_exact(admin_client, voted):
    ada, bob, first, second = voted

    response = admin_client.post(f"/admin/auth/user/{bob.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=bob.pk).exists()
    assert counts(first) == (1, 11)
    assert counts(second) == (1, 21)


@pytest.mark.django_db
def test_the_admins_bulk_delete_action_keeps_counts_exact(admin_client, voted):
    ada, bob, first, second = voted

    admin_client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [ada.pk, bob.pk], "post": "yes"},
    )

    assert not User.objects.filter(pk__in=[ada.pk, bob.pk]).exists()
    assert counts(first) == (0, 10) and counts(second) == (0, 20)


@pytest.mark.django_db
def test_deleting_an_author_keeps_their_comments_and_the_comment_counts(voted):
    ada, bob, first, second = voted
    post_comment(ada, first.pk, "A comment that outlives its author")
    post_comment(bob, first.pk, "A reply's neighbour")
    first.refresh_from_db()
    assert first.local_comments == 2

    ada.delete()

    first.refresh_from_db()
    assert first.local_comments == 2 == Comment.objects.filter(paper=first).count()
    assert Comment.objects.filter(paper=first, author__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_accounts_deleted_while_others_vote_leave_exact_counts():
    paper = make_paper(upvotes=5)
    doomed = [make_user(f"doomed{n}") for n in range(6)]
    for user in doomed:
        upvote_paper(user.pk, paper.pk)
    voters = [make_user(f"stayer{n}") for n in range(6)]

    def work(index: int, barrier: threading.Barrier) -> list:
        barrier.wait(timeout=60)
        if index % 2:
            User.objects.get(pk=doomed[index].pk).delete()
            User.objects.get(pk=doomed[index - 1].pk).delete()
            return []
        return [upvote_paper(voters[index + k].pk, paper.pk) for k in (0, 1)]

    run_in_threads(work, 6)

    assert counts(paper) == (6, 11)
    assert_exact(paper)


# -- dailypapers recount-votes --------------------------------------------------------------------


def delete_votes_behind_djangos_back(user) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Vote._meta.db_table} WHERE user_id = %s", [user.pk])


@pytest.mark.django_db
def test_recount_votes_reports_and_repairs_drift_and_dry_run_writes_nothing(voted, capsys):
    ada, bob, first, second = voted
    untouched = make_paper(upvotes=3)
    delete_votes_behind_djangos_back(ada)
    Paper.objects.filter(pk=untouched.pk).update(upvotes=99)  # upvotes != imported + local

    call_command("recount-votes", "--dry-run", "--batch-size", "2")
    dry = capsys.readouterr().out

    assert f"paper {first.pk} ({first.arxiv_id}): local upvotes 2 -> 1, upvotes 12 -> 11" in dry
    assert f"paper {second.pk} ({second.arxiv_id}): local upvotes 1 -> 0, upvotes 21 -> 20" in dry
    assert (
        f"paper {untouched.pk} ({untouched.arxiv_id}): local upvotes 0 -> 0, upvotes 99 -> 3" in dry
    )
    assert "Checked 3 paper(s): 3 would change. Dry run: nothing was written." in dry
    assert counts(first) == (2, 12)  # nothing written

    call_command("recount-votes", "--batch-size", "2")
    repaired = capsys.readouterr().out

    assert (
        f"paper {first.pk} ({first.arxiv_id}): local upvotes 2 -> 1, upvotes 12 -> 11" in repaired
    )
    assert "Checked 3 paper(s): 3 changed." in repaired
    assert counts(first) == (1, 11) and counts(second) == (0, 20) and counts(untouched) == (0, 3)
    assert_exact(first, second, untouched)

    call_command("recount-votes")
    assert "Checked 3 paper(s): 0 changed." in capsys.readouterr().out


@pytest.mark.django_db
def test_recount_votes_refuses_a_bad_batch_size():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("recount-votes", "--batch-size", "0")


def test_recount_votes_is_a_dailypapers_command_with_help(capsys):
    from dailypapers.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["dailypapers", "recount-votes", "--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--dry-run" in out and "drift" in out
