"""The write API through the HTTP client: submit, upvote and withdraw with a personal API token.

Tokens act only for their owner; no token, a bad or revoked one, or a session cookie alone get a
JSON 401 and change nothing; refusals are JSON with the refusal's status; abuse gets 429 with
Retry-After; the endpoints are in the OpenAPI schema. arXiv is the recorded answers served by a
local HTTP server.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.accounts import services as accounts
from dailypapers.community.models import Submission, Vote
from dailypapers.papers.models import DailyEntry, Paper
from dailypapers.settings import RateLimit
from tests.community.arxiv_stub import (
    HEAT_BATH,
    UNKNOWN,
    arxiv_fixture,  # noqa: F401 (the ``arxiv`` fixture)
    withdrawn_body,
)
from tests.community.conftest import make_user
from tests.conftest import Exchange
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>\u202e'


@pytest.fixture(autouse=True)
def rules(settings):
    settings.SUBMISSION_WINDOW_DAYS = 0  # the recorded papers are years old
    settings.SUBMISSIONS_PER_DAY = 5
    settings.SUBMISSION_FETCH_TIMEOUT_SECONDS = 5


def token_for(user) -> str:
    return accounts.create_api_token(user, "script")[1]


def post_json(client: Client, path: str, body: dict | str | None = None, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else json.dumps(body or {})
    return client.post(path, data, content_type="application/json", **headers)


def delete(client: Client, path: str, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.delete(path, **headers)


# --- Submit ---------------------------------------------------------------------------------------


def test_submitting_with_a_token_puts_the_paper_on_todays_feed_for_the_tokens_owner(client, arxiv):
    ada = make_user("ada")

    response = post_json(
        client,
        "/api/papers/submit",
        {"arxiv": "https://arxiv.org/abs/1605.08386v1", "github_repo": "https://github.com/a/b"},
        token_for(ada),
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": HEAT_BATH,
        "title": "Heat-bath random walks with Markov bases",
        "url": f"http://127.0.0.1:8000/papers/{HEAT_BATH}",
        "date": timezone.now().date().isoformat(),
        "submitter": "ada",
        "created": True,
    }
    assert response["Location"] == body["url"]
    entry = DailyEntry.objects.get()
    assert entry.submitter_name == "ada" and entry.date == timezone.now().date()
    assert Submission.objects.get().user == ada
    assert Paper.objects.get().github_repo == "https://github.com/a/b"


def test_the_submitted_paper_is_in_the_api_feed_of_today(client, arxiv):
    post_json(client, "/api/papers/submit", {"arxiv": HEAT_BATH}, token_for(make_user("ada")))

    feed = client.get("/api/daily_papers", {"date": timezone.now().date().isoformat()}).json()

    assert [item["paper"]["id"] for item in feed] == [HEAT_BATH]
    assert feed[0]["submittedBy"]["name"] == "ada"


def test_a_user_field_in_the_body_cannot_submit_for_someone_else(client, arxiv):
    make_user("ada")
    bob = make_user("bob")

    response = post_json(
        client,
        "/api/papers/submit",
        {"arxiv": HEAT_BATH, "user": "ada", "submitter": "ada", "user_id": 1},
        token_for(bob),
    )

    assert response.status_code == 201
    assert DailyEntry.objects.get().submitter_name == "bob"
    assert Submission.objects.get().user == bob


@pytest.mark.parametrize(
    ("setup", "body", "status", "code"),
    [
        (None, {"arxiv": "not an id"}, 400, "invalid_reference"),
        (None, {"arxiv": HEAT_BATH, "github_repo": "javascript:alert(1)"}, 400, "invalid_link"),
        (None, {"arxiv": HEAT_BATH, "project_page": "data:text/html,x"}, 400, "invalid_link"),
        (None, {"arxiv": HEAT_BATH, "organization": HOSTILE}, 400, "invalid_link"),
        (None, {"arxiv": UNKNOWN}, 404, "unknown_paper"),
        ("withdrawn", {"arxiv": HEAT_BATH}, 422, "withdrawn"),
        ("window", {"arxiv": HEAT_BATH}, 422, "too_old"),
        ("upstream_500", {"arxiv": HEAT_BATH}, 502, "upstream_error"),
        ("upstream_garbage", {"arxiv": HEAT_BATH}, 502, "upstream_error"),
    ],
)
def test_refusals_are_json_with_a_status_code_and_message_and_store_nothing(
    client, arxiv, settings, shared_data, setup, body, status, code
):
    if setup == "withdrawn":
        arxiv.answers[HEAT_BATH] = Exchange(200, withdrawn_body(shared_data))
    elif setup == "window":
        settings.SUBMISSION_WINDOW_DAYS = 14
    elif setup == "upstream_500":
        arxiv.answers[HEAT_BATH] = Exchange(500, b"oops", "text/plain")
    elif setup == "upstream_garbage":
        arxiv.answers[HEAT_BATH] = Exchange(200, b"<feed><entry>")

    response = post_json(client, "/api/papers/submit", body, token_for(make_user("ada")))

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["code"] == code and data["error"]
    assert "<" not in data["error"] and "\u202e" not in data["error"]
    assert not Paper.objects.exists() and not Submission.objects.exists()


def test_a_duplicate_is_refused_with_a_link_to_the_paper_on_the_feed(client, arxiv):
    make_paper(arxiv_id=HEAT_BATH, day=dt.date(2026, 11, 20))

    response = post_json(
        client, "/api/papers/submit", {"arxiv": "1605.08386v1"}, token_for(make_user("ada"))
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "arXiv:1605.08386 is already on the daily feed (since Nov 20, 2026).",
        "code": "duplicate",
        "param": "arxiv",
        "paper": {"id": HEAT_BATH, "url": f"http://127.0.0.1:8000/papers/{HEAT_BATH}"},
    }
    assert arxiv.asked_for == []


def test_the_daily_cap_is_answered_429_with_retry_after_until_midnight(client, arxiv, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    token = token_for(make_user("ada"))
    post_json(client, "/api/papers/submit", {"arxiv": HEAT_BATH}, token)

    response = post_json(client, "/api/papers/submit", {"arxiv": "1707.08567"}, token)

    assert response.status_code == 429
    assert response.json()["code"] == "daily_cap"
    assert 0 < int(response["Retry-After"]) <= 86400
    assert not Paper.objects.filter(arxiv_id="1707.08567").exists()


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        json.dumps({"github_repo": "https://github.com/a/b"}),
        json.dumps({"arxiv": 1605.08386}),
        json.dumps({"arxiv": "1605.08386" + "x" * 500_000}),
    ],
)
def test_a_malformed_body_is_a_json_400_that_echoes_nothing(client, arxiv, body):
    response = post_json(client, "/api/papers/submit", body, token_for(make_user("ada")))

    assert response.status_code == 400
    assert "error" in response.json()
    assert len(response.content) < 2000
    assert arxiv.asked_for == [] and not Paper.objects.exists()


def test_submissions_are_rate_limited_with_retry_after(client, arxiv, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": RateLimit(2, 600)}
    token = token_for(make_user("ada"))

    answers = [
        post_json(client, "/api/papers/submit", {"arxiv": "nope"}, token).status_code
        for _ in range(3)
    ]
    limited = post_json(client, "/api/papers/submit", {"arxiv": HEAT_BATH}, token)

    assert answers == [400, 400, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 600
    assert "retry_after" in limited.json()
    assert not Paper.objects.exists()
    # Another user's budget is their own.
    other = post_json(client, "/api/papers/submit", {"arxiv": HEAT_BATH}, token_for(make_user()))
    assert other.status_code == 201


# --- Upvote and withdraw -------------------------------------------------------------------------


def test_upvote_and_withdraw_with_a_token(client):
    paper = make_paper(upvotes=7)
    ada = make_user("ada")
    token = token_for(ada)
    path = f"/api/papers/{paper.arxiv_id}/upvote"

    first = post_json(client, path, token=token)
    again = post_json(client, path, token=token)
    assert Vote.objects.get().user == ada
    withdrawn = delete(client, path, token)
    withdrawn_again = delete(client, path, token)

    assert first.status_code == 200
    assert first.json() == {"id": paper.arxiv_id, "upvoted": True, "changed": True, "upvotes": 8}
    assert again.json() == {"id": paper.arxiv_id, "upvoted": True, "changed": False, "upvotes": 8}
    assert withdrawn.json() == {
        "id": paper.arxiv_id,
        "upvoted": False,
        "changed": True,
        "upvotes": 7,
    }
    assert withdrawn_again.json()["changed"] is False
    assert not Vote.objects.exists()


def test_old_style_ids_and_versions_name_the_paper_to_vote_for(client):
    paper = make_paper(arxiv_id="hep-th/9901001")
    token = token_for(make_user("ada"))

    response = post_json(client, "/api/papers/hep-th/9901001v2/upvote", token=token)

    assert response.status_code == 200
    assert response.json()["id"] == "hep-th/9901001"
    assert Vote.objects.get().paper == paper


def test_a_token_withdraws_only_its_owners_vote(client):
    paper = make_paper()
    ada, bob = make_user("ada"), make_user("bob")
    path = f"/api/papers/{paper.arxiv_id}/upvote"
    post_json(client, path, token=token_for(ada))

    response = delete(client, path, token_for(bob))

    assert response.json()["changed"] is False
    assert list(Vote.objects.values_list("user__username", flat=True)) == ["ada"]


def test_a_bobs_token_acts_as_bob_even_in_adas_signed_in_session(client):
    paper = make_paper()
    ada, bob = make_user("ada"), make_user("bob")
    client.force_login(ada)

    post_json(client, f"/api/papers/{paper.arxiv_id}/upvote", token=token_for(bob))

    assert list(Vote.objects.values_list("user__username", flat=True)) == ["bob"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [("2999.99999", 404), ("not-an-id", 400), ("1605.08386/extra", 400)],
)
def test_voting_for_an_unknown_or_malformed_id_is_a_json_error(client, raw, status):
    response = post_json(client, f"/api/papers/{raw}/upvote", token=token_for(make_user()))

    assert response.status_code == status
    assert "error" in response.json()
    assert not Vote.objects.exists()


def test_a_hidden_paper_cannot_be_voted_for(client):
    paper = make_paper()
    Paper.objects.filter(pk=paper.pk).update(hidden=True)

    response = post_json(
        client, f"/api/papers/{paper.arxiv_id}/upvote", token=token_for(make_user())
    )

    assert response.status_code == 404
    assert not Vote.objects.exists()


def test_votes_are_rate_limited_with_retry_after(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": RateLimit(2, 60)}
    paper = make_paper()
    token = token_for(make_user("ada"))
    path = f"/api/papers/{paper.arxiv_id}/upvote"

    statuses = [post_json(client, path, token=token).status_code for _ in range(2)]
    limited = delete(client, path, token)

    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert Vote.objects.count() == 1  # the withdrawal over the limit did not happen


# --- Authentication -------------------------------------------------------------------------------

WRITES = [
    ("post", "/api/papers/submit"),
    ("post", "/api/papers/{id}/upvote"),
    ("delete", "/api/papers/{id}/upvote"),
]


def _send(client: Client, method: str, path: str, headers: dict):
    if method == "post":
        return client.post(path, json.dumps({"arxiv": HEAT_BATH}), "application/json", **headers)
    return client.delete(path, **headers)


def revoked_token() -> str:
    user = make_user("revoked")
    token, secret = accounts.create_api_token(user, "old")
    accounts.revoke_api_token(user, token.pk)
    return secret


def inactive_users_token() -> str:
    user = make_user("gone")
    secret = token_for(user)
    user.is_active = False
    user.save()
    return secret


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        lambda: "Bearer",
        lambda: "Bearer dp_" + "x" * 40,
        lambda: "Bearer " + HOSTILE,
        lambda: "Basic YWRhOnB3",
        lambda: f"Bearer {revoked_token()}",
        lambda: f"Bearer {inactive_users_token()}",
        lambda: f"Token {token_for(make_user('wrongscheme'))}",
    ],
)
def test_without_a_valid_token_writes_are_a_json_401_and_change_nothing(
    client, arxiv, method, path, authorization
):
    paper = make_paper(day=None)
    headers = {"HTTP_AUTHORIZATION": authorization()} if authorization else {}

    response = _send(client, method, path.format(id=paper.arxiv_id), headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "API token" in response.json()["error"]
    assert not Vote.objects.exists() and not Submission.objects.exists()
    assert not DailyEntry.objects.exists() and arxiv.asked_for == []


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_session_cookie_alone_cannot_write_through_the_api_so_csrf_cannot_be_bypassed(
    arxiv, method, path
):
    # A signed-in browser, and a cross-site form would have no CSRF token: both must fail.
    paper = make_paper(day=None)
    for client in (Client(), Client(enforce_csrf_checks=True)):
        client.force_login(make_user())
        csrf = client.get("/papers/submit").cookies.get("csrftoken")
        headers = {"HTTP_X_CSRFTOKEN": csrf.value} if csrf else {}

        response = _send(client, method, path.format(id=paper.arxiv_id), headers)

        assert response.status_code == 401
    assert not Vote.objects.exists() and not Submission.objects.exists()
    assert arxiv.asked_for == []


def test_reading_the_write_paths_changes_nothing(client):
    paper = make_paper()
    token = token_for(make_user("ada"))

    answers = [
        client.get(f"/api/papers/{paper.arxiv_id}/upvote", HTTP_AUTHORIZATION=f"Bearer {token}"),
        client.get(
            "/api/papers/submit", {"arxiv": HEAT_BATH}, HTTP_AUTHORIZATION=f"Bearer {token}"
        ),
    ]

    assert [a.status_code for a in answers] == [405, 405]
    assert not Vote.objects.exists() and not Submission.objects.exists()


# --- OpenAPI --------------------------------------------------------------------------------------


def test_the_write_endpoints_are_in_the_openapi_schema_with_bearer_auth(client):
    schema = client.get("/api/openapi.json").json()

    submit = schema["paths"]["/api/papers/submit"]["post"]
    vote = schema["paths"]["/api/papers/{arxiv_id}/upvote"]
    assert set(vote) == {"post", "delete"}
    assert submit["security"] == [{"TokenAuth": []}]
    assert vote["delete"]["security"] == [{"TokenAuth": []}]
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for status in ("201", "400", "401", "404", "409", "422", "429", "502"):
        assert status in submit["responses"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["components"]["schemas"][body["$ref"].split("/")[-1]]["properties"]) == {
        "arxiv",
        "organization",
        "github_repo",
        "project_page",
    }
