"""Rate limits: counting windows, 429 answers, and who the client is (trusted proxies)."""

from __future__ import annotations

import json
import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from dailypapers.ratelimit import client_ip, client_key, hit, rate_limited, refund
from dailypapers.settings import RateLimit, parse_rate_limits, parse_trusted_proxies
from tests.test_configuration import import_settings


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
    assert b"Too many login attempts from you" in answers[2].content
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


# -- DAILYPAPERS_RATE_LIMITS: overrides keep the other defaults; typos stop start-up -------------


def test_naming_one_action_keeps_the_other_defaults(tmp_path):
    run = import_settings(tmp_path, "sorted(s.RATE_LIMITS.items())", RATE_LIMITS="login=5/60")

    assert run.returncode == 0, run.stderr
    limits = dict(eval(run.stdout, {"RateLimit": RateLimit}))  # noqa: S307 (our own repr)
    assert limits["login"] == RateLimit(5, 60)
    assert limits["search"] == RateLimit(60, 60)
    assert limits["comment"] == RateLimit(20, 300)


@pytest.mark.parametrize(
    ("value", "says"),
    [("serch=10/60", "there is no action 'serch'"), ("login=-1/60", "count of 0 or more")],
)
def test_a_bad_rate_limit_stops_start_up_naming_the_problem(tmp_path, value, says):
    run = import_settings(tmp_path, RATE_LIMITS=value)

    assert run.returncode != 0
    assert "DAILYPAPERS_RATE_LIMITS" in run.stderr and says in run.stderr


def test_refund_gives_back_one_attempt(settings):
    settings.RATE_LIMITS = {"login": RateLimit(2, 60)}
    hit("login", "k")
    hit("login", "k")
    refund("login", "k")

    assert hit("login", "k") == 0
    assert hit("login", "k") > 0


# -- 429 answers say what was counted, how long to wait, and what to do -----------------------


def second_search(settings, seconds: int, path: str, **extra) -> HttpResponse:
    """The answer to a second search within a limit of one per ``seconds``."""
    settings.RATE_LIMITS = {"search": RateLimit(1, seconds)}

    @rate_limited("search", methods=("GET",))
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    view(factory.get(path, REMOTE_ADDR="10.4.4.4", **extra))
    return view(factory.get(path, REMOTE_ADDR="10.4.4.4", **extra))


@pytest.mark.django_db
def test_the_429_page_says_what_and_how_long_and_offers_to_try_again(settings):
    answer = second_search(settings, 90, "/search?q=x")
    html = answer.content.decode()

    assert answer.status_code == 429
    assert re.search(
        r"Too many searches from you in a short time\. Try again in \d+ seconds\.", html
    )
    assert 'href="/search?q=x"' in html and "Try again</a>" in html
    assert "<h1>Slow down</h1>" in html


@pytest.mark.django_db
def test_a_json_client_gets_the_same_message_as_json(settings):
    answer = second_search(settings, 600, "/x", HTTP_ACCEPT="application/json")

    body = json.loads(answer.content)
    assert answer.status_code == 429 and answer["Content-Type"] == "application/json"
    assert set(body) == {"error", "retry_after"}
    assert body["error"].startswith("Too many searches") and "minutes" in body["error"]
    assert int(answer["Retry-After"]) == body["retry_after"]


# -- The client's address: REMOTE_ADDR, or X-Forwarded-For through trusted proxies only --------

NGINX = "127.0.0.1"


def request_from(remote: str = NGINX, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1, ::1")


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = ()

    assert client_ip(request_from(NGINX, "203.0.113.7")) == NGINX
    assert client_ip(request_from("198.51.100.1", "203.0.113.7")) == "198.51.100.1"


def test_behind_a_trusted_proxy_the_client_is_the_hop_it_added(behind_nginx):
    assert client_ip(request_from(NGINX, "203.0.113.7")) == "203.0.113.7"


def test_hops_the_client_wrote_itself_are_never_believed(behind_nginx):
    # The client sent "X-Forwarded-For: 6.6.6.6, 127.0.0.1"; nginx appended the real address.
    request = request_from(NGINX, "6.6.6.6, 127.0.0.1, 203.0.113.7")

    assert client_ip(request) == "203.0.113.7"


def test_a_request_that_bypasses_the_proxy_cannot_name_its_address(behind_nginx):
    assert client_ip(request_from("198.51.100.9", "203.0.113.7")) == "198.51.100.9"


def test_several_trusted_proxies_are_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1,10.0.0.0/8,2001:db8:ffff::/48")
    request = request_from(NGINX, "6.6.6.6, 203.0.113.7, 2001:db8:ffff::2, 10.1.2.3")

    assert client_ip(request) == "203.0.113.7"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("2001:db8:1:2::5", "2001:db8:1:2::5"),
        ("[2001:db8:1:2::5]:443", "2001:db8:1:2::5"),
        ("203.0.113.7:51234", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("fe80::1%eth0", "fe80::1"),
        ("  203.0.113.7  ", "203.0.113.7"),
    ],
)
def test_address_forms_proxies_send_are_read(behind_nginx, forwarded, client):
    assert client_ip(request_from(NGINX, forwarded)) == client


MALFORMED = [
    "",
    " ",
    ",,,",
    "unknown",
    "evil.example.org",
    "1.2.3",
    "999.1.1.1",
    "[::1",
    "[::1]x",
    "2001:db8::zz",
    "\x00\x01",
    "a" * 100_000,
    ", ".join(["127.0.0.1"] * 50_000),
    "203.0.113.7, not-an-address",
]


@pytest.mark.parametrize("forwarded", MALFORMED, ids=lambda v: repr(v[:30]))
def test_a_malformed_header_neither_crashes_nor_picks_the_key(behind_nginx, forwarded):
    # Nothing to believe: the last address a trusted party vouched for (here, the proxy itself).
    assert client_ip(request_from(NGINX, forwarded)) == NGINX


def test_garbage_left_of_the_real_hop_is_never_reached(behind_nginx):
    assert client_ip(request_from(NGINX, "not-an-address, 203.0.113.7")) == "203.0.113.7"


def test_a_missing_or_odd_remote_addr_is_one_unknown_client(settings):
    settings.TRUSTED_PROXIES = ()

    assert client_ip(request_from("")) == "unknown"
    assert client_ip(request_from("not an address")) == "unknown"


def test_an_ipv6_client_is_counted_by_its_slash_64(behind_nginx):
    one = client_key(request_from(NGINX, "2001:db8:1:2::5"))
    same_network = client_key(request_from(NGINX, "2001:db8:1:2:ffff::9"))
    other_network = client_key(request_from(NGINX, "2001:db8:1:3::5"))

    assert one == same_network == "ip:2001:db8:1:2::/64"
    assert other_network != one
    assert client_key(request_from(NGINX, "203.0.113.7")) == "ip:203.0.113.7"


def test_parse_trusted_proxies_reads_addresses_and_networks_of_both_families():
    networks = parse_trusted_proxies(" 127.0.0.1, 10.0.0.0/8 ,::1, 2001:db8::/32,")

    assert [str(n) for n in networks] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "2001:db8::/32"]
    assert parse_trusted_proxies("") == ()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("localhost", "not an IP address or network"),
        ("10.0.0.0/33", "not an IP address or network"),
        ("127.0.0.1;10.0.0.1", "not an IP address or network"),
        ("0.0.0.0/0", "trusts every address"),
        ("::/0", "trusts every address"),
    ],
)
def test_a_bad_trusted_proxy_value_is_refused_naming_the_variable(value, says):
    with pytest.raises(ValueError, match="DAILYPAPERS_TRUSTED_PROXIES") as error:
        parse_trusted_proxies(value)
    assert says in str(error.value)


def test_a_bad_trusted_proxy_value_stops_start_up(tmp_path):
    run = import_settings(tmp_path, TRUSTED_PROXIES="nginx")

    assert run.returncode != 0
    assert "DAILYPAPERS_TRUSTED_PROXIES" in run.stderr and "'nginx'" in run.stderr
