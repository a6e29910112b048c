"""Fixtures of the digest tests: a day of indexed papers (through the real import pipeline and the
real search index), subscribers made through the real services, and a scripted SMTP server (real
aiosmtpd on loopback) whose replies to RCPT can be temporary or permanent failures.

The plain ``smtp_server`` fixture lives in tests/conftest.py; ``post`` (a POST whose after-commit
emails are sent) comes from tests/accounts/conftest.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest

from dailypapers.digests.models import Subscriber
from dailypapers.digests.services import subscriptions
from dailypapers.papers.models import Paper
from dailypapers.search import backend as search_backend
from dailypapers.search import indexing as search_indexing
from tests.accounts.conftest import post  # noqa: F401 (the accounts tests' POST fixture)
from tests.conftest import ReceivedEmail, free_port
from tests.factories import make_paper

DAY = dt.date(2025, 3, 14)
NEXT_DAY = dt.date(2025, 3, 15)


@pytest.fixture
def search_data_dir(settings, tmp_path: Path) -> Iterator[Path]:
    """DATA_DIR (and so DATA_DIR/search) in a fresh folder for this test only."""
    settings.DATA_DIR = tmp_path
    yield tmp_path / "search"
    search_backend._indexes.pop(tmp_path / "search", None)


DAY_PAPERS = [
    dict(
        title="Diffusion Distillation in Four Steps",
        abstract="We distill a diffusion model for image generation into a student that samples "
        "in four steps, with consistency training.",
        authors=["Grace Hopper", "Ada Lovelace"],
        upvotes=50,
        categories=["cs.CV"],
    ),
    dict(
        title="Retrieval Augmented Generation for Question Answering",
        abstract="A retriever fetches passages that a language model reads before answering "
        "open-domain questions.",
        authors=["Alan Turing"],
        upvotes=40,
        categories=["cs.CL"],
    ),
    dict(
        title="Robot Grasping from Tactile Feedback",
        abstract="A robot arm learns to grasp unknown objects using touch sensors and "
        "reinforcement learning.",
        authors=["Barbara Liskov"],
        organization="roboticslab",
        upvotes=30,
        categories=["cs.RO"],
    ),
    dict(
        title="Protein Folding with Geometric Transformers",
        abstract="Predicting three-dimensional protein structure from amino acid sequences with "
        "equivariant attention.",
        authors=["Rosalind Franklin"],
        upvotes=20,
        categories=["q-bio.BM", "cs.LG"],
    ),
    dict(
        title="Sparse Mixture of Experts for Efficient Language Models",
        abstract="Routing tokens to a few expert feed-forward networks scales language models "
        "at constant compute.",
        authors=["Claude Shannon"],
        upvotes=10,
        categories=["cs.CL", "cs.LG"],
    ),
    dict(
        title="Faster Sampling for Score-Based Diffusion Models",
        abstract="A new solver for the probability flow ODE speeds up sampling of diffusion "
        "image generators.",
        authors=["John von Neumann"],
        upvotes=5,
        categories=["cs.LG"],
    ),
]


def make_day(day: dt.date, specs: list[dict], *, index: bool = True) -> list[Paper]:
    papers = [make_paper(day=day, **spec) for spec in specs]
    if index:
        search_indexing.index_papers([paper.pk for paper in papers])
    return papers


@pytest.fixture
def day_papers(search_data_dir, settings) -> list[Paper]:
    """Six papers in the feed of DAY, indexed; top papers: 2 per digest, picks: 3."""
    settings.DIGEST_TOP_PAPERS = 2
    settings.DIGEST_PICKS = 3
    return make_day(DAY, DAY_PAPERS)


def make_subscriber(email: str = "reader@example.org", **preferences) -> Subscriber:
    """An active (confirmed) subscriber with these preferences, through the real services."""
    subscriber = Subscriber.objects.create(email=subscriptions.normalize_address(email))
    confirmed = subscriptions.confirm_subscription(subscriptions.confirmation_token(subscriber))
    assert confirmed.subscriber is not None, confirmed.problem
    subscriber = confirmed.subscriber
    values = dict(
        frequency="daily",
        hour=7,
        time_zone="UTC",
        interests="",
        authors=[],
        organizations=[],
        categories=[],
        like_upvoted=False,
    )
    values.update(preferences)
    return subscriptions.update_preferences(subscriber, **values)


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


@dataclass
class ScriptedSmtp:
    """A real SMTP server; ``rcpt_replies[address]`` lists replies for successive RCPTs."""

    host: str
    port: int
    received: list[ReceivedEmail]
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    rcpt_attempts: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0

    def to(self, address: str) -> list[ReceivedEmail]:
        return [mail for mail in self.received if address in mail.rcpt_tos]


@pytest.fixture
def scripted_smtp(settings) -> Iterator[ScriptedSmtp]:
    from aiosmtpd.controller import Controller

    server = ScriptedSmtp("127.0.0.1", free_port(), [])

    class Handler:
        async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):  # noqa: N802
            server.rcpt_attempts[address] = server.rcpt_attempts.get(address, 0) + 1
            script = server.rcpt_replies.get(address)
            if script:
                reply = script.pop(0)
                if not reply.startswith("250"):
                    return reply
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, smtp, session, envelope):  # noqa: N802
            if server.delay:
                await asyncio.sleep(server.delay)
            message = message_from_bytes(envelope.original_content, policy=email_policy.default)
            server.received.append(
                ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    controller.stop()
