"""One digest run: compose the period's outbox for the due readers, then send it, holding the
run lock. The ``digest send`` command and the hourly worker task both call ``run_digests``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dailypapers.digests.queries import Frequency, get_digest_period, query_due_subscriber_ids
from dailypapers.digests.services.compose import ComposeReport, compose_digests, period_key
from dailypapers.digests.services.delivery import RETRY_DELAYS, SendReport, send_digests
from dailypapers.digests.services.locking import sending_lock
from dailypapers.papers.queries import Period

Progress = Callable[[str, int, int | None], None]


@dataclass
class RunReport:
    period: Period | None
    composed: ComposeReport | None = None
    sent: SendReport | None = None

    def summary(self) -> str:
        if self.period is None or self.composed is None:
            return "no papers in the feed yet; nothing to send"
        lines = [f"composed {self.composed.summary()}"]
        if self.sent is not None:
            lines.append(f"sent {self.sent.summary()}")
        return "\n".join(lines)


def run_digests(
    frequency: Frequency,
    *,
    period: Period | None = None,
    at: dt.datetime | None = None,
    progress: Progress | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    wait_seconds: float = 0.0,
) -> RunReport:
    """Compose and send ``frequency`` digests of ``period`` (default: the one just ended).

    ``at``: only readers whose chosen local hour (and, weekly, day) it is at that moment; the
    command leaves it out and sends to every active reader of that frequency. One run at a time
    (``locking.sending_lock``): ``SendBusy`` when another holds the lock past ``wait_seconds``.
    """
    if period is None:
        period = get_digest_period(frequency, today=(at.date() if at else None))
    if period is None:
        return RunReport(None)
    with sending_lock(wait_seconds):
        readers = query_due_subscriber_ids(frequency, at=at)
        composed = compose_digests(period, readers, progress=progress)
        if not composed.papers:
            return RunReport(period, composed)
        sent = send_digests(period_key(period), progress=progress, retry_delays=retry_delays)
    return RunReport(period, composed, sent)
