"""Subscribers, what they asked not to see, and the outbox of digests.

* ``Subscriber``: one address (unique, lower-cased), with or without an account. ``pending`` until
  the double opt-in link is followed; only ``active`` subscribers get digests. ``paused`` after
  ``DAILYPAPERS_DIGEST_MAX_BOUNCES`` refusals in a row; ``unsubscribed`` by the one-click link.
  ``link_version`` is part of every signed link (preferences, unsubscribe, not interested, and
  the confirmation link's state fingerprint): raising it revokes every link sent so far.
* ``NotInterested``: "not interested" on a paper of a digest; that paper is never picked again
  and papers close to it rank lower.
* ``Digest``: the outbox. One row per (subscriber, period), written before anything is sent and
  holding what the message shows, so a rerun re-sends the same message (same Message-ID) and
  never composes a second one. ``status``: pending -> sent, or failed (temporary SMTP error, tried
  again by the next run) or refused (permanent error; never retried).
* ``SentPaper``: every paper recorded in a digest for a subscriber: a paper is never sent twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from dailypapers.papers.models import Paper

FREQUENCIES = [("daily", "Daily"), ("weekly", "Weekly")]


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        PAUSED = "paused"
        UNSUBSCRIBED = "unsubscribed"

    email = models.EmailField(max_length=254, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digest_subscriptions",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    frequency = models.CharField(max_length=8, choices=FREQUENCIES, default="daily")
    hour = models.PositiveSmallIntegerField(default=7, help_text="Local hour (0-23) to send at.")
    time_zone = models.CharField(max_length=64, default="UTC")
    interests = models.TextField(blank=True, help_text="Keywords or a free-text description.")
    authors = models.JSONField(default=list, blank=True)
    organizations = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    like_upvoted = models.BooleanField(default=False)
    link_version = models.PositiveIntegerField(default=1)
    bounces = models.PositiveIntegerField(default=0, help_text="Refusals in a row.")
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "frequency"], name="subscriber_status_freq")]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class NotInterested(models.Model):
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="not_interested"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "paper"], name="not_interested_once_per_paper"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} is not interested in {self.paper_id}"


class Digest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        REFUSED = "refused"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    period = models.CharField(max_length=16, help_text="day:2025-03-14 or week:2025-W11")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    items = models.JSONField(
        default=list, help_text='[{"paper": id, "section": "top"|"pick", "reason": "..."}]'
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=200)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "period"], name="one_digest_per_subscriber_and_period"
            )
        ]
        indexes = [models.Index(fields=["period", "status"], name="digest_period_status")]

    def __str__(self) -> str:
        return f"{self.period} to {self.subscriber_id}: {self.status}"


class SentPaper(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="paper_sent_once")
        ]
        indexes = [models.Index(fields=["paper"], name="sentpaper_paper")]

    def __str__(self) -> str:
        return f"{self.paper_id} sent to {self.subscriber_id}"
