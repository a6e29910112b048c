import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from dailypapers.ratelimit import hit, rate_limited
from dailypapers.settings import RateLimit, parse_rate_limits


def test_parse_rate_limits_reads_action_count_seconds_pairs():
    assert parse_rate_limits("login=10/300, vote=120/60") == {
        "login": RateLimit(10, 300),
        "vote": RateLimit(120, 60),
    }


@pytest.mark.parametrize("bad", ["login", "login=10", "login=ten/60", "login=10/x"])
def test_parse_rate_limits_names_the_variable_on_bad_input(bad):
    with pytest.raises(ValueError, match="DAILYPAPERS_RATE_LIMITS"):
        parse_rate_limits(bad)


def test_hit_allows_up_to_the_limit_then_says_how_long_to_wait(settings):
    settings.RATE_LIMITS = {"vote": RateLimit(3, 60)}
    assert [hit("vote", "ip:1") for _ in range(3)] == [0, 0, 0]
    wait = hit("vote", "ip:1")
    assert 1 <= wait <= 60
    assert hit("vote", "ip:2") == 0  # another client has its own budget


def test_unlisted_action_is_not_limited(settings):
    settings.RATE_LIMITS = {}
    assert all(hit("anything", "k") == 0 for _ in range(100))


@pytest.mark.django_db
def test_decorated_view_answers_429_with_retry_after_past_the_limit(settings):
    settings.RATE_LIMITS = {"login": RateLimit(2, 300)}

    @rate_limited("login")
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    answers = [view(factory.post("/login", REMOTE_ADDR="10.9.9.9")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2]["Retry-After"]) <= 300
    assert b"Too many login attempts" in answers[2].content
    assert view(factory.get("/login", REMOTE_ADDR="10.9.9.9")).status_code == 200  # GET not counted


@pytest.mark.django_db
def test_api_paths_get_a_json_429(settings):
    settings.RATE_LIMITS = {"vote": RateLimit(1, 60)}

    @rate_limited("vote")
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    view(factory.post("/api/papers/1/vote", REMOTE_ADDR="10.1.1.1"))
    answer = view(factory.post("/api/papers/1/vote", REMOTE_ADDR="10.1.1.1"))
    assert answer.status_code == 429
    assert answer["Content-Type"] == "application/json"
    assert json.loads(answer.content)["retry_after"] >= 1
