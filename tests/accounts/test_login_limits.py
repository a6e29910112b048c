"""Log-in limits (accounts/login_limits.py): per client, per account counting failures only, and a
browser that logged in before is never locked out by someone else's failures; the same for the
admin's login. Behind a trusted proxy each visitor is counted on their own address.

Every attacker here comes from addresses of its own (a botnet), so only the per-account count
stands between it and the member, except where the per-client count is the point.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dailypapers.accounts.login_limits import COOKIE
from dailypapers.ratelimit import COUNTED
from dailypapers.settings import RateLimit, parse_trusted_proxies
from tests.accounts.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login"
ADMIN_LOGIN = "/admin/login/"
BLOCKED = f"Too many {COUNTED['login']}".encode()


@pytest.fixture(autouse=True)
def login_limit(settings):
    settings.RATE_LIMITS = {"login": RateLimit(10, 300)}
    # Hundreds of log-ins: argon2's deliberate slowness (tested in test_password.py) would make
    # this module take minutes, and the limits do not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client: Client, name: str, password: str, ip: str, url: str = LOGIN):
    return client.post(url, {"username": name, "password": password}, REMOTE_ADDR=ip)


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def known_browser(name: str, url: str = LOGIN) -> Client:
    """A browser that logged in to ``name`` once (and logged out): a known device."""
    browser = Client()
    assert log_in(browser, name, PASSWORD, "192.0.2.1", url).status_code == 302
    browser.post(reverse("accounts.logout"))
    assert signed_in_as(browser) is None and COOKIE in browser.cookies
    return browser


def attack(name: str, times: int, url: str = LOGIN) -> list[int]:
    """``times`` wrong passwords for ``name``, each from a new address and a fresh client."""
    return [
        log_in(Client(), name, f"guess {n}", f"198.51.{n // 250}.{n % 250 + 1}", url).status_code
        for n in range(times)
    ]


def test_an_attacker_failing_50_times_does_not_lock_the_member_out():
    ada = make_user("ada")
    browser = known_browser("ada")

    answers = attack("ada", 50)
    member = log_in(browser, "ada", PASSWORD, "203.0.113.5")
    attacker = log_in(Client(), "ada", PASSWORD, "198.51.100.250")

    assert answers[:10] == [200] * 10 and set(answers[10:]) == {429}
    assert member.status_code == 302 and signed_in_as(browser) == str(ada.pk)
    # The attacker (any unknown client) stays blocked, even with the right password.
    assert attacker.status_code == 429 and BLOCKED in attacker.content


def test_the_per_client_limit_still_holds_across_account_names():
    make_user("ada")
    for n in range(10):
        log_in(Client(), f"someone{n}", "guess", "198.51.100.7")

    blocked = log_in(Client(), "ada", PASSWORD, "198.51.100.7")
    elsewhere = log_in(Client(), "ada", PASSWORD, "198.51.100.8")

    assert blocked.status_code == 429 and BLOCKED in blocked.content
    assert elsewhere.status_code == 302


def test_only_failures_count_against_the_account():
    make_user("ada")

    answers = [log_in(Client(), "ada", PASSWORD, f"203.0.113.{n}").status_code for n in range(15)]

    assert answers == [302] * 15


@pytest.mark.parametrize("variant", ["ADA", "  ada  ", "ada@example.org", "Ada@Example.ORG"])
def test_every_way_of_naming_the_account_shares_its_count(variant):
    make_user("ada")
    for n in range(10):
        log_in(Client(), variant, "guess", f"198.51.100.{n + 1}")

    blocked = log_in(Client(), "ada", PASSWORD, "198.51.100.99")

    assert blocked.status_code == 429


def test_a_known_device_has_its_own_count_not_an_unlimited_one():
    make_user("ada")
    browser = known_browser("ada")
    for n in range(10):
        log_in(browser, "ada", "typo", f"203.0.113.{n + 1}")

    own = log_in(browser, "ada", PASSWORD, "203.0.113.99")
    stranger = log_in(Client(), "ada", PASSWORD, "203.0.113.98")

    assert own.status_code == 429
    assert stranger.status_code == 302  # the device's failures were its own


def test_being_known_to_another_account_does_not_help():
    make_user("ada")
    make_user("mallory")
    mallory = known_browser("mallory")

    attack("ada", 10)
    answer = log_in(mallory, "ada", PASSWORD, "198.51.100.200")

    assert answer.status_code == 429


def test_a_forged_or_copied_cookie_is_ignored():
    ada = make_user("ada")
    browser = known_browser("ada")
    value = browser.cookies[COOKIE].value
    attack("ada", 10)

    forged = Client()
    forged.cookies[COOKIE] = value[:-3] + ("abc" if not value.endswith("abc") else "xyz")
    tampered = log_in(forged, "ada", PASSWORD, "203.0.113.50")
    copied = Client()
    copied.cookies[COOKIE] = value
    kept = log_in(copied, "ada", PASSWORD, "203.0.113.51")

    assert tampered.status_code == 429
    # A copy is the same device: a stolen cookie gives its thief only that device's count.
    assert kept.status_code == 302 and signed_in_as(copied) == str(ada.pk)


def test_a_new_password_forgets_every_other_device():
    ada = make_user("ada")
    browser = known_browser("ada")
    ada.set_password("a brand new passphrase")
    ada.save()
    attack("ada", 10)

    answer = log_in(browser, "ada", "a brand new passphrase", "203.0.113.60")

    assert answer.status_code == 429


def test_a_password_reset_makes_the_browser_known(post, smtp_server, client):
    from tests.accounts.test_password import reset_link

    make_user("ada")
    attack("ada", 10)
    post(reverse("accounts.password_reset"), {"email": "ada@example.org"})
    form = client.get(reset_link(smtp_server), follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "fresh horse battery 9", "new_password2": "fresh horse battery 9"},
    )

    answer = log_in(client, "ada", "fresh horse battery 9", "203.0.113.70")

    assert answer.status_code == 302


def test_names_without_an_account_are_limited_like_accounts():
    make_user("ada")

    answers = attack("nobody", 11)
    real = attack("ada", 11)

    assert answers == real == [200] * 10 + [429]


def test_a_lock_out_page_tells_the_member_what_still_works():
    make_user("ada")
    attack("ada", 10)

    page = log_in(Client(), "ada", PASSWORD, "203.0.113.80").content.decode()

    assert "Try again in" in page and "logged in with before" in page
    assert "resetting your password" in page


# -- The admin's login ---------------------------------------------------------------------------


def make_staff(name: str = "root"):
    user = make_user(name)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


def test_the_admin_login_is_limited_per_client():
    make_staff()
    for n in range(10):
        log_in(Client(), f"guess{n}", "guess", "198.51.100.7", ADMIN_LOGIN)

    blocked = log_in(Client(), "root", PASSWORD, "198.51.100.7", ADMIN_LOGIN)

    assert blocked.status_code == 429 and BLOCKED in blocked.content


def test_the_admin_login_counts_failures_per_account_and_spares_known_devices():
    root = make_staff()
    browser = known_browser("root", ADMIN_LOGIN)

    answers = attack("root", 20, ADMIN_LOGIN)
    stranger = log_in(Client(), "root", PASSWORD, "198.51.100.251", ADMIN_LOGIN)
    member = log_in(browser, "root", PASSWORD, "203.0.113.90", ADMIN_LOGIN)

    assert answers[:10] == [200] * 10 and set(answers[10:]) == {429}
    assert stranger.status_code == 429
    assert member.status_code == 302 and signed_in_as(browser) == str(root.pk)


def test_the_admin_and_site_logins_share_one_count_per_account():
    make_staff()
    for n in range(5):
        log_in(Client(), "root", "guess", f"198.51.100.{n + 1}")
    for n in range(5):
        log_in(Client(), "ROOT", "guess", f"198.51.101.{n + 1}", ADMIN_LOGIN)

    blocked = log_in(Client(), "root", PASSWORD, "198.51.102.1", ADMIN_LOGIN)

    assert blocked.status_code == 429


# -- Behind a reverse proxy ----------------------------------------------------------------------


def via_nginx(client: Client, name: str, password: str, visitor: str, url: str = LOGIN):
    return client.post(
        url,
        {"username": name, "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=visitor,
    )


def test_behind_a_trusted_proxy_each_visitor_has_its_own_limit(settings):
    settings.TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1,::1")
    make_user("ada")
    for n in range(10):
        via_nginx(Client(), f"someone{n}", "guess", "198.51.100.7")

    noisy = via_nginx(Client(), "ada", PASSWORD, "198.51.100.7")
    # The same client naming another address in the header it sends does not escape.
    spoofed = via_nginx(Client(), "ada", PASSWORD, "192.0.2.33, 198.51.100.7")
    other = via_nginx(Client(), "ada", PASSWORD, "203.0.113.7")

    assert noisy.status_code == 429 and spoofed.status_code == 429
    assert other.status_code == 302


def test_without_trusted_proxies_a_forwarded_header_changes_nothing(settings):
    settings.TRUSTED_PROXIES = ()
    make_user("ada")
    for n in range(10):
        via_nginx(Client(), f"someone{n}", "guess", f"198.51.100.{n + 1}")

    blocked = via_nginx(Client(), "ada", PASSWORD, "203.0.113.7")

    assert blocked.status_code == 429  # every request is the proxy's: one client
