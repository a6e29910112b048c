"""A hostile client against a live server (pytest-django's ``live_server``, real HTTP, CSRF enforced
as for a browser), on SQLite and PostgreSQL.

It tries every write without a CSRF token on every route of the URL confs (enumerated, so a new
route is tried the day it is added), every write as the wrong person (another member's comment,
token, vote or reply; a member in the admin), every signed link tampered, expired, replayed or used
for another purpose, and bodies and headers past the limits. Each attempt must get a clear refusal
(a 4xx, or the login page for a visitor who is not signed in) and change nothing: the database is
snapshotted before and after (row counts and a checksum of every table, ``hostile.py``).

``test_every_write_route_has_its_hostile_cases`` fails when a route that takes a write has no case
here, nor a line in ``PUBLIC_WRITES`` saying why it needs none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from unittest import mock

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dailypapers.accounts import links
from dailypapers.accounts import services as accounts
from dailypapers.accounts.models import ApiToken
from dailypapers.accounts.permissions import MODERATORS_GROUP
from dailypapers.community.models import Comment
from dailypapers.community.services.comments import post_comment
from dailypapers.community.services.votes import upvote_paper
from dailypapers.digests.models import Subscriber
from dailypapers.digests.services import subscriptions
from dailypapers.papers.models import Paper
from tests.accounts.conftest import make_user
from tests.factories import make_paper
from tests.functional.hostile import (
    WRITE_METHODS,
    Route,
    changed_tables,
    database_snapshot,
    site_routes,
)

# live_server answers from another thread, so the data must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

EVIL_ORIGIN = "http://evil.example"
TIMEOUT = 30


# --- The world: people, papers and the things they own -------------------------------------------


@dataclass
class World:
    url: str
    paper: Paper
    other_paper: Paper
    hidden_paper: Paper
    ada: object  # the victim
    mallory: object  # the attacker, a member like any other
    moderator: object
    suspended: object
    ada_comment: Comment
    ada_token_id: int
    ada_token: str
    ada_revoked_token: str
    suspended_token: str
    links: dict[str, str] = field(default_factory=dict)  # kind -> a valid token of that kind
    browsers: list[Browser] = field(default_factory=list)

    def browser(self, user=None) -> Browser:
        """A browser signed in as ``user`` (anonymous without one), holding a CSRF cookie."""
        browser = Browser(self.url, user)
        self.browsers.append(browser)
        return browser


class Browser:
    """requests with a browser's cookies: the session and the CSRF cookie, never sent as a token
    unless asked (``csrf=True``), as a cross-site form post would be."""

    def __init__(self, url: str, user=None):
        self.url = url
        self.session = requests.Session()
        if user is not None:
            client = Client()
            client.force_login(user)
            self.session.cookies.set("sessionid", client.cookies["sessionid"].value)
        # Any page with a form sets the CSRF cookie.
        self.session.get(f"{url}/accounts/login", timeout=TIMEOUT)
        self.csrf_token = self.session.cookies.get("csrftoken", "")

    def send(
        self,
        method: str,
        path: str,
        data: dict | str | bytes | None = None,
        *,
        csrf: bool = True,
        headers: dict | None = None,
        json_body: object = None,
    ) -> requests.Response:
        sent = {"Origin": EVIL_ORIGIN} if not csrf else {"X-CSRFToken": self.csrf_token}
        sent.update(headers or {})
        return self.session.request(
            method,
            self.url + path,
            data=data,
            json=json_body,
            headers=sent,
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def world(live_server, request_threads_joined, settings) -> Iterator[World]:
    settings.SITE_URL = live_server.url
    # Hashing is not what is tested here, and argon2 for every member of every case is slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    paper = make_paper(arxiv_id="2503.10001", title="A paper")
    other_paper = make_paper(arxiv_id="2503.10002", title="Another paper")
    hidden_paper = make_paper(arxiv_id="2503.10003", title="A hidden paper")
    Paper.objects.filter(pk=hidden_paper.pk).update(hidden=True)
    ada = make_user("ada")
    mallory = make_user("mallory")
    moderator = make_user("moddy")
    # A live-server test flushes the database after itself, data migrations' rows included: the
    # group gets again the permissions its migration gives it.
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    migration = import_module("dailypapers.community.migrations.0004_moderators_group")
    for app_label, model, codename in migration.PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )
    moderator.groups.add(group)
    moderator.is_staff = True
    moderator.save()
    suspended = make_user("sus")
    upvote_paper(ada.pk, paper.pk)
    ada_comment = post_comment(ada, paper.pk, "Ada's words")
    token, secret = accounts.create_api_token(ada, "laptop")
    revoked, revoked_secret = accounts.create_api_token(ada, "old")
    accounts.revoke_api_token(ada, revoked.pk)
    suspended_secret = accounts.create_api_token(suspended, "bot")[1]
    suspended.is_active = False
    suspended.save()
    world = World(
        url=live_server.url,
        paper=paper,
        other_paper=other_paper,
        hidden_paper=hidden_paper,
        ada=ada,
        mallory=mallory,
        moderator=moderator,
        suspended=suspended,
        ada_comment=ada_comment,
        ada_token_id=token.pk,
        ada_token=secret,
        ada_revoked_token=revoked_secret,
        suspended_token=suspended_secret,
    )
    # Tokens used a moment ago: a request with one does not write its last use again.
    ApiToken.objects.update(last_used_at=timezone.now())
    # Ada subscribed to the digest with her verified address; Pat's subscription waits for its
    # confirmation link.
    ada_subscriber = subscriptions.subscribe(ada.email, user=ada).subscriber
    pat = subscriptions.subscribe("pat@example.org").subscriber
    world.links.update(
        confirm=subscriptions.confirmation_token(pat),
        preferences=subscriptions.preferences_token(ada_subscriber),
        unsubscribe=subscriptions.unsubscribe_token(ada_subscriber),
        not_interested=subscriptions.not_interested_token(ada_subscriber, paper.pk),
        legacy=signing.Signer(salt=subscriptions.LEGACY_MANAGE_SALT).sign_object(
            {"s": ada_subscriber.pk, "v": ada_subscriber.link_version}
        ),
    )
    world.links["verify"] = links.verification_token(ada)
    world.links["reset_uid"] = urlsafe_base64_encode(force_bytes(ada.pk))
    world.links["reset"] = default_token_generator.make_token(ada)
    yield world
    for browser in world.browsers:
        browser.close()


def samples(world: World, route: Route) -> dict[str, str]:
    """A value for each parameter of a route: real objects of the victim, valid tokens."""
    values = {
        "arxiv_id": world.paper.arxiv_id,
        "paper_id": world.paper.arxiv_id,
        "comment_id": str(world.ada_comment.pk),
        "token_id": str(world.ada_token_id),
        "username": "ada",
        "name": "Ada Lovelace",
        "value": "2025-03-14",
        "fmt": "rss",
        "version": "1",
        "uidb64": world.links["reset_uid"],
        "token": world.links["verify"],
        # The admin's parameters: an object that exists, a real app.
        "object_id": str(world.ada.pk),
        "id": str(world.ada.pk),
        "content_type_id": "1",
        "app_label": "papers",
        "url": "nowhere/",
    }
    values.update(ROUTE_TOKENS.get(route.name or "", lambda w: {})(world))
    return values


# The token each signed-link route takes (its own kind).
ROUTE_TOKENS: dict[str, Callable[[World], dict[str, str]]] = {
    "accounts.password_reset_confirm": lambda w: {"token": w.links["reset"]},
    "digests.confirm": lambda w: {"token": w.links["confirm"]},
    "digests.preferences": lambda w: {"token": w.links["preferences"]},
    "digests.new_links": lambda w: {"token": w.links["preferences"]},
    "digests.unsubscribe": lambda w: {"token": w.links["unsubscribe"]},
    "digests.not_interested": lambda w: {"token": w.links["not_interested"]},
}


Send = Callable[[], requests.Response]


def attempt(sends: Send | list[Send], refused: Callable[[requests.Response], bool]) -> None:
    """Send (one request, or several between the same two snapshots), and assert each answer is a
    refusal and the database did not change."""
    before = database_snapshot()
    responses = [send() for send in (sends if isinstance(sends, list) else [sends])]
    changed = changed_tables(before, database_snapshot())
    wheres = []
    for response in responses:
        where = f"{response.request.method} {response.request.url} -> {response.status_code}"
        assert refused(response), f"not refused: {where}\n{response.text[:300]}"
        assert response.status_code < 500, where
        wheres.append(where)
    assert changed == [], f"{'; '.join(wheres)} changed {changed}"


def is_4xx(response: requests.Response) -> bool:
    return 400 <= response.status_code < 500


def status(*codes: int) -> Callable[[requests.Response], bool]:
    return lambda response: response.status_code in codes


def json_error(code: int) -> Callable[[requests.Response], bool]:
    def refused(response: requests.Response) -> bool:
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return response.status_code == code and is_json and "error" in response.json()

    return refused


def to_login(response: requests.Response) -> bool:
    """A visitor who is not signed in is sent to the login page (nothing else happens)."""
    return response.status_code in (302, 303) and response.headers["Location"].startswith(
        ("/accounts/login", "/admin/login")
    )


# --- Every write without CSRF, on every route -----------------------------------------------------

# Routes that answer a write without a CSRF token, and why that is safe.
CSRF_EXEMPT_BY_DESIGN = {
    "api/": "the JSON API: a session cookie is no credential there, writes need a bearer token",
    "digest/unsubscribe/": "RFC 8058 one-click unsubscribe: the signed link is the credential",
}


def exempt_reason(route: Route) -> str | None:
    path = route.pattern.lstrip("^")
    return next(
        (why for prefix, why in CSRF_EXEMPT_BY_DESIGN.items() if path.startswith(prefix)), None
    )


def test_only_the_routes_meant_to_be_are_exempt_from_csrf():
    exempt = {route.label: exempt_reason(route) for route in site_routes() if route.csrf_exempt}

    assert exempt and all(exempt.values()), f"CSRF-exempt without a reason: {exempt}"


def by_group(routes: list[Route]) -> dict[str, list[Route]]:
    """Routes by their first path segment (an admin model for the admin): one database snapshot
    before and after each group keeps the sweeps quick; a failure names every request sent."""
    groups: dict[str, list[Route]] = {}
    for route in routes:
        parts = route.pattern.lstrip("^").split("/")
        groups.setdefault("/".join(parts[: 3 if is_admin(route) else 1]), []).append(route)
    return groups


def test_every_write_without_a_csrf_token_is_refused_and_changes_nothing(world):
    # The victim's own browser, tricked by another site: her cookies go along, no CSRF token.
    victim = world.browser(world.ada)
    routes = site_routes()
    for group in by_group(routes).values():
        sends = []
        for route in group:
            path = route.path(samples(world, route))
            if exempt_reason(route) == CSRF_EXEMPT_BY_DESIGN["digest/unsubscribe/"]:
                # Its signed link is the credential: without the right one, nothing happens.
                path = path.rsplit("/", 1)[0] + "/" + tamper(world.links["verify"])
            sends += [
                lambda m=method, p=path: victim.send(m, p, {"body": "x"}, csrf=False)
                for method in WRITE_METHODS
            ]
        # Exempt routes (the API) refuse for want of a credential, the others for want of a token.
        attempt(sends, lambda r: r.status_code == 403 or (is_4xx(r) and is_exempt_path(r)))
    assert len(routes) > 100  # the site, the admin and the API were all found


def is_exempt_path(response: requests.Response) -> bool:
    path = response.request.path_url.lstrip("/")
    return any(path.startswith(prefix) for prefix in CSRF_EXEMPT_BY_DESIGN)


def test_pages_and_the_admin_change_nothing_for_a_member_even_with_a_csrf_token(world):
    """Every route that declares no write (pages, feeds), and the whole admin for a member who
    is not staff: a POST with a good CSRF token is answered (a page, a 405, the admin's login)
    and writes nothing."""
    member = world.browser(world.mallory)
    for group in by_group(site_routes()).values():
        paths = [
            route.path(samples(world, route))
            for route in group
            # The site's write routes have their own cases below; the admin's log-out ends the
            # member's own session, as it should.
            if (not route.write_methods or route.methods is None or is_admin(route))
            and route.name != "logout"
        ]
        sends = [lambda p=path: member.send("POST", p, {"body": "x"}) for path in paths]
        if sends:
            attempt(sends, lambda r: r.status_code < 500)


def is_admin(route: Route) -> bool:
    return route.pattern.startswith("admin/")


def tamper(token: str) -> str:
    """The token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


# --- Writes as the wrong person, signed links misused, sizes past the limits ----------------------


def nothing(world: World) -> None:
    pass


@dataclass(frozen=True)
class Case:
    """One hostile request: who sends it, what, and how it must be refused."""

    route: str  # the route's name (as in the URL confs)
    who: str  # "mallory", "anonymous", "moderator" or "api" (no session at all)
    method: str
    path: Callable[[World], str]
    refused: Callable[[requests.Response], bool]
    data: Callable[[World], dict | bytes | None] = lambda w: None
    headers: Callable[[World], dict] = lambda w: {}
    json_body: Callable[[World], object] = lambda w: None
    setup: Callable[[World], None] = nothing  # done before the snapshot


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def paper_path(suffix: str, paper: str = "paper") -> Callable[[World], str]:
    return lambda w: f"/papers/{getattr(w, paper).arxiv_id}/{suffix}"


def comment_path(action: str) -> Callable[[World], str]:
    return lambda w: f"/comments/{w.ada_comment.pk}/{action}"


def verify_path(token: Callable[[World], str]) -> Callable[[World], str]:
    return lambda w: f"/accounts/verify/{token(w)}"


def reset_path(
    uid: Callable[[World], str], token: Callable[[World], str]
) -> Callable[[World], str]:
    return lambda w: f"/accounts/password/reset/{uid(w)}/{token(w)}"


NEW_PASSWORD = {
    "new_password1": "a new long passphrase 42",
    "new_password2": "a new long passphrase 42",
}


def expired_verification(world: World) -> str:
    long_ago = dt.datetime.now(dt.UTC) - accounts.VERIFY_MAX_AGE - dt.timedelta(hours=1)
    with mock.patch("time.time", return_value=long_ago.timestamp()):
        return links.verification_token(world.ada)


def expired_reset(world: World) -> str:
    long_ago = dt.datetime.now() - dt.timedelta(days=30)
    with mock.patch.object(default_token_generator, "_now", return_value=long_ago):
        return default_token_generator.make_token(world.ada)


def confirm_ada_once(world: World) -> None:
    """Ada is a fresh sign-up: her first confirmation is good (the replay is the attack)."""
    from dailypapers.accounts.models import Profile

    Profile.objects.filter(user=world.ada).update(email_verified_at=None)
    confirmed = world.browser().send("POST", f"/accounts/verify/{world.links['verify']}")
    assert confirmed.status_code == 302, confirmed.status_code


def reset_ada_once(world: World) -> None:
    """Ada used her reset link: its token is spent with her old password (the replay is the attack)."""
    world.ada.set_password("changed by the real owner 1")
    world.ada.save()


def link(route: str, kind: str, change: Callable[[str], str] = str) -> Callable[[World], str]:
    """The path of a digest page opened with a token of ``kind`` (changed by ``change``)."""
    prefixes = {
        "confirm": "/subscribe/confirm/",
        "preferences": "/digest/preferences/",
        "new_links": "/digest/preferences/{}/new-links",
        "unsubscribe": "/digest/unsubscribe/",
        "not_interested": "/digest/not-interested/",
    }
    prefix = prefixes[route]
    if "{}" in prefix:
        return lambda w: prefix.format(change(w.links[kind]))
    return lambda w: prefix + change(w.links[kind])


def expired_confirmation(world: World) -> str:
    hours = dt.timedelta(hours=settings.DIGEST_CONFIRM_HOURS + 1)
    with mock.patch("time.time", return_value=(dt.datetime.now(dt.UTC) - hours).timestamp()):
        return subscriptions.confirmation_token(Subscriber.objects.get(email="pat@example.org"))


def confirm_pat_once(world: World) -> None:
    confirmed = world.browser().send("POST", f"/subscribe/confirm/{world.links['confirm']}")
    assert confirmed.status_code == 302, confirmed.status_code


def replace_adas_links(world: World) -> None:
    subscriptions.revoke_links(Subscriber.objects.get(email=world.ada.email))


def redirects_to(path: str) -> Callable[[requests.Response], bool]:
    return lambda r: r.status_code in (302, 303) and r.headers["Location"] == path


CASES: dict[str, Case] = {
    # Another member's things.
    "edit another member's comment (form)": Case(
        "comments.edit", "mallory", "GET", comment_path("edit"), status(403)
    ),
    "edit another member's comment": Case(
        "comments.edit",
        "mallory",
        "POST",
        comment_path("edit"),
        status(403),
        data=lambda w: {"body": "pwned"},
    ),
    "delete another member's comment": Case(
        "comments.delete", "mallory", "POST", comment_path("delete"), status(403)
    ),
    "hide a comment, not a moderator": Case(
        "comments.hide", "mallory", "POST", comment_path("hide"), status(403)
    ),
    "reply on one paper to a comment on another": Case(
        "comments.create",
        "mallory",
        "POST",
        paper_path("comments", "other_paper"),
        status(404),
        data=lambda w: {"body": "a reply", "parent": str(w.ada_comment.pk)},
    ),
    "comment on a hidden paper": Case(
        "comments.create",
        "mallory",
        "POST",
        paper_path("comments", "hidden_paper"),
        status(404),
        data=lambda w: {"body": "hello"},
    ),
    "comment, not signed in": Case(
        "comments.create",
        "anonymous",
        "POST",
        paper_path("comments"),
        to_login,
        data=lambda w: {"body": "hello"},
    ),
    "revoke another member's API token": Case(
        "accounts.token_revoke",
        "mallory",
        "POST",
        lambda w: f"/accounts/tokens/{w.ada_token_id}/revoke",
        status(404),
    ),
    "revoke every API token, not signed in": Case(
        "accounts.tokens_revoke_all",
        "anonymous",
        "POST",
        lambda w: "/accounts/tokens/revoke-all",
        to_login,
    ),
    "create an API token, not signed in": Case(
        "accounts.tokens",
        "anonymous",
        "POST",
        lambda w: "/accounts/tokens",
        to_login,
        data=lambda w: {"name": "stolen"},
    ),
    "change a display name, not signed in": Case(
        "accounts.settings",
        "anonymous",
        "POST",
        lambda w: "/accounts/settings",
        to_login,
        data=lambda w: {"display_name": "pwned"},
    ),
    "change a password, not signed in": Case(
        "accounts.password_change",
        "anonymous",
        "POST",
        lambda w: "/accounts/password/change",
        to_login,
        data=lambda w: {"old_password": "x", **NEW_PASSWORD},
    ),
    "vote, not signed in": Case(
        "papers.vote",
        "anonymous",
        "POST",
        paper_path("vote"),
        to_login,
        data=lambda w: {"action": "withdraw"},
    ),
    "vote on a hidden paper": Case(
        "papers.vote",
        "mallory",
        "POST",
        paper_path("vote", "hidden_paper"),
        status(404),
        data=lambda w: {"action": "upvote"},
    ),
    "vote with an action that is none": Case(
        "papers.vote",
        "mallory",
        "POST",
        paper_path("vote"),
        status(400),
        data=lambda w: {"action": "withdraw-for:ada"},
    ),
    "submit a paper, not signed in": Case(
        "papers.submit",
        "anonymous",
        "POST",
        lambda w: "/papers/submit",
        to_login,
        data=lambda w: {"arxiv": "1605.08386"},
    ),
    "log out, with the session but a GET": Case(
        "accounts.logout", "mallory", "GET", lambda w: "/accounts/logout", status(405)
    ),
    # API tokens: another member's, revoked, tampered, a suspended account's, or none.
    "withdraw another member's upvote with her revoked token": Case(
        "unvote",
        "api",
        "DELETE",
        lambda w: f"/api/papers/{w.paper.arxiv_id}/upvote",
        status(401),
        headers=lambda w: bearer(w.ada_revoked_token),
    ),
    "upvote with a tampered token": Case(
        "upvote",
        "api",
        "POST",
        lambda w: f"/api/papers/{w.paper.arxiv_id}/upvote",
        status(401),
        headers=lambda w: bearer(tamper(w.ada_token)),
    ),
    "upvote with the session cookie but no token": Case(
        "upvote",
        "mallory",
        "POST",
        lambda w: f"/api/papers/{w.paper.arxiv_id}/upvote",
        status(401),
    ),
    "submit with a suspended member's token": Case(
        "submit",
        "api",
        "POST",
        lambda w: "/api/papers/submit",
        status(401),
        headers=lambda w: bearer(w.suspended_token),
        json_body=lambda w: {"arxiv": "1605.08386"},
    ),
    "submit with a revoked token": Case(
        "submit",
        "api",
        "POST",
        lambda w: "/api/papers/submit",
        status(401),
        headers=lambda w: bearer(w.ada_revoked_token),
        json_body=lambda w: {"arxiv": "1605.08386"},
    ),
    # Signed links: the email confirmation.
    "confirm an address with a tampered link": Case(
        "accounts.verify",
        "anonymous",
        "POST",
        verify_path(lambda w: tamper(w.links["verify"])),
        status(400),
    ),
    "confirm an address with an expired link": Case(
        "accounts.verify",
        "anonymous",
        "POST",
        verify_path(expired_verification),
        status(410),
    ),
    "confirm an address with a link already used": Case(
        "accounts.verify",
        "anonymous",
        "POST",
        verify_path(lambda w: w.links["verify"]),
        status(410),
        setup=confirm_ada_once,
    ),
    "confirm an address with a password-reset token": Case(
        "accounts.verify",
        "anonymous",
        "POST",
        verify_path(lambda w: w.links["reset"]),
        status(400),
    ),
    "confirm an address with a token signed for another purpose": Case(
        "accounts.verify",
        "anonymous",
        "POST",
        verify_path(
            lambda w: signing.TimestampSigner(salt="digests.confirm").sign_object(
                {"u": w.ada.pk, "e": w.ada.email}
            )
        ),
        status(400),
    ),
    # Signed links: the password reset.
    "reset a password with a tampered link": Case(
        "accounts.password_reset_confirm",
        "anonymous",
        "POST",
        reset_path(lambda w: w.links["reset_uid"], lambda w: tamper(w.links["reset"])),
        status(400),
        data=lambda w: NEW_PASSWORD,
    ),
    "reset a password with an expired link": Case(
        "accounts.password_reset_confirm",
        "anonymous",
        "POST",
        reset_path(lambda w: w.links["reset_uid"], expired_reset),
        status(400),
        data=lambda w: NEW_PASSWORD,
    ),
    "reset a password with a link already used": Case(
        "accounts.password_reset_confirm",
        "anonymous",
        "POST",
        reset_path(lambda w: w.links["reset_uid"], lambda w: w.links["reset"]),
        status(400),
        data=lambda w: NEW_PASSWORD,
        setup=reset_ada_once,
    ),
    "reset another member's password with my own reset token": Case(
        "accounts.password_reset_confirm",
        "mallory",
        "POST",
        reset_path(
            lambda w: w.links["reset_uid"], lambda w: default_token_generator.make_token(w.mallory)
        ),
        status(400),
        data=lambda w: NEW_PASSWORD,
    ),
    "reset a password with an email-confirmation token": Case(
        "accounts.password_reset_confirm",
        "anonymous",
        "POST",
        reset_path(lambda w: w.links["reset_uid"], lambda w: w.links["verify"]),
        status(400),
        data=lambda w: NEW_PASSWORD,
    ),
    # The digest: someone else's subscription, and every signed link misused.
    "take over a subscriber's settings by typing her address": Case(
        "digests.subscribe",
        "mallory",
        "POST",
        lambda w: "/subscribe",
        redirects_to("/subscribe/sent"),  # what any address gets: "check your inbox"
        data=lambda w: {"email": w.ada.email},
    ),
    "confirm a subscription with a tampered link": Case(
        "digests.confirm", "anonymous", "POST", link("confirm", "confirm", tamper), status(400)
    ),
    "confirm a subscription with an expired link": Case(
        "digests.confirm",
        "anonymous",
        "POST",
        lambda w: f"/subscribe/confirm/{expired_confirmation(w)}",
        status(410),
    ),
    "confirm a subscription with a link already used": Case(
        "digests.confirm",
        "anonymous",
        "POST",
        link("confirm", "confirm"),
        status(410),
        setup=confirm_pat_once,
    ),
    "confirm a subscription with a preferences link": Case(
        "digests.confirm", "anonymous", "POST", link("confirm", "preferences"), status(400)
    ),
    "confirm a subscription with an email-confirmation token": Case(
        "digests.confirm", "anonymous", "POST", link("confirm", "verify"), status(400)
    ),
    "open the preferences with an unsubscribe link": Case(
        "digests.preferences",
        "anonymous",
        "POST",
        link("preferences", "unsubscribe"),
        status(400),
        data=lambda w: {"frequency": "daily"},
    ),
    "open the preferences with a not-interested link": Case(
        "digests.preferences",
        "anonymous",
        "POST",
        link("preferences", "not_interested"),
        status(400),
        data=lambda w: {"frequency": "daily"},
    ),
    "open the preferences with a confirmation link": Case(
        "digests.preferences",
        "anonymous",
        "POST",
        link("preferences", "confirm"),
        status(400),
        data=lambda w: {"frequency": "daily"},
    ),
    "open the preferences with an old all-purpose link": Case(
        "digests.preferences",
        "anonymous",
        "POST",
        link("preferences", "legacy"),
        status(400),
        data=lambda w: {"frequency": "daily"},
    ),
    "open the preferences with a tampered link": Case(
        "digests.preferences",
        "anonymous",
        "POST",
        link("preferences", "preferences", tamper),
        status(400),
        data=lambda w: {"frequency": "daily"},
    ),
    "open the preferences with a link replaced since": Case(
        "digests.preferences",
        "anonymous",
        "POST",
        link("preferences", "preferences"),
        status(400),
        data=lambda w: {"frequency": "daily"},
        setup=replace_adas_links,
    ),
    "replace all links with an unsubscribe link": Case(
        "digests.new_links", "anonymous", "POST", link("new_links", "unsubscribe"), status(400)
    ),
    "replace all links with a tampered link": Case(
        "digests.new_links",
        "anonymous",
        "POST",
        link("new_links", "preferences", tamper),
        status(400),
    ),
    # One-click unsubscribe is a POST from a mail client: no cookie, no CSRF token.
    "unsubscribe with a preferences link": Case(
        "digests.unsubscribe", "api", "POST", link("unsubscribe", "preferences"), status(400)
    ),
    "unsubscribe with a confirmation link": Case(
        "digests.unsubscribe", "api", "POST", link("unsubscribe", "confirm"), status(400)
    ),
    "unsubscribe with a not-interested link": Case(
        "digests.unsubscribe", "api", "POST", link("unsubscribe", "not_interested"), status(400)
    ),
    "unsubscribe with a tampered link": Case(
        "digests.unsubscribe",
        "api",
        "POST",
        link("unsubscribe", "unsubscribe", tamper),
        status(400),
    ),
    "unsubscribe with a link replaced since": Case(
        "digests.unsubscribe",
        "api",
        "POST",
        link("unsubscribe", "unsubscribe"),
        status(400),
        setup=replace_adas_links,
    ),
    "say not interested with a preferences link": Case(
        "digests.not_interested",
        "anonymous",
        "POST",
        link("not_interested", "preferences"),
        status(400),
    ),
    "say not interested with a tampered link": Case(
        "digests.not_interested",
        "anonymous",
        "POST",
        link("not_interested", "not_interested", tamper),
        status(400),
    ),
    # Sizes past the limits.
    "a body past DAILYPAPERS_MAX_REQUEST_BYTES": Case(
        "accounts.login",
        "anonymous",
        "POST",
        lambda w: "/accounts/login",
        status(400),
        data=lambda w: {"username": "ada", "password": "x" * 1_200_000},
    ),
    "a form of 5,000 fields": Case(
        "accounts.login",
        "anonymous",
        "POST",
        lambda w: "/accounts/login",
        status(400),
        data=lambda w: "&".join(f"f{i}=1" for i in range(5000)).encode(),
        headers=lambda w: {"Content-Type": "application/x-www-form-urlencoded"},
    ),
    "a JSON body past the limit, to the API": Case(
        "submit",
        "api",
        "POST",
        lambda w: "/api/papers/submit",
        json_error(413),
        headers=lambda w: bearer(w.ada_token),
        json_body=lambda w: {"arxiv": "1" * 1_200_000},
    ),
    "a bearer token of 60 KB": Case(
        "upvote",
        "api",
        "POST",
        lambda w: f"/api/papers/{w.paper.arxiv_id}/upvote",
        status(401),
        headers=lambda w: bearer("dp_" + "a" * 60_000),
    ),
    "a comment past its length limit": Case(
        "comments.create",
        "mallory",
        "POST",
        paper_path("comments"),
        status(400),
        data=lambda w: {"body": "x" * 200_000},
    ),
    "a submission reference of 100 KB": Case(
        "papers.submit",
        "mallory",
        "POST",
        lambda w: "/papers/submit",
        status(400),
        data=lambda w: {"arxiv": "1" * 100_000},
    ),
    "a Host header nobody serves": Case(
        "accounts.login",
        "anonymous",
        "POST",
        lambda w: "/accounts/login",
        status(400),
        headers=lambda w: {"Host": "evil-" + "x" * 5000 + ".example"},
        data=lambda w: {"username": "ada", "password": "x"},
    ),
    "a header line of 70 KB": Case(
        "site.home",
        "anonymous",
        "GET",
        lambda w: "/",
        is_4xx,
        headers=lambda w: {"X-Padding": "x" * 70_000},
    ),
    "150 headers": Case(
        "site.home",
        "anonymous",
        "GET",
        lambda w: "/",
        is_4xx,
        headers=lambda w: {f"X-H{i}": "1" for i in range(150)},
    ),
    "a URL of 70 KB": Case(
        "papers.search", "anonymous", "GET", lambda w: "/search?q=" + "x" * 70_000, is_4xx
    ),
}

# Write routes with nothing of anyone's to take: what guards them instead, and where it is tested.
PUBLIC_WRITES = {
    "accounts.signup": "anyone may sign up: rate limited per IP (tests/accounts/test_signup.py)",
    "accounts.verify_resend": "same answer for any address, rate limited (tests/accounts)",
    "accounts.password_reset": "same answer for any address, rate limited (tests/accounts)",
    "accounts.login": "rate limited per client and account (tests/accounts/test_login.py)",
}


def run_case(world: World, case: Case) -> None:
    case.setup(world)
    if case.who == "api":
        browser = None
    else:
        user = {"mallory": world.mallory, "moderator": world.moderator}.get(case.who)
        browser = world.browser(user)
    path = case.path(world)
    data, headers, body = case.data(world), case.headers(world), case.json_body(world)

    def send() -> requests.Response:
        if browser is None:
            return requests.request(
                case.method,
                world.url + path,
                data=data,
                json=body,
                headers=headers,
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        return browser.send(case.method, path, data, headers=headers, json_body=body)

    attempt(send, case.refused)


NO_SETUP = [name for name, case in CASES.items() if case.setup is nothing]
WITH_SETUP = [name for name in CASES if name not in NO_SETUP]


def test_every_hostile_request_is_refused_and_changes_nothing(world):
    """The cases that need nothing prepared share one world (each leaves it as it was, which is
    the point); every failure is reported, not only the first."""
    failures = []
    for name in NO_SETUP:
        try:
            run_case(world, CASES[name])
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, f"{len(failures)} of {len(NO_SETUP)} cases:\n" + "\n\n".join(failures)
    assert len(NO_SETUP) > 40


@pytest.mark.parametrize("name", WITH_SETUP)
def test_every_replayed_or_revoked_link_is_refused_and_changes_nothing(world, name):
    run_case(world, CASES[name])


def test_every_write_route_has_its_hostile_cases():
    named = {case.route for case in CASES.values()}
    uncovered = [
        route.label
        for route in site_routes()
        if route.methods is not None
        and route.write_methods
        and not is_admin(route)  # staff only: the member-in-the-admin test covers it
        and route.label not in named
        and route.label not in PUBLIC_WRITES
    ]

    assert uncovered == [], f"write routes without a hostile case: {uncovered}"


def test_a_moderator_cannot_lift_a_suspension_beyond_their_rank(world):
    """The admin answers its actions with a redirect and a message, refusals included."""
    moderator = world.browser(world.moderator)

    attempt(
        lambda: moderator.send(
            "POST",
            "/admin/auth/user/",
            {"action": "unsuspend", "_selected_action": str(world.suspended.pk), "index": "0"},
        ),
        status(302),
    )
