"""``dailypapers serve``: run the site under gunicorn (``dailypapers.wsgi``), never runserver.

Binds 127.0.0.1:$PORT (8000 when PORT is unset) with 2 x cores + 1 sync workers; the access log
and gunicorn's own log go to stdout, like Django's, with the tokens of signed links blanked out
(web.token_urls). gunicorn decides whether a request came over HTTPS: it believes a proxy's
X-Forwarded-Proto from loopback and DAILYPAPERS_TRUSTED_PROXIES only. Static files are served by
WhiteNoise from the apps' static folders, so there is no collectstatic step. Settings come from
the DAILYPAPERS_* environment, which the workers inherit.

The command replaces itself with gunicorn (``exec``), so signals (Ctrl-C, a service manager's
SIGTERM) reach gunicorn's master directly and it shuts its workers down gracefully.
"""

from __future__ import annotations

import argparse
import os
import sys
from ipaddress import ip_network

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.glogging import Logger

from dailypapers.commands import require_migrated
from dailypapers.web.token_urls import ScrubbingFormatter

DEFAULT_PORT = 8000
# A proxy on the same host (docs/install.md's nginx) is always believed about the scheme.
LOOPBACK = (ip_network("127.0.0.1/32"), ip_network("::1/128"))


def default_workers() -> int:
    return (os.cpu_count() or 1) * 2 + 1


def port_from_environment() -> int:
    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        raise CommandError(f"PORT must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise CommandError(f"PORT must be between 1 and 65535, got {port}")
    return port


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return number


def add_serve_arguments(parser: CommandParser, *, default_worker: bool = False) -> None:
    """The options ``serve`` and ``demo`` share."""
    group = parser.add_argument_group("serving")
    group.add_argument(
        "--host",
        default="127.0.0.1",
        help="Address to bind (default 127.0.0.1; 0.0.0.0 listens on every interface).",
    )
    group.add_argument(
        "--port",
        type=positive_int,
        default=None,
        help=f"Port to bind (default: $PORT, else {DEFAULT_PORT}).",
    )
    group.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help=f"gunicorn worker processes (default 2 x cores + 1 = {default_workers()}).",
    )
    group.add_argument(
        "--timeout",
        type=positive_int,
        default=30,
        help="Seconds a request may take before its worker is restarted (default 30).",
    )
    group.add_argument(
        "--worker",
        action=argparse.BooleanOptionalAction,
        default=default_worker,
        help="Also run the background-job worker (`dailypapers worker`) under gunicorn's master, "
        f"started and stopped with it (default: {'on' if default_worker else 'off'}).",
    )


class StdoutLogger(Logger):
    """gunicorn's logger with its error log on stdout too ("-" means stderr in gunicorn), so every
    log line of the site (access, gunicorn, Django) is on one stream, in order; and with signed
    tokens blanked out of the request line and Referer of every access-log line (and of any
    error line quoting a request)."""

    def _set_handler(self, log, output, fmt, stream=None):
        super()._set_handler(
            log,
            output,
            ScrubbingFormatter(wrapped=fmt),
            stream=sys.stdout if output == "-" else stream,
        )


def forwarded_allow_ips() -> str:
    """The peers whose X-Forwarded-Proto gunicorn believes: loopback and the trusted proxies."""
    return ",".join(
        dict.fromkeys(str(network) for network in (*LOOPBACK, *settings.TRUSTED_PROXIES))
    )


def gunicorn_argv(
    *, host: str, port: int, workers: int, timeout: int, with_worker: bool = False
) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    hooks = ["--config", "python:dailypapers.web.gunicorn_worker"] if with_worker else []
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "dailypapers.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--logger-class",
        f"{__name__}.StdoutLogger",
        # gunicorn 27 otherwise opens one control socket per user (~/.gunicorn/gunicorn.ctl), which
        # a second server on the same machine would take over.
        "--no-control-socket",
        "--forwarded-allow-ips",
        forwarded_allow_ips(),
        *hooks,
    ]


def exec_gunicorn(command: BaseCommand, options: dict) -> None:
    """Check the database is migrated, then become gunicorn. Does not return."""
    port = options["port"] or port_from_environment()
    workers = options["workers"] or default_workers()
    require_migrated()
    argv = gunicorn_argv(
        host=options["host"],
        port=port,
        workers=workers,
        timeout=options["timeout"],
        with_worker=options["worker"],
    )
    beside = " and the background-job worker" if options["worker"] else ""
    command.stdout.write(
        f"Serving on http://{options['host']}:{port}/ with {workers} gunicorn workers{beside}"
    )
    command.stdout.flush()
    # The workers load settings again from the same environment; keep the module name explicit.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    connections.close_all()
    os.execv(sys.executable, argv)


class Command(BaseCommand):
    help = (
        "Serve the site with gunicorn on 127.0.0.1:$PORT (default 8000), 2 x cores + 1 workers, "
        "logging to stdout. Settings come from DAILYPAPERS_* environment variables "
        "(docs/configuration.md). The database must be migrated (`dailypapers migrate`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_serve_arguments(parser)

    def handle(self, *args, **options) -> None:
        exec_gunicorn(self, options)
