"""Every email the digests feature sends: one function per email, each a folder under
``templates/digests/emails/`` holding ``subject.txt``, ``body.txt`` and ``body.html`` (the
accounts feature's pattern).

* ``send_confirmation_email``: the double opt-in link (sent after the transaction commits; a mail
  server that is down is logged, and the reader can ask again).
* ``send_new_links_email``: a new preferences link after the reader revoked the old ones.
* ``build_digest_message``: one digest, multipart, with RFC 8058 one-click unsubscribe headers.
  Sending is ``services.delivery``'s job (the outbox).

Every value from a paper or a reader goes through ``feeds.text.clean`` (control characters and
bidirectional overrides dropped, length bounded) and is autoescaped in the HTML part. Headers
hold no reader-supplied text but the validated address, and Django refuses a header containing
a newline (``BadHeaderError``), so nothing can inject a header.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from dailypapers.feeds.text import authors_line, clean

logger = logging.getLogger(__name__)
SUMMARY_CHARS = 280
TITLE_CHARS = 300


def build_message(
    name: str, to: str, context: dict[str, Any], headers: dict[str, str] | None = None
) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    folder = f"digests/emails/{name}"
    # A subject is one line: a newline in a header would be refused (or worse, injected).
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    text = render_to_string(f"{folder}/body.txt", context)
    html = render_to_string(f"{folder}/body.html", context)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {}
    )
    message.attach_alternative(html, "text/html")
    return message


def send_confirmation_email(to: str, url: str, *, valid_for: dt.timedelta) -> None:
    message = build_message(
        "confirm", to, {"url": url, "hours": int(valid_for.total_seconds() // 3600)}
    )

    def deliver() -> None:
        try:
            message.send()
        except (OSError, smtplib.SMTPException):
            logger.exception("could not send the digest confirmation to %s", to)

    transaction.on_commit(deliver)


def send_new_links_email(to: str, url: str) -> None:
    """After ``revoke_links``: the one new preferences link (the old ones stopped working)."""
    message = build_message("new-links", to, {"url": url})

    def deliver() -> None:
        try:
            message.send()
        except (OSError, smtplib.SMTPException):
            logger.exception("could not send new digest links to %s", to)

    transaction.on_commit(deliver)


@dataclass(frozen=True)
class PaperShown:
    """A paper as every digest shows it: fields cleaned (plain text), absolute URL. Built once
    per paper for a whole run, not once per message."""

    title: str
    url: str
    authors: str
    summary: str


@dataclass(frozen=True)
class DigestEntry:
    """One paper in one reader's digest: the paper, why it was picked, their own links."""

    paper: PaperShown
    reason: str
    not_interested_url: str

    # The templates read these names.
    @property
    def title(self) -> str:
        return self.paper.title

    @property
    def url(self) -> str:
        return self.paper.url

    @property
    def authors(self) -> str:
        return self.paper.authors

    @property
    def summary(self) -> str:
        return self.paper.summary


def paper_shown(paper) -> PaperShown:
    names = [a.author.name for a in paper.authorships.all() if not a.hidden]
    summary = " ".join(clean(paper.ai_summary or paper.abstract, 100_000).split())
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1].rstrip() + "…"
    return PaperShown(
        title=" ".join(clean(paper.title, TITLE_CHARS).split()),
        url=settings.SITE_URL + paper.get_absolute_url(),
        authors=authors_line(names),
        summary=summary,
    )


def entry(shown: PaperShown, *, reason: str, not_interested_url: str) -> DigestEntry:
    return DigestEntry(shown, clean(reason, 300), not_interested_url)


def unsubscribe_mailto() -> str:
    address = settings.DIGEST_UNSUBSCRIBE_MAILTO or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address or "noreply@localhost"


def build_digest_message(
    *,
    to: str,
    period_label: str,
    frequency: str,
    top: list[DigestEntry],
    picks: list[DigestEntry],
    preferences_url: str,
    unsubscribe_url: str,
    message_id: str,
) -> EmailMultiAlternatives:
    mailto = f"mailto:{unsubscribe_mailto()}?subject={quote('unsubscribe ' + to)}"
    headers = {
        "List-Unsubscribe": f"<{mailto}>, <{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
    }
    context = {
        "period_label": period_label,
        "frequency": frequency,
        "top": top,
        "picks": picks,
        "sections": [(h, e) for h, e in (("Trending", top), ("Picked for you", picks)) if e],
        "preferences_url": preferences_url,
        "unsubscribe_url": unsubscribe_url,
    }
    return build_message("digest", to, context, headers)
