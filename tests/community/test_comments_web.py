"""Comments through the HTTP client: the discussion on the paper page, forms without JavaScript,
CSRF, authorization, limits, hostile text, and the counts on cards, the API and the profile."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dailypapers.community.models import Comment
from dailypapers.community.services.comments import post_comment
from dailypapers.settings import RateLimit
from tests.community.conftest import make_user
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

DAY = "/papers/date/2025-03-14"


def page(paper) -> str:
    return f"/papers/{paper.arxiv_id}"


def create_url(paper) -> str:
    return f"/papers/{paper.arxiv_id}/comments"


def signed_in(client: Client, name: str | None = None):
    user = make_user(name)
    client.force_login(user)
    return user


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def comment_html(html: str, comment: Comment) -> str:
    match = re.search(
        rf'<article class="comment[^"]*" id="comment-{comment.pk}">.*?</article>', html, re.DOTALL
    )
    assert match, f"comment {comment.pk} is not on the page"
    return match.group(0)


def test_anyone_can_read_the_discussion_and_anonymous_visitors_get_a_log_in_link(client):
    paper = make_paper()
    comment = post_comment(make_user("ada"), paper.pk, "Great *paper*")

    response = client.get(page(paper))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<em>paper</em>" in comment_html(html, comment)
    assert "/accounts/login?next=" in html and "Log in</a> to join the discussion" in html
    assert "<textarea" not in html and "csrfmiddlewaretoken" not in html


def test_posting_without_javascript_redirects_to_the_new_comment(client):
    paper = make_paper()
    signed_in(client, "ada")

    response = client.post(create_url(paper), {"body": "First!"})

    comment = Comment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"{page(paper)}#comment-{comment.pk}"
    html = client.get(page(paper)).content.decode()
    assert "First!" in comment_html(html, comment)
    assert 'href="/users/ada"' in comment_html(html, comment)


def test_a_reply_form_posts_a_reply(client):
    paper = make_paper()
    top = post_comment(make_user("ada"), paper.pk, "question?")
    signed_in(client, "bob")

    html = client.get(page(paper)).content.decode()
    assert f'name="parent" value="{top.pk}"' in html
    client.post(create_url(paper), {"body": "answer", "parent": str(top.pk)})

    reply = Comment.objects.get(body="answer")
    assert reply.parent_id == top.pk
    html = client.get(page(paper)).content.decode()
    assert re.search(rf'class="comment-replies".*id="comment-{reply.pk}"', html, re.DOTALL)


def test_anonymous_posts_go_to_log_in_and_store_nothing(client):
    paper = make_paper()

    response = client.post(create_url(paper), {"body": "hello"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login?next=")
    assert Comment.objects.count() == 0


def test_get_never_posts_edits_or_deletes(client):
    paper = make_paper()
    ada = signed_in(client, "ada")
    comment = post_comment(ada, paper.pk, "stays")

    assert client.get(create_url(paper), {"body": "via GET"}).status_code == 405
    assert client.get(f"/comments/{comment.pk}/delete").status_code == 405
    assert client.get(f"/comments/{comment.pk}/hide").status_code == 405
    edit_page = client.get(f"/comments/{comment.pk}/edit", {"body": "via GET"})

    assert edit_page.status_code == 200
    comment.refresh_from_db()
    assert (comment.body, comment.deleted, comment.hidden) == ("stays", False, False)
    assert Comment.objects.count() == 1


def test_csrf_is_enforced_on_every_comment_form():
    paper = make_paper()
    ada = make_user("ada")
    comment = post_comment(ada, paper.pk, "mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)

    for url, data in [
        (create_url(paper), {"body": "no token"}),
        (f"/comments/{comment.pk}/edit", {"body": "no token"}),
        (f"/comments/{comment.pk}/delete", {}),
    ]:
        assert client.post(url, data).status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.deleted) == ("mine", False)
    assert Comment.objects.count() == 1

    token = csrf_token_of(client.get(page(paper)).content.decode())
    response = client.post(
        create_url(paper), {"body": "with a token", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 303
    assert Comment.objects.filter(body="with a token").exists()


def test_editing_your_comment_through_the_form(client):
    paper = make_paper()
    ada = signed_in(client, "ada")
    comment = post_comment(ada, paper.pk, "teh typo")

    form = client.get(f"/comments/{comment.pk}/edit")
    response = client.post(f"/comments/{comment.pk}/edit", {"body": "the typo, fixed"})

    assert "teh typo</textarea>" in form.content.decode()
    assert response.status_code == 303
    html = client.get(page(paper)).content.decode()
    assert "the typo, fixed" in comment_html(html, comment)
    assert "edited" in comment_html(html, comment)


def test_someone_elses_comment_cannot_be_edited_or_deleted_403(client):
    paper = make_paper()
    comment = post_comment(make_user("ada"), paper.pk, "ada's words")
    signed_in(client, "mallory")

    assert client.get(f"/comments/{comment.pk}/edit").status_code == 403
    assert client.post(f"/comments/{comment.pk}/edit", {"body": "pwned"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/delete").status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.deleted) == ("ada's words", False)
    html = client.get(page(paper)).content.decode()
    assert f"/comments/{comment.pk}/edit" not in html  # no edit link for others' comments


def test_deleting_your_comment_shows_deleted_above_its_replies(client):
    paper = make_paper()
    ada = signed_in(client, "ada")
    top = post_comment(ada, paper.pk, "regrettable")
    post_comment(make_user("bob"), paper.pk, "a reply", parent_id=top.pk)

    response = client.post(f"/comments/{top.pk}/delete")

    assert response.status_code == 303
    html = client.get(page(paper)).content.decode()
    assert "[deleted]" in comment_html(html, top)
    assert "regrettable" not in html
    assert "a reply" in html


def test_a_refused_comment_is_given_back_with_the_reason_and_nothing_is_lost(client, settings):
    settings.COMMENT_MAX_CHARS = 50
    paper = make_paper()
    signed_in(client)
    text = "A long thought <b>with markup</b>. " * 3

    response = client.post(create_url(paper), {"body": text})

    html = response.content.decode()
    assert response.status_code == 400
    assert "at most 50 characters" in html
    assert "A long thought &lt;b&gt;with markup&lt;/b&gt;." in html  # the text, escaped, to edit
    assert Comment.objects.count() == 0


def test_a_one_megabyte_comment_gets_a_clear_400(client):
    paper = make_paper()
    signed_in(client)

    response = client.post(create_url(paper), {"body": "x" * 1_000_000})

    assert response.status_code == 400
    assert "at most 10,000 characters" in response.content.decode()
    assert Comment.objects.count() == 0


def test_a_body_beyond_the_request_size_limit_is_refused(client):
    paper = make_paper()
    signed_in(client)

    response = client.post(create_url(paper), {"body": "x" * 1_100_000})

    assert response.status_code == 400
    assert Comment.objects.count() == 0


def test_an_empty_comment_is_refused_with_a_reason(client):
    paper = make_paper()
    signed_in(client)

    response = client.post(create_url(paper), {"body": "   "})

    assert response.status_code == 400
    assert "cannot be empty" in response.content.decode()


def test_hostile_comments_are_escaped_and_isolated_on_the_page(client):
    paper = make_paper()
    ada = make_user("ada")
    bodies = [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "[click me](javascript:alert(1))",
        "evil\u202egnp.exe",
    ]
    comments = [post_comment(ada, paper.pk, body) for body in bodies]

    html = client.get(page(paper)).content.decode()

    for comment in comments:
        shown = comment_html(html, comment)
        assert "<script" not in shown and "<img" not in shown
        assert not re.search(r"<a[^>]*href=\"javascript", shown)
    rtl = comment_html(html, comments[-1])
    assert re.search(r'<div class="comment-body" dir="auto"><p>evil\u202egnp.exe</p></div>', rtl)


def test_hostile_display_names_are_escaped_and_isolated(client):
    from dailypapers.accounts.services import update_display_name

    paper = make_paper()
    ada = make_user("ada")
    update_display_name(ada, "<script>alert(1)</script>\u202eevil")
    comment = post_comment(ada, paper.pk, "hi")

    shown = comment_html(client.get(page(paper)).content.decode(), comment)

    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;\u202eevil</bdi>" in shown


def test_posting_is_rate_limited_with_retry_after(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": RateLimit(2, 60)}
    paper = make_paper()
    signed_in(client)

    answers = [client.post(create_url(paper), {"body": f"comment {n}"}) for n in range(3)]

    assert [a.status_code for a in answers] == [303, 303, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert Comment.objects.count() == 2


def test_a_moderator_hides_a_comment_from_the_page(client):
    paper = make_paper()
    comment = post_comment(make_user("ada"), paper.pk, "spam spam")
    moderator = make_user("mod")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(moderator)

    assert f"/comments/{comment.pk}/hide" in client.get(page(paper)).content.decode()
    response = client.post(f"/comments/{comment.pk}/hide", {"action": "hide"})

    assert response.status_code == 303
    comment.refresh_from_db()
    assert comment.hidden
    assert "spam spam" not in Client().get(page(paper)).content.decode()


def test_ordinary_users_cannot_hide_comments_403(client):
    paper = make_paper()
    comment = post_comment(make_user("ada"), paper.pk, "fine")
    signed_in(client, "bob")

    assert client.post(f"/comments/{comment.pk}/hide", {"action": "hide"}).status_code == 403
    comment.refresh_from_db()
    assert not comment.hidden


def test_a_new_comment_shows_at_once_on_the_cached_anonymous_page(
    client, django_capture_on_commit_callbacks
):
    paper = make_paper()
    first = Client().get(page(paper))
    assert first["X-Page-Cache"] == "miss"
    assert Client().get(page(paper))["X-Page-Cache"] == "hit"
    signed_in(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(create_url(paper), {"body": "fresh comment"})

    again = Client().get(page(paper))

    assert "fresh comment" in again.content.decode()


def test_cards_and_the_api_count_local_comments(client):
    paper = make_paper(num_comments=2)
    post_comment(make_user(), paper.pk, "one")
    post_comment(make_user(), paper.pk, "two")

    card_page = client.get(DAY).content.decode()
    daily = client.get("/api/daily_papers", {"date": "2025-03-14"}).json()
    one = client.get(f"/api/papers/{paper.arxiv_id}").json()

    assert re.search(
        r'class="meta-comments".*?\b4<span class="visually-hidden"> comments', card_page, re.DOTALL
    )
    assert daily[0]["numComments"] == 4
    assert one["numComments"] == 4


@pytest.mark.parametrize("path", [DAY, "/api/daily_papers?date=2025-03-14"])
def test_comment_counts_cost_no_query_per_paper(client, path):
    def queries_for(papers_with_comments: int) -> int:
        Comment.objects.all().delete()
        for paper in papers[:papers_with_comments]:
            post_comment(author, paper.pk, "a comment")
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    author = make_user()
    papers = [make_paper() for _ in range(12)]

    assert queries_for(12) == queries_for(1)


def test_the_paper_page_reads_the_whole_discussion_in_constant_queries(client):
    paper = make_paper()
    signed_in(client, "reader")

    def queries_for(threads: int) -> int:
        for n in range(threads):
            top = post_comment(make_user(), paper.pk, f"top {n}")
            post_comment(make_user(), paper.pk, f"reply {n}", parent_id=top.pk)
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page(paper)).status_code == 200
        return len(captured)

    few = queries_for(1)
    many = queries_for(10)
    assert many == few


def test_the_profile_lists_the_users_comments(client):
    paper = make_paper(title="A paper worth discussing")
    ada = make_user("ada")
    post_comment(ada, paper.pk, "My **thoughts**")

    html = client.get("/users/ada").content.decode()

    assert "<strong>thoughts</strong>" in html
    assert "A paper worth discussing" in html
    assert f'href="/papers/{paper.arxiv_id}#comment-' in html
