"""Sending the outbox to a real SMTP server (aiosmtpd on loopback): multipart messages with one-click
unsubscribe headers, exactly one digest per reader and period, retries, refusals and pauses,
escaped hostile text and no header injection."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from dailypapers.digests.models import Digest, Subscriber
from dailypapers.digests.services.compose import period_key
from dailypapers.digests.services.delivery import send_digests
from dailypapers.digests.services.runs import run_digests
from dailypapers.papers.queries import period_of

from .conftest import DAY, links_in, make_day, make_subscriber

pytestmark = pytest.mark.django_db
PERIOD = period_of("day", DAY)
KEY = period_key(PERIOD)
NO_WAIT = (0.01, 0.01, 0.01)


def run(**kwargs):
    return run_digests("daily", period=PERIOD, retry_delays=NO_WAIT, **kwargs)


def test_digest_is_multipart_with_picks_reasons_and_absolute_links(day_papers, scripted_smtp):
    make_subscriber(interests="diffusion image generation")
    report = run()
    assert report.sent is not None and report.sent.sent == 1
    (mail,) = scripted_smtp.received
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    text, html = mail.body("plain"), mail.body("html")
    assert "Faster Sampling for Score-Based Diffusion Models" in text
    assert "Why: matches “diffusion image generation”" in text
    assert "Why: matches “diffusion image generation”" in html
    paper_url = f"http://127.0.0.1:8000/papers/{day_papers[5].arxiv_id}"
    assert paper_url in text and f'href="{paper_url}"' in html
    assert "<table" in html and "<script" not in html and "<img" not in html
    assert message["Message-ID"] == Digest.objects.get().message_id
    assert mail.subject.strip().startswith("Daily Papers · Mar 14, 2025: trending papers and ")
    assert mail.subject.endswith(" picked for you")


def test_digest_has_one_click_unsubscribe_headers_that_work(day_papers, scripted_smtp):
    reader = make_subscriber()
    run()
    message = scripted_smtp.received[0].message
    header = " ".join(str(message["List-Unsubscribe"]).split())
    assert header.startswith("<mailto:")
    https = header.split(", ")[1].strip("<>")
    assert https.startswith("http://127.0.0.1:8000/digest/unsubscribe/")
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert https in scripted_smtp.received[0].body("plain")  # a visible link too
    # RFC 8058: one POST, no cookie, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        https.removeprefix("http://127.0.0.1:8000"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    make_day(DAY.replace(day=16), [dict(title="Another day", upvotes=3)])
    again = run_digests("daily", period=period_of("day", DAY.replace(day=16)))
    assert again.composed is not None and again.composed.composed == 0
    assert len(scripted_smtp.received) == 1


def test_rerun_sends_nothing_twice(day_papers, scripted_smtp):
    for i in range(3):
        make_subscriber(f"r{i}@example.org")
    first = run()
    second = run()
    assert first.sent.sent == 3 and second.sent.sent == 0
    assert len(scripted_smtp.received) == 3
    assert set(Digest.objects.values_list("status", flat=True)) == {"sent"}


def test_unconfirmed_subscriber_gets_nothing(day_papers, scripted_smtp):
    Subscriber.objects.create(email="pending@example.org")
    report = run()
    assert report.composed.readers == 0
    assert scripted_smtp.received == []


def test_empty_period_sends_nothing(day_papers, scripted_smtp):
    make_subscriber()
    report = run_digests("daily", period=period_of("day", DAY.replace(day=25)))
    assert report.sent is None
    assert scripted_smtp.received == [] and not Digest.objects.exists()


def test_temporary_failure_is_retried_with_backoff(day_papers, scripted_smtp):
    make_subscriber("slow@example.org")
    scripted_smtp.rcpt_replies["slow@example.org"] = ["451 try again later", "421 busy"]
    report = run()
    assert report.sent.sent == 1 and report.sent.retries == 2
    assert scripted_smtp.rcpt_attempts["slow@example.org"] == 3
    digest = Digest.objects.get()
    assert digest.status == "sent" and digest.attempts == 3


def test_temporary_failure_that_persists_is_left_for_the_next_run(day_papers, scripted_smtp):
    make_subscriber("slow@example.org")
    scripted_smtp.rcpt_replies["slow@example.org"] = ["451 later"] * 4
    report = run()
    assert report.sent.failed == 1
    assert Digest.objects.get().status == "failed"
    again = send_digests(KEY, retry_delays=NO_WAIT)
    assert again.sent == 1 and len(scripted_smtp.to("slow@example.org")) == 1


def test_permanent_refusal_is_marked_and_does_not_stop_the_run(day_papers, scripted_smtp):
    make_subscriber("a@example.org")
    make_subscriber("gone@example.org")
    make_subscriber("c@example.org")
    scripted_smtp.rcpt_replies["gone@example.org"] = ["550 no such user"]
    report = run()
    assert report.sent.sent == 2 and report.sent.refused == 1
    assert scripted_smtp.rcpt_attempts["gone@example.org"] == 1  # never retried
    refused = Digest.objects.get(subscriber__email="gone@example.org")
    assert refused.status == "refused" and "550" in refused.last_error
    gone = Subscriber.objects.get(email="gone@example.org")
    assert gone.bounces == 1 and gone.status == "active"


def test_subscriber_whose_mail_keeps_bouncing_is_paused(day_papers, scripted_smtp, settings):
    settings.DIGEST_MAX_BOUNCES = 2
    make_subscriber("gone@example.org")
    scripted_smtp.rcpt_replies["gone@example.org"] = ["550 no such user"] * 5
    run()
    make_day(DAY.replace(day=16), [dict(title="Second day", upvotes=2)])
    report = run_digests(
        "daily", period=period_of("day", DAY.replace(day=16)), retry_delays=NO_WAIT
    )
    assert report.sent.paused == 1
    assert Subscriber.objects.get().status == "paused"
    make_day(DAY.replace(day=17), [dict(title="Third day", upvotes=2)])
    third = run_digests("daily", period=period_of("day", DAY.replace(day=17)))
    assert third.composed.readers == 0 and scripted_smtp.received == []


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\u202eevil"


def test_hostile_text_is_escaped_in_both_parts(search_data_dir, scripted_smtp, settings):
    settings.DIGEST_TOP_PAPERS = 5
    make_day(
        DAY,
        [
            dict(
                title=f"Attack {HOSTILE}\r\nBcc: victim@example.org",
                abstract=f"javascript:alert(3) {HOSTILE}",
                authors=[f"Mallory {HOSTILE}"],
                upvotes=5,
            )
        ],
    )
    make_subscriber(interests=f"attack {HOSTILE}", authors=[f"Mallory {HOSTILE}"])
    assert run().sent.sent == 1
    (mail,) = scripted_smtp.received
    html, text = mail.body("html"), mail.body("plain")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u202e" not in html and "\u202e" not in text
    assert "<script>alert(1)</script>" in text  # plain text shows it as text
    assert 'href="javascript:' not in html
    assert mail.rcpt_tos == ["reader@example.org"]
    assert mail.message["Bcc"] is None


def test_header_injection_through_an_address_is_impossible(day_papers, scripted_smtp):
    make_subscriber("ok@example.org")
    bad = make_subscriber("bad@example.org")
    # Written past every validation (straight to the database), as an attacker with a bug would.
    Subscriber.objects.filter(pk=bad.pk).update(email="bad@example.org\r\nBcc: victim@example.org")
    report = run()
    assert report.sent.sent == 1 and report.sent.refused == 1
    assert [mail.rcpt_tos for mail in scripted_smtp.received] == [["ok@example.org"]]
    assert all(mail.message["Bcc"] is None for mail in scripted_smtp.received)
    assert "victim" not in str(scripted_smtp.received[0].message)


def test_not_interested_link_applies_on_post_only(day_papers, scripted_smtp):
    reader = make_subscriber(interests="diffusion image generation")
    run()
    text = scripted_smtp.received[0].body("plain")
    link = next(url for url in links_in(text) if "/digest/not-interested/" in url)
    path = link.removeprefix("http://127.0.0.1:8000")
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200 and b"Not interested?" in page.content
    assert not reader.not_interested.exists()
    assert client.post(path).status_code == 403  # a CSRF token is required on this form
    token = client.cookies["csrftoken"].value
    assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 200
    assert reader.not_interested.count() == 1


def test_preview_command_prints_the_text_or_html_and_sends_nothing(
    day_papers, scripted_smtp, capsys
):
    make_subscriber("reader@example.org", interests="robot grasping")
    call_command("digest", "preview", "--email", "reader@example.org", "--date", DAY.isoformat())
    out = capsys.readouterr().out
    assert "Robot Grasping from Tactile Feedback" in out and "Why: matches" in out
    call_command(
        "digest", "preview", "--email", "reader@example.org", "--date", DAY.isoformat(), "--html"
    )
    assert "<table" in capsys.readouterr().out
    assert scripted_smtp.received == [] and not Digest.objects.exists()


def test_send_command_prints_a_summary(day_papers, scripted_smtp, capsys):
    make_subscriber()
    call_command("digest", "send", "--period", "daily", "--date", DAY.isoformat())
    err = capsys.readouterr().err
    assert "1 sent, 0 failed" in err
    assert len(scripted_smtp.received) == 1


def test_a_server_that_keeps_failing_stops_the_run_and_the_rest_waits(day_papers, scripted_smtp):
    readers = [make_subscriber(f"r{i}@example.org") for i in range(5)]
    for reader in readers:
        scripted_smtp.rcpt_replies[reader.email] = ["421 overloaded"] * 4
    report = run()
    assert report.sent.failed == 3 and report.sent.sent == 0
    assert "3 digests in a row failed temporarily" in report.sent.stopped
    assert sorted(Digest.objects.values_list("status", flat=True)) == [
        "failed",
        "failed",
        "failed",
        "pending",
        "pending",
    ]
    scripted_smtp.rcpt_replies.clear()
    again = send_digests(KEY, retry_delays=NO_WAIT)
    assert again.sent == 5 and len(scripted_smtp.received) == 5


def test_unreachable_server_fails_cleanly_and_loses_nothing(day_papers, settings):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    make_subscriber()
    report = run()
    assert report.sent.failed == 1 and "ConnectionRefusedError" in report.sent.errors[0]
    assert Digest.objects.get().status == "failed"


def test_paper_hidden_after_composing_is_left_out(day_papers, scripted_smtp):
    from dailypapers.digests.services.compose import compose_digests

    make_subscriber()
    compose_digests(PERIOD, [s.pk for s in Subscriber.objects.all()])
    top = day_papers[0]
    type(top).objects.filter(pk=top.pk).update(hidden=True)
    send_digests(KEY, retry_delays=NO_WAIT)
    assert top.title not in scripted_smtp.received[0].body("plain")
    assert day_papers[1].title in scripted_smtp.received[0].body("plain")


def test_preview_of_an_unknown_address_is_a_clear_error(day_papers):
    with pytest.raises(CommandError, match="no subscriber with the address"):
        call_command("digest", "preview", "--email", "nobody@example.org")
