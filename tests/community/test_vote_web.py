"""The vote box and endpoint through the HTTP client: plain forms, htmx, login, limits, caching."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.community.models import Vote
from dailypapers.papers.models import Paper
from dailypapers.settings import RateLimit
from tests.community.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

DAY = "/papers/date/2025-03-14"
HTMX = {"HTTP_HX_REQUEST": "true"}


def vote_url(paper: Paper) -> str:
    return f"/papers/{paper.arxiv_id}/vote"


def signed_in(client: Client):
    user = make_user()
    client.force_login(user)
    return user


def box_of(html: str, paper: Paper) -> str:
    match = re.search(
        rf'<(form|a) class="[^"]*" id="vote-{paper.pk}".*?</\1>', html, flags=re.DOTALL
    )
    assert match, f"no vote box for {paper.arxiv_id}"
    return match.group(0)


def test_anonymous_visitors_see_a_log_in_link_and_the_page_stays_cacheable(client):
    paper = make_paper(upvotes=7)

    first = client.get(DAY)
    second = client.get(DAY)

    box = box_of(first.content.decode(), paper)
    assert box.startswith("<a ")
    assert "/accounts/login?next=%2Fpapers%2Fdate%2F2025-03-14" in box
    assert ">7<" in box
    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")


def test_signed_in_users_get_a_form_that_shows_whether_they_voted(client):
    voted, other = make_paper(upvotes=3), make_paper(upvotes=4)
    user = signed_in(client)
    client.post(vote_url(voted), {"action": "upvote"})

    html = client.get(DAY).content.decode()

    mine = box_of(html, voted)
    assert 'name="action" value="withdraw"' in mine and 'aria-pressed="true"' in mine
    assert "is-voted" in mine and ">4<" in mine
    theirs = box_of(html, other)
    assert 'name="action" value="upvote"' in theirs and 'aria-pressed="false"' in theirs
    assert "csrfmiddlewaretoken" in theirs
    assert Vote.objects.filter(user=user).count() == 1


def test_another_user_does_not_see_my_vote_as_theirs(client):
    paper = make_paper(upvotes=3)
    signed_in(client)
    client.post(vote_url(paper), {"action": "upvote"})
    other = Client()
    signed_in(other)

    box = box_of(other.get(paper.get_absolute_url()).content.decode(), paper)

    assert 'value="upvote"' in box and ">4<" in box


def test_a_plain_form_post_votes_and_redirects_back_to_the_page_at_the_paper(client):
    paper = make_paper(upvotes=1)
    signed_in(client)

    response = client.post(vote_url(paper), {"action": "upvote", "next": f"{DAY}?page=1"})

    assert response.status_code == 303
    assert response["Location"] == f"{DAY}?page=1#vote-{paper.pk}"
    paper.refresh_from_db()
    assert (paper.local_upvotes, paper.upvotes) == (1, 2)


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_a_next_that_leaves_the_site_is_replaced_by_the_paper_page(client, next_url):
    paper = make_paper()
    signed_in(client)

    response = client.post(vote_url(paper), {"action": "upvote", "next": next_url})

    assert response["Location"] == f"{paper.get_absolute_url()}#vote-{paper.pk}"


def test_htmx_gets_the_new_vote_box_to_swap_in_place(client):
    paper = make_paper(upvotes=9)
    signed_in(client)

    up = client.post(vote_url(paper), {"action": "upvote", "next": DAY}, **HTMX)
    down = client.post(vote_url(paper), {"action": "withdraw", "next": DAY}, **HTMX)

    assert up.status_code == 200
    up_box = up.content.decode()
    assert up_box.lstrip().startswith(f'<form class="vote-form" id="vote-{paper.pk}"')
    assert 'hx-target="this"' in up_box and 'hx-swap="outerHTML"' in up_box
    assert 'value="withdraw"' in up_box and ">10<" in up_box
    assert f'name="next" value="{DAY}"' in up_box
    assert 'value="upvote"' in down.content.decode() and ">9<" in down.content.decode()
    assert not Vote.objects.exists()


def test_the_paper_pages_wide_box_stays_wide_after_an_htmx_vote(client):
    paper = make_paper()
    signed_in(client)
    page_box = box_of(client.get(paper.get_absolute_url()).content.decode(), paper)
    assert 'name="box" value="wide"' in page_box and "upvote-box-wide" in page_box

    answer = client.post(vote_url(paper), {"action": "upvote", "box": "wide"}, **HTMX)

    assert "upvote-box-wide" in answer.content.decode()


def test_anonymous_votes_are_sent_to_log_in_and_back(client):
    paper = make_paper()

    plain = client.post(vote_url(paper), {"action": "upvote", "next": DAY})
    htmx = client.post(vote_url(paper), {"action": "upvote", "next": DAY}, **HTMX)

    assert plain.status_code == 302
    assert plain["Location"] == "/accounts/login?next=%2Fpapers%2Fdate%2F2025-03-14"
    assert htmx["HX-Redirect"] == plain["Location"]
    assert not Vote.objects.exists()


def test_bad_requests_are_refused_clearly(client):
    paper = make_paper()
    signed_in(client)

    assert client.post(vote_url(paper), {"action": "toggle"}).status_code == 400
    assert client.post(vote_url(paper)).status_code == 400
    assert client.get(vote_url(paper)).status_code == 405
    assert client.post("/papers/2599.99999/vote", {"action": "upvote"}).status_code == 404
    assert not Vote.objects.exists()


def test_a_vote_without_the_csrf_token_is_refused():
    paper = make_paper()
    client = Client(enforce_csrf_checks=True)
    signed_in(client)

    response = client.post(vote_url(paper), {"action": "upvote"})

    assert response.status_code == 403
    assert not Vote.objects.exists()


def test_old_style_ids_with_a_slash_can_be_voted_for(client):
    paper = make_paper(arxiv_id="hep-th/9901001")
    signed_in(client)

    response = client.post("/papers/hep-th/9901001/vote", {"action": "upvote"})

    assert response.status_code == 303
    assert Vote.objects.filter(paper=paper).count() == 1


def test_over_the_rate_limit_htmx_gets_the_box_with_a_message(client, settings):
    settings.RATE_LIMITS = {"vote": RateLimit(2, 60)}
    paper = make_paper(upvotes=5)
    signed_in(client)
    client.post(vote_url(paper), {"action": "upvote"}, **HTMX)
    client.post(vote_url(paper), {"action": "withdraw"}, **HTMX)

    limited = client.post(vote_url(paper), {"action": "upvote"}, **HTMX)
    plain = client.post(vote_url(paper), {"action": "upvote"})

    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    body = limited.content.decode()
    assert body.lstrip().startswith("<form") and "Too many votes" in body
    assert 'value="upvote"' in body and ">5<" in body  # unchanged: the vote was not counted
    assert plain.status_code == 429 and b"Too many vote attempts" in plain.content
    assert not Vote.objects.exists()


def test_a_vote_shows_at_once_on_cached_anonymous_pages(client, django_capture_on_commit_callbacks):
    paper = make_paper(upvotes=7)
    anonymous = Client()
    assert ">7<" in box_of(anonymous.get(DAY).content.decode(), paper)  # now cached
    signed_in(client)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(vote_url(paper), {"action": "upvote"})

    again = anonymous.get(DAY)
    assert again["X-Page-Cache"] == "miss"
    assert ">8<" in box_of(again.content.decode(), paper)


def test_the_signed_in_feed_costs_the_same_queries_for_few_or_many_papers(client):
    def queries_for_day(day: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/papers/date/{day}").status_code == 200
        return len(captured)

    import datetime as dt

    for n in range(2):
        make_paper(day=dt.date(2025, 3, 10), upvotes=n)
    for n in range(8):
        make_paper(day=dt.date(2025, 3, 11), upvotes=n)
    signed_in(client)

    assert queries_for_day("2025-03-10") == queries_for_day("2025-03-11")
