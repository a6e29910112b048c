"""The ``comment`` rate limit covers posting, replying, editing and deleting, with one budget per
member; a refused post or edit keeps the text that was sent."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from dailypapers.community.models import Comment
from dailypapers.community.services.comments import post_comment
from dailypapers.settings import RateLimit
from tests.community.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def comment_limit(settings):
    settings.RATE_LIMITS = {"comment": RateLimit(3, 60)}


def author_and_comment(client: Client):
    paper = make_paper()
    ada = make_user("ada")
    client.force_login(ada)
    return ada, post_comment(ada, paper.pk, "the first version")


def test_editing_is_rate_limited_and_the_refused_text_is_kept(client):
    _, comment = author_and_comment(client)
    url = f"/comments/{comment.pk}/edit"

    answers = [client.post(url, {"body": f"version {n}"}) for n in range(3)]
    refused = client.post(url, {"body": "my careful <rewrite> that must not be lost"})

    assert [a.status_code for a in answers] == [303, 303, 303]
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert html.escape("my careful <rewrite> that must not be lost") in page
    assert "Too many comments, edits and deletions from you" in page
    comment.refresh_from_db()
    assert comment.body == "version 2"


def test_deleting_is_rate_limited(client):
    ada, comment = author_and_comment(client)
    others = [post_comment(ada, comment.paper_id, f"more {n}") for n in range(3)]

    answers = [client.post(f"/comments/{c.pk}/delete").status_code for c in others]
    refused = client.post(f"/comments/{comment.pk}/delete")

    assert answers == [303, 303, 303]
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Comment.objects.filter(pk=comment.pk, deleted=False).exists()


def test_posting_editing_and_deleting_share_one_budget(client):
    _, comment = author_and_comment(client)
    paper = comment.paper

    client.post(f"/papers/{paper.arxiv_id}/comments", {"body": "a new one"})
    client.post(f"/comments/{comment.pk}/edit", {"body": "edited"})
    client.post(f"/papers/{paper.arxiv_id}/comments", {"body": "another"})
    refused = client.post(f"/papers/{paper.arxiv_id}/comments", {"body": "kept <text>"})

    assert refused.status_code == 429
    assert html.escape("kept <text>") in refused.content.decode()
    assert Comment.objects.filter(paper=paper).count() == 3


def test_viewing_the_edit_form_is_not_counted(client):
    _, comment = author_and_comment(client)

    answers = [client.get(f"/comments/{comment.pk}/edit").status_code for _ in range(6)]

    assert answers == [200] * 6


def test_each_member_has_a_budget_of_their_own(client):
    _, comment = author_and_comment(client)
    for n in range(3):
        client.post(f"/comments/{comment.pk}/edit", {"body": f"v{n}"})
    bob = make_user("bob")
    other = Client()
    other.force_login(bob)
    mine = post_comment(bob, comment.paper_id, "bob's")

    answer = other.post(f"/comments/{mine.pk}/edit", {"body": "bob, edited"})

    assert answer.status_code == 303
