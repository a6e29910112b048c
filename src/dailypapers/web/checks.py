"""Our own deployment checks, run by ``dailypapers check --deploy`` beside Django's.

Each one names a setting that is fine on a laptop and wrong on a public site, and says which
``DAILYPAPERS_*`` variable fixes it (docs/install.md, "Serving in production").
"""

from __future__ import annotations

import stat
from email.utils import parseaddr
from urllib.parse import urlparse

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.http.request import split_domain_port, validate_host

_NOT_SENT = {
    "django.core.mail.backends.console.EmailBackend": "printed to the log",
    "django.core.mail.backends.filebased.EmailBackend": "written to files",
    "django.core.mail.backends.dummy.EmailBackend": "thrown away",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
}


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if not settings.HTTPS:
        problems.append(
            Warning(
                f"DAILYPAPERS_SITE_URL is {settings.SITE_URL}, not https://: cookies go out "
                "without Secure, no HSTS is sent, plain HTTP is not redirected, and the links in "
                "emails and feeds are plain HTTP.",
                hint="Serve the site over TLS and set DAILYPAPERS_SITE_URL=https://your.host.",
                id="dailypapers.W001",
            )
        )
    host, _ = split_domain_port(urlparse(settings.SITE_URL).netloc)
    if not validate_host(host, settings.ALLOWED_HOSTS):
        problems.append(
            Warning(
                f"The host of DAILYPAPERS_SITE_URL ({host}) is not in DAILYPAPERS_ALLOWED_HOSTS: "
                "the site refuses the links it sends out.",
                hint=f"Add {host} to DAILYPAPERS_ALLOWED_HOSTS.",
                id="dailypapers.W002",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_email(app_configs=None, **kwargs) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    fate = _NOT_SENT.get(settings.EMAIL_BACKEND)
    if fate:
        problems.append(
            Warning(
                f"Emails are {fate}, not sent: sign-up confirmations, password resets and digests "
                "never reach anyone.",
                hint="Set DAILYPAPERS_EMAIL_URL (smtp://user:password@host:587?starttls=true).",
                id="dailypapers.W003",
            )
        )
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
    if domain in {"", "localhost"} or "." not in domain:
        problems.append(
            Warning(
                f"Emails come from {settings.DEFAULT_FROM_EMAIL!r}: mail servers refuse or file "
                "as spam mail from an address without a real domain.",
                hint="Set DAILYPAPERS_EMAIL_FROM to an address of your domain.",
                id="dailypapers.W004",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_secret_key_file(app_configs=None, **kwargs) -> list[CheckMessage]:
    path = settings.SECRET_KEY_FILE
    if path is None or not path.exists():
        return []
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return []
    return [
        Warning(
            f"{path} (the secret key that signs sessions and every emailed link) can be read "
            f"by other users of this machine (mode {mode:04o}).",
            hint=f"chmod 600 {path}",
            id="dailypapers.W005",
        )
    ]
