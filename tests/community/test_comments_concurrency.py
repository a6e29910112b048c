"""Comment counts stay exact when many people comment and delete at once (SQLite and PostgreSQL).

Each thread has its own database connection and posts and deletes through the services, started
together by a barrier; at the end every paper's ``local_comments`` equals its shown comment rows.
"""

from __future__ import annotations

from collections import Counter

import pytest

from dailypapers.community.models import Comment
from dailypapers.community.services.comments import delete_comment, post_comment
from dailypapers.papers.models import Paper
from tests.community.conftest import make_user
from tests.community.test_vote_concurrency import run_in_threads
from tests.factories import make_paper

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 16
COMMENTS_EACH = 4


def test_concurrent_posts_and_deletes_leave_exact_counts():
    papers = [make_paper(arxiv_id=f"2503.9{n:04d}") for n in range(2)]
    users = [make_user(f"writer{n}") for n in range(WRITERS)]

    def work(index, barrier) -> list:
        user, paper = users[index], papers[index % 2]
        barrier.wait(timeout=60)
        posted = [
            post_comment(user, paper.pk, f"comment {n} by {index}") for n in range(COMMENTS_EACH)
        ]
        delete_comment(user, posted[0].pk)
        return [comment.pk for comment in posted]

    ids = run_in_threads(work, WRITERS)

    assert len(ids) == WRITERS * COMMENTS_EACH
    shown = Counter(
        Comment.objects.filter(deleted=False, hidden=False).values_list("paper_id", flat=True)
    )
    expected = WRITERS // 2 * (COMMENTS_EACH - 1)
    for paper in Paper.objects.filter(pk__in=[p.pk for p in papers]):
        assert shown[paper.pk] == expected
        assert paper.local_comments == expected
