"""Signed tokens stay out of the logs.

A digest, confirmation or password-reset link holds a token as good as a password for what it
opens. The tokens are blanked out of log text (gunicorn's request line and Referer, Django's own
lines such as ``Bad Request: /digest/...``, tracebacks) and out of the nginx log format that
docs/install.md proposes; pages opened by such a link keep it out of Referer headers and caches.
A request served by the real gunicorn is in tests/test_deploy.py.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import pytest
from django.urls import get_resolver, reverse

from dailypapers.web.token_urls import ScrubbingFormatter, is_token_parameter, scrub

INSTALL_DOC = Path(__file__).resolve().parent.parent / "docs" / "install.md"

# Shaped like a django.core.signing token: base64 payload, timestamp and signature.
TOKEN = "eyJzIjo0Mn0:1tXyZa:Q2hlY2stdGhpcy1zaWduYXR1cmUtcGxlYXNl"
OTHER_TOKEN = "eyJ1IjoxfQ:1tXyZb:YW5vdGhlci1zaWduYXR1cmUtaGVyZQ"
# Every route whose path carries a token, with its other parameters: a new token route fails
# test_the_list_of_token_routes_is_complete until it is added here (and to the nginx map).
TOKEN_ROUTES = {
    "accounts.verify": {},
    "accounts.password_reset_confirm": {"uidb64": "MQ"},
    "digests.confirm": {},
    "digests.preferences": {},
    "digests.new_links": {},
    "digests.unsubscribe": {},
    "digests.not_interested": {},
}
PLACEHOLDER = "<token>"


def token_path(name: str, token: str = TOKEN) -> str:
    return reverse(name, kwargs={"token": token, **TOKEN_ROUTES[name]})


def access_line(path: str, referer: str = "-") -> str:
    return (
        f'127.0.0.1 - - [03/Dec/2026:10:00:00 +0000] "GET {path}?from=mail HTTP/1.1" 200 512 '
        f'"{referer}" "Mozilla/5.0 (X11; Linux x86_64)"'
    )


def test_the_list_of_token_routes_is_complete():
    named_with_token = {
        name
        for name, possibilities in get_resolver().reverse_dict.lists()
        if isinstance(name, str)
        for possibility in possibilities
        for _, parameters in possibility[0]
        if any(map(is_token_parameter, parameters))
    }

    assert named_with_token == set(TOKEN_ROUTES)


@pytest.mark.parametrize("name", sorted(TOKEN_ROUTES))
def test_the_token_of_every_signed_link_is_blanked_in_an_access_log_line(name):
    path = token_path(name)
    line = access_line(path, referer=f"https://papers.example.org{token_path(name, OTHER_TOKEN)}")

    scrubbed = scrub(line)

    assert TOKEN not in scrubbed and OTHER_TOKEN not in scrubbed
    assert scrubbed == line.replace(TOKEN, PLACEHOLDER).replace(OTHER_TOKEN, PLACEHOLDER)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/tokens/12/revoke",  # an id, not a secret
        "/accounts/password/reset/sent",
        "/accounts/verify/resend",
        "/papers/2503.00001",
        "/digest/preferences",
        "/search?q=token",
    ],
)
def test_paths_without_a_token_are_left_alone(path):
    line = access_line(path)

    assert scrub(line) == line


def test_a_token_in_a_traceback_is_blanked_too():
    path = token_path("digests.preferences")
    try:
        raise RuntimeError(f"could not render {path}")
    except RuntimeError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", (path,),
            sys.exc_info(),
        )  # fmt: skip

    text = ScrubbingFormatter("%(levelname)s %(message)s").format(record)

    assert TOKEN not in text
    assert text.count("/digest/preferences/<token>") == 2
    assert "Traceback" in text


def test_a_wrapped_formatter_keeps_its_format_and_loses_the_token():
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, access_line(token_path("accounts.verify")),
        None, None,
    )  # fmt: skip

    text = ScrubbingFormatter(wrapped=logging.Formatter("access: %(message)s")).format(record)

    assert text.startswith("access: 127.0.0.1") and "/accounts/verify/<token>?from=mail" in text


@pytest.mark.django_db
def test_djangos_request_log_blanks_the_token(client, caplog):
    response = client.get(token_path("digests.preferences"))

    assert response.status_code >= 400
    # settings.LOGGING's handler, the only one besides pytest's (Django's own would not scrub).
    (handler,) = [
        handler
        for handler in logging.getLogger("django").handlers
        if not type(handler).__module__.startswith("_pytest")
    ]
    lines = [handler.format(record) for record in caplog.records]
    assert any(
        "WARNING django.request: Bad Request: /digest/preferences/<token>" in line for line in lines
    ), lines
    assert not any(TOKEN in line for line in lines)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accounts.verify", "digests.preferences", "digests.confirm"])
def test_a_page_opened_by_a_token_keeps_it_out_of_referers_and_caches(client, name):
    response = client.get(token_path(name))

    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_other_pages_keep_the_sites_referrer_policy(client):
    response = client.get(reverse("accounts.login"))

    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_nginx_log_format_in_the_install_guide_blanks_every_token_route():
    text = INSTALL_DOC.read_text()
    found = re.search(r'map \$request_uri \$loggable_request_uri \{\n\s+"~(.+?)" "(.+?)";', text)
    assert found, "docs/install.md: no map of $request_uri to $loggable_request_uri"
    # nginx (PCRE) named groups and ${name} references, in Python's spelling.
    pattern = re.compile(found.group(1).replace("(?<", "(?P<"))
    replacement = re.sub(r"\$\{(\w+)\}", r"\\g<\1>", found.group(2))

    for name in TOKEN_ROUTES:
        path = token_path(name) + "?from=mail"
        assert pattern.sub(replacement, path) == path.replace(TOKEN, PLACEHOLDER), name
    for path in ("/accounts/tokens/12/revoke", "/accounts/verify/resend", "/papers/2503.00001"):
        assert not pattern.match(path)
