"""Who is due when: the reader's chosen hour in their time zone (weekly readers on Mondays), the
period each frequency covers, and the worker's hourly task doing a whole run."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.digests.models import Digest
from dailypapers.digests.queries import get_digest_period, query_due_subscriber_ids
from dailypapers.digests.tasks import send_digests_due_at, send_due_digests
from dailypapers.papers.queries import period_of

from .conftest import DAY, make_subscriber

pytestmark = pytest.mark.django_db


def test_readers_are_due_at_their_local_hour():
    paris = make_subscriber("paris@example.org", hour=8, time_zone="Europe/Paris")
    tokyo = make_subscriber("tokyo@example.org", hour=8, time_zone="Asia/Tokyo")
    utc = make_subscriber("utc@example.org", hour=7, time_zone="UTC")
    at = dt.datetime(2025, 3, 15, 7, 5, tzinfo=dt.UTC)  # 08:05 in Paris (CET), 16:05 in Tokyo
    assert query_due_subscriber_ids("daily", at=at) == [paris.pk, utc.pk]
    assert query_due_subscriber_ids("daily", at=at.replace(hour=23)) == [tokyo.pk]
    assert sorted(query_due_subscriber_ids("daily")) == sorted([paris.pk, tokyo.pk, utc.pk])


def test_weekly_readers_are_due_on_monday_only():
    weekly = make_subscriber("w@example.org", frequency="weekly", hour=9)
    monday = dt.datetime(2025, 3, 17, 9, 5, tzinfo=dt.UTC)
    assert query_due_subscriber_ids("weekly", at=monday) == [weekly.pk]
    assert query_due_subscriber_ids("weekly", at=monday + dt.timedelta(days=1)) == []
    assert query_due_subscriber_ids("daily", at=monday) == []


def test_periods_are_the_latest_day_and_the_last_week_that_ended(day_papers):
    assert get_digest_period("daily", today=DAY) == period_of("day", DAY)
    assert get_digest_period("daily", today=DAY - dt.timedelta(days=1)) is None
    assert get_digest_period("weekly", today=DAY) is None  # its week has not ended
    assert get_digest_period("weekly", today=DAY + dt.timedelta(days=7)) == period_of("week", DAY)


def test_hourly_task_sends_to_readers_whose_hour_it_is(day_papers, scripted_smtp):
    make_subscriber("now@example.org", hour=7)
    make_subscriber("later@example.org", hour=19)
    now = dt.datetime.combine(DAY, dt.time(7, 5), tzinfo=dt.UTC)
    send_digests_due_at(now)
    assert [mail.rcpt_tos for mail in scripted_smtp.received] == [["now@example.org"]]
    send_digests_due_at(now)  # the same hour again: nothing twice
    assert len(scripted_smtp.received) == 1
    assert Digest.objects.get().period == f"day:{DAY.isoformat()}"


def test_hourly_task_is_a_periodic_huey_task():
    task = send_due_digests.task_class()
    assert task.validate_datetime(dt.datetime(2025, 3, 17, 10, 5))
    assert not task.validate_datetime(dt.datetime(2025, 3, 17, 10, 6))
