"""Account mail is sent by background jobs, so a request does the same work whatever the address.

Sign-up, confirmation resends and password resets each queue one job after the commit and send
nothing inside the request, whether or not the address has an account; for resends and resets
the request's database queries are the same for a known and an unknown address. The worker (run
here as ``dailypapers worker`` runs each job) then sends the mail. Mail to an unconfirmed address
carries no name a stranger typed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dailypapers.accounts import services, tasks
from tests.accounts.conftest import PASSWORD, links_in, make_user
from tests.worker_process import run_worker_until

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "Claim your prize at evil.example <b>now</b>"
HOSTILE_USERNAME = "claim-your-prize-at-evil-example"


@pytest.fixture
def queued(huey_immediate):
    """Jobs are queued, not run (as with a worker that has not picked them up yet)."""
    huey = huey_immediate
    huey.immediate = False
    huey.flush()
    yield huey
    huey.flush()


def run_queued_jobs(huey) -> list[str]:
    """Run every queued accounts job as the worker would (the job's function, in this process)."""
    names = []
    for job in huey.pending():
        name = job.name.rsplit(".", 1)[-1]
        getattr(tasks, name).call_local(*job.args, **job.kwargs)
        names.append(name)
    huey.flush()
    return names


def signup_data(email: str, **overrides) -> dict:
    data = {
        "username": "newcomer",
        "display_name": "",
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **overrides}


REQUESTS: dict[str, Callable[[str], tuple[str, dict]]] = {
    "signup": lambda email: (reverse("accounts.signup"), signup_data(email)),
    "resend": lambda email: (reverse("accounts.verify_resend"), {"email": email}),
    "reset": lambda email: (reverse("accounts.password_reset"), {"email": email}),
}
KNOWN = {"signup": "ada@example.org", "resend": "sleeper@example.org", "reset": "ada@example.org"}


@pytest.mark.parametrize("kind", REQUESTS)
def test_a_request_sends_nothing_itself_and_queues_one_job_either_way(
    post, smtp_server, queued, kind
):
    make_user("ada", email="ada@example.org")
    make_user("sleeper", email="sleeper@example.org", confirmed=False)
    answers, jobs = [], []
    for email in (KNOWN[kind], "nobody@example.org"):
        url, data = REQUESTS[kind](email)
        before = len(smtp_server.received)
        answers.append(post(url, data))
        assert len(smtp_server.received) == before  # nothing sent within the request
        jobs.append(len(queued.pending()))
        sent = run_queued_jobs(queued)
        assert len(sent) == 1, sent
        if kind == "signup" or email == KNOWN[kind]:
            smtp_server.wait_for(before + 1)

    known, unknown = answers
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert jobs == [1, 1]
    # The worker sent what each address should get: a mail for the known address (a reset link,
    # a new confirmation link, or "you already have an account"), and for the unknown one only a
    # sign-up's confirmation link.
    expected = {"signup": 2, "resend": 1, "reset": 1}[kind]
    assert len(smtp_server.wait_for(expected)) == len(smtp_server.received) == expected
    assert smtp_server.received[0].rcpt_tos == [KNOWN[kind]]


@pytest.mark.parametrize("kind", ["resend", "reset"])
def test_a_known_and_an_unknown_address_cost_the_request_the_same_queries(
    client, queued, kind, django_capture_on_commit_callbacks
):
    make_user("ada", email="ada@example.org")
    make_user("sleeper", email="sleeper@example.org", confirmed=False)
    counted = []
    for email in (KNOWN[kind], "nobody@example.org"):
        url, data = REQUESTS[kind](email)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            client.post(url, data)
        counted.append([q["sql"].split(" WHERE ")[0] for q in queries.captured_queries])

    assert counted[0] == counted[1]
    assert not any("auth_user" in sql for sql in counted[0])  # the worker looks accounts up


def test_the_worker_sends_a_reset_link_that_works(client, post, smtp_server, queued):
    make_user("ada", email="ada@example.org")
    post(reverse("accounts.password_reset"), {"email": "ada@example.org"})

    assert run_queued_jobs(queued) == ["send_password_reset_email"]

    (mail,) = smtp_server.wait_for(1)
    (link,) = [u for u in links_in(mail.body("plain")) if "/accounts/password/reset/" in u]
    page = client.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
    assert page.context["validlink"] is True


def test_a_confirmation_job_for_an_account_confirmed_meanwhile_sends_nothing(
    post, smtp_server, queued
):
    post(reverse("accounts.signup"), signup_data("new@example.org"))
    services.confirm_email(get_user_model().objects.get(username="newcomer"))

    run_queued_jobs(queued)

    assert smtp_server.received == []


# -- no attacker-chosen text in mail to unconfirmed addresses ------------------------------------


def all_text(mail) -> str:
    return "\n".join([mail.subject, mail.body("plain"), mail.body("html")])


def test_the_confirmation_email_carries_neither_display_name_nor_username(post, smtp_server):
    post(
        reverse("accounts.signup"),
        signup_data("victim@example.org", username=HOSTILE_USERNAME, display_name=HOSTILE_NAME),
    )

    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["victim@example.org"]
    assert any("/accounts/verify/" in url for url in links_in(mail.body("plain")))
    for part in (mail.subject, mail.body("plain"), mail.body("html")):
        for fragment in ("Claim your prize", "evil.example", "prize", HOSTILE_USERNAME):
            assert fragment not in part


def test_a_resent_confirmation_email_carries_no_names_either(post, smtp_server):
    make_user(
        HOSTILE_USERNAME, email="victim@example.org", display_name=HOSTILE_NAME, confirmed=False
    )

    post(reverse("accounts.verify_resend"), {"email": "victim@example.org"})

    (mail,) = smtp_server.wait_for(1)
    assert "prize" not in all_text(mail) and "evil.example" not in all_text(mail)


def test_the_signup_attempt_email_carries_no_names(post, smtp_server):
    make_user("ada", email="ada@example.org")

    post(
        reverse("accounts.signup"),
        signup_data("ada@example.org", username=HOSTILE_USERNAME, display_name=HOSTILE_NAME),
    )

    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert "already has an account" in mail.body("plain")
    assert "prize" not in all_text(mail) and "evil.example" not in all_text(mail)


# -- the production path: a real `dailypapers worker` process sends the mail --------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_confirmation_email_a_sign_up_queued(smtp_server, queued):
    user = services.sign_up(username="ada", email="ada@example.org", password=PASSWORD)
    assert user is not None  # committed (no test transaction here), so the job is queued
    for job in queued.pending():  # other apps' jobs are not this test's
        if not job.name.endswith("send_verification_email"):
            queued.revoke_by_id(job.id)
    assert smtp_server.received == []
    output = run_worker_until(
        lambda: bool(smtp_server.received),
        DAILYPAPERS_EMAIL_HOST=smtp_server.host,
        DAILYPAPERS_EMAIL_PORT=str(smtp_server.port),
    )

    assert smtp_server.received, output
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["ada@example.org"]
    assert any("/accounts/verify/" in url for url in links_in(mail.body("plain")))
    assert "send_verification_email" in output
