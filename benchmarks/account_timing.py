"""Answer times of the account forms: an address with an account against one without.

    nice .venv/bin/python benchmarks/account_timing.py [--rounds 100] [--signup-rounds 15]

In one process, against a fresh SQLite database (its own DAILYPAPERS_DATA_DIR), POSTs go through
Django's test client (the whole middleware stack, no network) to the password-reset form, the
confirmation-resend form and the sign-up form, alternating an address that has an account and one
that has none, ``--rounds`` times each (``--signup-rounds`` for sign-up, which hashes a password
with argon2 every time). Mail goes to a local aiosmtpd server. Two runs:

* queued: the mail jobs wait in the huey queue (production, with ``dailypapers worker``);
* inline: ``DAILYPAPERS_HUEY_IMMEDIATE=true`` runs each job inside the request, so the request
  sends the mail itself (what every request did before the jobs existed).

For each form and run it prints the median answer time for each kind of address and their ratio
(known / unknown); 1.00 means the timing says nothing about which addresses have accounts. Rate
limits are lifted (``=0/60``): this measures the forms, not the limiter.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(data_dir: Path, smtp_port: int) -> None:
    os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir)
    os.environ.pop("DAILYPAPERS_DATABASE_URL", None)
    os.environ.update(
        {
            "DAILYPAPERS_LOG_LEVEL": "WARNING",
            "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
            "DAILYPAPERS_EMAIL_PORT": str(smtp_port),
            "DAILYPAPERS_RATE_LIMITS": "signup=0/60,password_reset=0/60,login=0/60",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--signup-rounds", type=int, default=15)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            return "250 accepted"

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    data_dir = Path(tempfile.mkdtemp(prefix="dailypapers-bench-accounts-"))
    try:
        setup_django(data_dir, port)
        from django.contrib.auth import get_user_model
        from django.test import Client
        from huey.contrib.djhuey import HUEY

        from dailypapers.accounts import services

        users = get_user_model().objects
        ada = users.create_user("ada", "ada@example.org", PASSWORD, is_active=False)
        services.profile_of(ada)
        services.confirm_email(ada)
        sleeper = users.create_user("sleeper", "sleeper@example.org", PASSWORD, is_active=False)
        services.profile_of(sleeper)

        client = Client()
        names = itertools.count()

        def signup(email: str) -> tuple[str, dict]:
            n = next(names)
            data = {"username": f"bench{n}", "display_name": "", "email": email.format(n=n)}
            return "/accounts/signup", {**data, "password1": PASSWORD, "password2": PASSWORD}

        forms = {
            "password reset": (
                lambda email: ("/accounts/password/reset", {"email": email}),
                "ada@example.org",
                "nobody@example.org",
            ),
            "confirmation resend": (
                lambda email: ("/accounts/verify/resend", {"email": email}),
                "sleeper@example.org",
                "nobody@example.org",
            ),
            "sign-up": (signup, "ada@example.org", "new{n}@example.org"),
        }
        print(
            f"{args.rounds} rounds per form and address ({args.signup_rounds} for sign-up), "
            f"alternating; load {os.getloadavg()[0]:.2f}"
        )
        for mode, immediate in (("queued", False), ("inline", True)):
            HUEY.immediate = immediate
            for form, (request, known, unknown) in forms.items():
                times: dict[str, list[float]] = {"known": [], "unknown": []}
                rounds = args.signup_rounds if form == "sign-up" else args.rounds
                for _ in range(rounds + 2):  # the first two of each are warm-up
                    for kind, email in (("known", known), ("unknown", unknown)):
                        url, data = request(email)
                        started = time.perf_counter()
                        response = client.post(url, data)
                        times[kind].append(time.perf_counter() - started)
                        assert response.status_code == 302, (url, response.status_code)
                known_ms = median_ms(times["known"][2:])
                unknown_ms = median_ms(times["unknown"][2:])
                print(
                    f"{mode:>6}  {form:<20} known {known_ms:7.2f} ms  unknown {unknown_ms:7.2f} ms"
                    f"  ratio {known_ms / unknown_ms:.2f}"
                )
            HUEY.flush()
    finally:
        smtp.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
