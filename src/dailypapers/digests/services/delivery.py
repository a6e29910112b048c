"""Sending the outbox: each pending digest of a period, once, over one SMTP connection.

Exactly once, and the one window left
-------------------------------------
``compose`` recorded every digest (``Digest``, status ``pending``, Message-ID fixed) before
anything is sent. Here each one is rendered from its row, handed to the SMTP server, and marked
``sent`` (its own committed UPDATE) as soon as the server accepts it. A process killed at any
point leaves every accepted digest marked, except possibly the one whose acceptance had not been
recorded yet: a rerun sends that one again. So a kill can cause at most one duplicate per
sending process, and the duplicate carries the same Message-ID as the first copy (clients and
archives that de-duplicate by Message-ID show one). Closing that window entirely would need the
SMTP server to take part in a two-phase commit, which SMTP does not offer.

Failures
--------
* Temporary (4xx replies, a dropped connection, a timeout): the connection is reopened and the
  message retried after ``retry_delays`` (backoff); still failing, the digest is marked
  ``failed`` and the next run tries again. The run goes on with the next digest, unless
  ``FAILED_IN_A_ROW`` digests in a row failed so: the server is down or throttling us, and
  trying every remaining reader for half a minute each would help no one. The run stops, the
  rest stays ``pending`` for the next run, and the report says why.
* Permanent refusal of the address (5xx on RCPT or DATA): the digest is marked ``refused`` and
  never retried, the subscriber's ``bounces`` counter goes up (a delivered digest resets it), and
  after ``DAILYPAPERS_DIGEST_MAX_BOUNCES`` refusals in a row the subscriber is ``paused``.
* The server refusing our *sender* (5xx on MAIL FROM) is a configuration error: the run stops
  with ``SenderRefused`` rather than mark every reader as bouncing.
* A message that cannot be built (an address with a newline in it, written to the database
  by hand) is marked ``refused``: Django refuses multi-line headers, so no header is injected.
"""

from __future__ import annotations

import contextlib
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from dailypapers.digests import emails
from dailypapers.digests.models import Digest, Subscriber
from dailypapers.digests.queries import get_papers_for, period_from_key, query_outbox
from dailypapers.digests.services.subscriptions import (
    not_interested_url,
    preferences_url,
    unsubscribe_url,
)
from dailypapers.papers.models import Paper

RETRY_DELAYS = (2.0, 10.0, 30.0)  # seconds before the 2nd, 3rd and 4th try of one message
FAILED_IN_A_ROW = 3  # temporary failures in a row that stop the run (the server is unwell)
BATCH = 200  # digests loaded (with their papers) at a time

Progress = Callable[[str, int, int | None], None]


class SenderRefused(RuntimeError):
    """The SMTP server refuses our sender address: fix DAILYPAPERS_EMAIL_FROM or the server."""


@dataclass
class SendReport:
    period: str
    sent: int = 0
    failed: int = 0
    refused: int = 0
    paused: int = 0
    skipped: int = 0
    retries: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    stopped: str = ""
    """Why the run stopped before the end of the outbox ("" when it did not)."""

    def summary(self) -> str:
        rate = self.sent / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.period}: {self.sent} sent, {self.failed} failed (retried next run), "
            f"{self.refused} refused, {self.skipped} skipped (no longer subscribed), "
            f"{self.paused} subscribers paused; {self.retries} retries; "
            f"{self.seconds:.1f} s ({rate:.0f} messages/s)"
            + (f"; stopped early: {self.stopped}" if self.stopped else "")
        )


def render_digest(
    subscriber: Subscriber,
    items: Sequence[dict],
    papers: dict[int, Paper],
    *,
    period_label: str,
    message_id: str,
    shown: dict[int, emails.PaperShown] | None = None,
) -> EmailMultiAlternatives:
    """The message for one recorded digest; ``shown`` caches each paper's cleaned fields."""
    shown = {} if shown is None else shown
    top: list[emails.DigestEntry] = []
    picks: list[emails.DigestEntry] = []
    for item in items:
        paper = papers.get(item["paper"])
        if paper is None:  # deleted or hidden since composing: leave it out
            continue
        if paper.pk not in shown:
            shown[paper.pk] = emails.paper_shown(paper)
        line = emails.entry(
            shown[paper.pk],
            reason=item.get("reason", ""),
            not_interested_url=not_interested_url(subscriber, paper.pk),
        )
        (top if item["section"] == "top" else picks).append(line)
    return emails.build_digest_message(
        to=subscriber.email,
        period_label=period_label,
        frequency=subscriber.frequency,
        top=top,
        picks=picks,
        preferences_url=preferences_url(subscriber),
        unsubscribe_url=unsubscribe_url(subscriber),
        message_id=message_id,
    )


def _reply_code(error: smtplib.SMTPException) -> int:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return codes[0] if codes else 0
    return int(getattr(error, "smtp_code", 0) or 0)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


class _Sender:
    def __init__(self, report: SendReport, retry_delays: Sequence[float]) -> None:
        self.report = report
        self.retry_delays = list(retry_delays)
        self.connection = get_connection(fail_silently=False)
        self.failed_in_a_row = 0

    def close(self) -> None:
        # A broken connection may fail to close; it is dropped either way.
        with contextlib.suppress(Exception):
            self.connection.close()

    def deliver(self, digest: Digest, message: EmailMultiAlternatives) -> None:
        attempts = 0
        while True:
            attempts += 1
            try:
                # Opened here, the connection stays open across messages (send_messages closes
                # only a connection it opened itself); after an error it is reopened.
                self.connection.open()
                self.connection.send_messages([message])
            except smtplib.SMTPSenderRefused as error:
                if 500 <= error.smtp_code < 600:
                    _count_attempts(digest, attempts, error)
                    raise SenderRefused(_describe(error)) from error
                last: BaseException = error
            except smtplib.SMTPException as error:
                if 500 <= _reply_code(error) < 600:
                    self._refused(digest, attempts, error)
                    return
                last = error
            except OSError as error:  # refused connection, timeout, reset
                last = error
            else:
                self._sent(digest, attempts)
                return
            # Temporary: reconnect, wait, try again; in the end leave it for the next run.
            self.close()
            if attempts > len(self.retry_delays):
                self._failed(digest, attempts, last)
                return
            self.report.retries += 1
            time.sleep(self.retry_delays[attempts - 1])

    def _sent(self, digest: Digest, attempts: int) -> None:
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + attempts,
            last_error="",
        )
        if digest.subscriber.bounces:
            Subscriber.objects.filter(pk=digest.subscriber_id).update(bounces=0)
        self.report.sent += 1
        self.failed_in_a_row = 0

    def _failed(self, digest: Digest, attempts: int, error: BaseException) -> None:
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.FAILED,
            attempts=F("attempts") + attempts,
            last_error=_describe(error),
        )
        self.report.failed += 1
        self.report.errors.append(f"{digest.subscriber.email}: {_describe(error)}")
        self.failed_in_a_row += 1
        if self.failed_in_a_row >= FAILED_IN_A_ROW:
            self.report.stopped = (
                f"{self.failed_in_a_row} digests in a row failed temporarily (last: "
                f"{_describe(error)}); the rest stays pending for the next run"
            )

    def _refused(self, digest: Digest, attempts: int, error: BaseException) -> None:
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.REFUSED,
            attempts=F("attempts") + attempts,
            last_error=_describe(error),
        )
        self.report.refused += 1
        self.report.errors.append(f"{digest.subscriber.email}: {_describe(error)}")
        bounces = digest.subscriber.bounces + 1
        update: dict = {"bounces": bounces, "last_error": _describe(error)}
        if bounces >= settings.DIGEST_MAX_BOUNCES:
            update["status"] = Subscriber.Status.PAUSED
            self.report.paused += 1
        Subscriber.objects.filter(pk=digest.subscriber_id).update(**update)


def _count_attempts(digest: Digest, attempts: int, error: BaseException) -> None:
    Digest.objects.filter(pk=digest.pk).update(
        attempts=F("attempts") + attempts, last_error=_describe(error)
    )


def send_digests(
    key: str,
    *,
    progress: Progress | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    digest_ids: Sequence[int] | None = None,
) -> SendReport:
    """Send the period's pending (and earlier failed) digests; returns what happened."""
    started = time.perf_counter()
    report = SendReport(key)
    period = period_from_key(key)
    ids = list(digest_ids) if digest_ids is not None else query_outbox(key)
    if progress:
        progress("send", 0, len(ids))
    sender = _Sender(report, retry_delays)
    papers: dict[int, Paper] = {}
    shown: dict[int, emails.PaperShown] = {}
    try:
        for start in range(0, len(ids), BATCH):
            batch = list(
                Digest.objects.filter(
                    pk__in=ids[start : start + BATCH],
                    status__in=[Digest.Status.PENDING, Digest.Status.FAILED],
                )
                .select_related("subscriber")
                .order_by("pk")
            )
            # A period's digests share their papers: each is loaded and cleaned once per run.
            missing = {item["paper"] for digest in batch for item in digest.items} - papers.keys()
            papers.update(get_papers_for(sorted(missing)))
            for digest in batch:
                _send_one(sender, digest, papers, shown, period.label, report)
                if progress:
                    progress("send", 1, None)
                if report.stopped:
                    break
            if report.stopped:
                break
    finally:
        sender.close()
    report.seconds = time.perf_counter() - started
    return report


def _send_one(
    sender: _Sender,
    digest: Digest,
    papers: dict[int, Paper],
    shown: dict[int, emails.PaperShown],
    label: str,
    report: SendReport,
) -> None:
    subscriber = digest.subscriber
    if subscriber.status != Subscriber.Status.ACTIVE:
        # Unsubscribed (or paused) after composing: the recorded digest is never sent.
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.REFUSED, last_error=f"subscriber {subscriber.status}"
        )
        report.skipped += 1
        return
    try:
        message = render_digest(
            subscriber,
            digest.items,
            papers,
            period_label=label,
            message_id=digest.message_id,
            shown=shown,
        )
    except ValueError as error:
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.REFUSED, last_error=_describe(error)
        )
        report.refused += 1
        report.errors.append(f"digest {digest.pk}: {_describe(error)}")
        return
    try:
        sender.deliver(digest, message)
    except ValueError as error:
        # BadHeaderError (a newline in a header) or an address the backend cannot encode,
        # raised while the message is built, before anything reaches the server.
        Digest.objects.filter(pk=digest.pk).update(
            status=Digest.Status.REFUSED, last_error=_describe(error)
        )
        report.refused += 1
        report.errors.append(f"digest {digest.pk}: {_describe(error)}")
