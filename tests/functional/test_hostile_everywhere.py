"""One hostile corpus, every surface: the paper of ``test_web_security`` (every field an attack) plus
a member whose display name, comment and reply are attacks, read back through the pages (feed,
paper, author, organization, profile, trending, search), the feeds and the JSON API. Markup stays
text, no handler or ``javascript:`` URL is created, the RTL override stays isolated, and the API
returns the exact strings as JSON (never HTML).
"""

from __future__ import annotations

import json

import feedparser
import pytest

from dailypapers.accounts.models import Profile
from dailypapers.community.services.comments import post_comment
from dailypapers.community.services.trending import recompute_trending_scores
from dailypapers.community.services.votes import upvote_paper
from dailypapers.papers.models import Paper
from dailypapers.search import backend as search_backend
from dailypapers.search import indexing as search_indexing
from tests.functional.test_web_security import (
    BREAKOUT,
    JS_URL,
    RLO,
    SCRIPT,
    audit,
    hostile_paper,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.django_db

HOSTILE_COMMENT = (
    f"{SCRIPT} [click]({JS_URL}) <img src=x onerror=alert(1)> {BREAKOUT} {RLO}reversed "
    '<a href="javascript:alert(2)">raw</a> **bold**'
)


@pytest.fixture
def hostile_member(django_user_model, hostile_paper):  # noqa: F811
    member = django_user_model.objects.create_user("mallory", "m@example.org", password=None)
    Profile.objects.create(user=member, display_name=f"{SCRIPT}{RLO}{BREAKOUT}")
    paper = Paper.objects.get(arxiv_id="2503.66666")
    upvote_paper(member.pk, paper.pk)
    comment = post_comment(member, paper.pk, HOSTILE_COMMENT)
    post_comment(member, paper.pk, f"{SCRIPT} reply {RLO}", parent_id=comment.pk)
    recompute_trending_scores()
    return member


PAGES = [
    "/papers/date/2025-03-14",
    "/papers/2503.66666",
    "/users/mallory",
    "/papers/trending",
    "/authors/%3Cscript%3Ealert(1)%3C/script%3E",
    "/organizations/org%22%20onmouseover=%22x",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_the_attacks_as_text(client, hostile_member, path):
    response = client.get(path)

    html = response.content.decode()
    result = audit(html)
    assert response.status_code == 200, path
    # A quote in text is harmless; what matters is that no attribute or element was created.
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html
    assert result.handlers == [] and result.inline_scripts == 0
    assert not [url for url in result.urls if url.strip().lower().startswith("javascript:")]
    assert result.bidi_outside_isolation == []


def test_signed_in_pages_with_forms_show_the_attacks_as_text(client, hostile_member):
    client.force_login(hostile_member)

    for path in ("/papers/2503.66666", "/users/mallory", "/papers/date/2025-03-14"):
        html = client.get(path).content.decode()
        result = audit(html)
        assert SCRIPT not in html, path
        assert result.handlers == [] and result.inline_scripts == 0, path
        assert result.bidi_outside_isolation == [], path


def test_the_search_page_shows_the_attacks_as_text(client, hostile_member, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    search_indexing.rebuild_index()
    try:
        html = client.get("/search", {"q": "alert gnp reversed"}).content.decode()
    finally:
        search_backend._indexes.pop(tmp_path / "search", None)

    result = audit(html)
    assert "2503.66666" in html
    assert SCRIPT not in html
    assert result.handlers == [] and result.inline_scripts == 0
    assert result.bidi_outside_isolation == []


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize(
    "feed",
    [
        "daily",
        "trending",
        "authors/%3Cscript%3Ealert(1)%3C/script%3E",
        "organizations/org%22%20onmouseover=%22x",
    ],
)
def test_every_feed_parses_and_carries_the_attacks_as_text(client, hostile_member, feed, fmt):
    response = client.get(f"/feeds/{feed}.{fmt}")

    parsed = feedparser.parse(response.content)
    assert response.status_code == 200 and not parsed.bozo, parsed.get("bozo_exception")
    entry = next(e for e in parsed.entries if "2503.66666" in e.link)
    assert entry.title.startswith(SCRIPT)  # exactly the text, not markup


@pytest.mark.parametrize(
    "path", ["/api/papers/2503.66666", "/api/daily_papers?date=2025-03-14", "/api/papers"]
)
def test_the_api_returns_the_exact_strings_as_json_never_html(client, hostile_member, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    body = json.loads(response.content)
    paper = body if isinstance(body, dict) else body[0].get("paper", body[0])
    assert paper["title"] == f"{SCRIPT} {BREAKOUT} {RLO}gnp.exe"  # exact, as Hugging Face's API
