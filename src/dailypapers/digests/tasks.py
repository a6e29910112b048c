"""huey jobs of the digests feature.

* ``send_due_digests``: at five past every hour, compose and send the digests of every reader
  whose chosen local hour it is (weekly readers on Mondays, local time). A run that finds a
  reader's digest already recorded for the period sends nothing more (the outbox), so a retried
  or overlapping run is harmless, and a run killed halfway is completed by the next one. Runs
  never overlap (``services.locking``): when one is in progress, this hour's is skipped.
"""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.digests.services.delivery import SenderRefused
from dailypapers.digests.services.locking import SendBusy
from dailypapers.digests.services.runs import run_digests

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="5"))
def send_due_digests() -> None:
    send_digests_due_at(dt.datetime.now(dt.UTC))


def send_digests_due_at(now: dt.datetime) -> None:
    for frequency in ("daily", "weekly"):
        try:
            report = run_digests(frequency, at=now)
        except SenderRefused as error:
            log.error("digests: the SMTP server refuses our sender: %s", error)
            return
        except SendBusy:
            # A `digest send` from cron (or a slow earlier hour) is running: it sends the
            # period's outbox; readers due now are composed by the next hour's run.
            log.warning("digests: another digest run is in progress; skipped this hour")
            return
        log.info("digests (%s): %s", frequency, report.summary())
