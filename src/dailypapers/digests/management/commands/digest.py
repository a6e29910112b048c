"""``dailypapers digest preview|send``: what one reader would get; send a period's digests."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from dailypapers.commands import ProgressBar
from dailypapers.digests.models import Subscriber
from dailypapers.digests.queries import get_digest_period, get_papers_for, get_subscriber_by_email
from dailypapers.digests.services.compose import compose_one, message_id_for, period_key
from dailypapers.digests.services.delivery import SenderRefused, render_digest
from dailypapers.digests.services.locking import SendBusy
from dailypapers.digests.services.runs import run_digests
from dailypapers.papers.queries import InvalidPeriod, Period, parse_day, parse_week

STAGES = {"compose": "Composing digests", "send": "Sending digests"}
PERIODS = {"daily": "day", "weekly": "week"}


def _period(options: dict) -> Period | None:
    frequency = options["period"]
    if options.get("date") and options.get("week"):
        raise CommandError("give --date or --week, not both")
    try:
        if options.get("date"):
            if frequency != "daily":
                raise CommandError("--date goes with --period daily")
            return parse_day(options["date"])
        if options.get("week"):
            if frequency != "weekly":
                raise CommandError("--week goes with --period weekly")
            return parse_week(options["week"])
    except InvalidPeriod as error:
        raise CommandError(str(error)) from None
    return get_digest_period(frequency)


class Command(BaseCommand):
    help = (
        "Email digests. `preview --email ADDRESS`: print the digest that reader would get now "
        "(nothing is recorded or sent). `send --period daily|weekly`: compose the period's "
        "digests for every active subscriber of that frequency and send them (for cron; the "
        "worker does the same each hour for readers whose chosen hour it is)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{preview,send}")
        for name, text in (
            ("preview", "Print what one reader would get (nothing is sent)."),
            ("send", "Compose and send a period's digests."),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument(
                "--period",
                choices=["daily", "weekly"],
                default="daily",
                help="daily (default) or weekly.",
            )
            sub.add_argument("--date", help="The day to cover (YYYY-MM-DD; default the latest).")
            sub.add_argument(
                "--week", help="The ISO week to cover (YYYY-Www; default the last one ended)."
            )
            if name == "send":
                sub.add_argument(
                    "--wait",
                    type=float,
                    default=60.0,
                    help="Seconds to wait for a digest run already in progress (default 60).",
                )
            if name == "preview":
                sub.add_argument("--email", required=True, help="The subscriber's address.")
                sub.add_argument(
                    "--html", action="store_true", help="Print the HTML part instead of the text."
                )

    def handle(self, *args, **options) -> None:
        if options["action"] == "preview":
            self.preview(options)
        else:
            self.send(options)

    def preview(self, options: dict) -> None:
        subscriber = get_subscriber_by_email(options["email"])
        if subscriber is None:
            raise CommandError(f"no subscriber with the address {options['email'][:254]!r}")
        period = _period(options)
        if period is None:
            raise CommandError("the feed holds no papers yet: nothing to preview")
        items = compose_one(period, subscriber)
        if not items:
            self.stderr.write(f"{period.label}: nothing new for {subscriber.email}; no digest.")
            return
        papers = get_papers_for([item.paper for item in items])
        message = render_digest(
            subscriber,
            [item.as_json() for item in items],
            papers,
            period_label=period.label,
            message_id=message_id_for(period_key(period)),
        )
        if subscriber.status != Subscriber.Status.ACTIVE:
            self.stderr.write(f"note: this subscriber is {subscriber.status}; nothing is sent.")
        if options["html"]:
            html = next(body for body, kind in message.alternatives if kind == "text/html")
            self.stdout.write(str(html))
            return
        self.stdout.write(f"To: {subscriber.email}\nSubject: {message.subject}\n")
        self.stdout.write(str(message.body))

    def send(self, options: dict) -> None:
        console = Console(stderr=True, no_color=options.get("no_color", False))
        period = _period(options)
        if period is None:
            console.print("The feed holds no papers yet: nothing to send.")
            return
        with ProgressBar(console, STAGES) as bar:
            started = dt.datetime.now(dt.UTC)
            try:
                report = run_digests(
                    options["period"],
                    period=period,
                    progress=bar.advance,
                    wait_seconds=options["wait"],
                )
            except SenderRefused as error:
                raise CommandError(f"the SMTP server refuses our sender: {error}") from None
            except SendBusy:
                raise CommandError(
                    f"another digest run is still in progress after {options['wait']:.0f} s; "
                    "try again later (a run killed by a crash holds no lock)"
                ) from None
        console.print(f"{period.label} ({period_key(period)}), started {started:%H:%M:%S} UTC")
        console.print(report.summary(), markup=False)
        if report.sent is not None:
            for line in report.sent.errors[:20]:
                console.print(f"  {line}", markup=False)
            if report.sent.stopped:
                raise CommandError(f"stopped early: {report.sent.stopped}")
            if report.sent.failed:
                raise CommandError(
                    f"{report.sent.failed} digests could not be sent now; run again to retry them"
                )
