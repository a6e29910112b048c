"""Votes/s through the HTTP endpoint under wrk, and the trending recompute time for 1M votes.

    nice .venv/bin/python benchmarks/votes.py [--duration 15] [--connections 16] [--workers N] [--users 200]
    nice .venv/bin/python benchmarks/votes.py --only http        # or: --only trending

1. votes/s: a SQLite database with 2,000 papers and ``--users`` signed-in users (sessions made as
   a login makes them; each user's CSRF token read from a paper page, as a browser gets it), served
   by gunicorn as ``dailypapers serve`` does. wrk (Debian package ``wrk``) POSTs htmx votes on
   loopback; its Lua script rotates users (cookie + token) and papers, 80 % upvotes and 20 %
   withdrawals. The vote rate limit is lifted (``vote=0/60``): this measures the endpoint, not the
   limiter. Jobs queue in the SQLite queue file; no worker runs during the measure.
2. trending: 75,000 papers (imported upvotes and feed days over 500 days, stars on a third) and
   1,000,000 distinct votes by 20,000 users over 60 days in a second database (built once, reused);
   times ``recompute_trending_scores()`` for every paper.

Each part runs in its own process (its own DAILYPAPERS_DATA_DIR); the figures are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from dailypapers.web.management.commands.serve import gunicorn_argv

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HTTP_PAPERS = 2000
TREND_PAPERS = 75_000
TREND_USERS = 20_000
TREND_VOTES = 1_000_000

LUA = r"""
local users = {}
local papers = {}
for line in io.lines("%(users)s") do
  local session, cookie, token = line:match("(%%S+) (%%S+) (%%S+)")
  users[#users + 1] = {session = session, cookie = cookie, token = token}
end
for line in io.lines("%(papers)s") do papers[#papers + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  local user = users[(counter %% #users) + 1]
  local paper = papers[math.random(#papers)]
  local action = "upvote"
  if math.random() < 0.2 then action = "withdraw" end
  wrk.method = "POST"
  wrk.headers["Cookie"] = "sessionid=" .. user.session .. "; csrftoken=" .. user.cookie
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["HX-Request"] = "true"
  wrk.body = "action=" .. action .. "&csrfmiddlewaretoken=" .. user.token
  return wrk.format(nil, "/papers/" .. paper .. "/vote")
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(data_dir: Path, **extra: str) -> None:
    os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir)
    os.environ.pop("DAILYPAPERS_DATABASE_URL", None)
    os.environ.update(extra)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_papers(count: int, prefix: str, *, with_extras: bool) -> list[int]:
    """``count`` papers with daily entries, inserted in bulk (the pipeline's speed is not measured)."""
    import datetime as dt
    import random

    from django.db import transaction
    from django.utils import timezone

    from dailypapers.papers.models import DailyEntry, Paper

    existing = Paper.objects.filter(arxiv_id__startswith=prefix).count()
    if existing < count:
        rng = random.Random(1)
        today = timezone.now().date()
        with transaction.atomic():
            papers = [
                Paper(
                    arxiv_id=f"{prefix}.{n:05d}",
                    title=f"Benchmark paper {n}",
                    imported_upvotes=(up := rng.choice([0, 0, 1, 2, 5, 10, 30, 100])),
                    upvotes=up,
                    github_stars=rng.randint(0, 5000) if with_extras and n % 3 == 0 else None,
                )
                for n in range(existing, count)
            ]
            Paper.objects.bulk_create(papers, batch_size=5000)
            ids = dict(
                Paper.objects.filter(arxiv_id__startswith=prefix).values_list("arxiv_id", "pk")
            )
            DailyEntry.objects.bulk_create(
                [
                    DailyEntry(
                        paper_id=ids[p.arxiv_id],
                        date=today - dt.timedelta(days=rng.randint(0, 500 if with_extras else 5)),
                    )
                    for p in papers
                ],
                batch_size=5000,
            )
    return list(Paper.objects.filter(arxiv_id__startswith=prefix).values_list("pk", flat=True))


def make_users(count: int, prefix: str) -> list[int]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    existing = User.objects.filter(username__startswith=prefix).count()
    if existing < count:
        User.objects.bulk_create(
            [
                User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.org", password="!")
                for n in range(existing, count)
            ],
            batch_size=5000,
        )
    return list(
        User.objects.filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True)
    )


def http_part(args: argparse.Namespace) -> None:
    data_dir = args.data_dir / "http"
    setup_django(data_dir, DAILYPAPERS_RATE_LIMITS="vote=0/60", DAILYPAPERS_LOG_LEVEL="WARNING")
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.test import Client

    from dailypapers.community.models import Vote
    from dailypapers.papers.models import Paper

    make_papers(HTTP_PAPERS, "2601", with_extras=False)
    user_ids = make_users(args.users, "benchvoter")
    arxiv_ids = list(
        Paper.objects.filter(arxiv_id__startswith="2601").values_list("arxiv_id", flat=True)
    )
    Vote.objects.all().delete()
    Paper.objects.update(local_upvotes=0, upvotes=F("imported_upvotes"))  # a fresh start

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    server = subprocess.Popen(
        # The very command line of `dailypapers serve` (access log included), its output dropped.
        gunicorn_argv(host="127.0.0.1", port=port, workers=args.workers, timeout=30),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    work = Path(tempfile.mkdtemp(prefix="dp-bench-votes-"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/papers/trending", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        lines = []
        for user in get_user_model().objects.filter(pk__in=user_ids):
            client = Client()
            client.force_login(user)  # the session a login creates (the login form's limits aside)
            session = client.cookies["sessionid"].value
            request = urllib.request.Request(
                f"{base}/papers/{arxiv_ids[0]}", headers={"Cookie": f"sessionid={session}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"]).group(1)
                token = re.search(
                    r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()
                ).group(1)
            lines.append(f"{session} {cookie} {token}")
        (work / "users.txt").write_text("\n".join(lines) + "\n")
        (work / "papers.txt").write_text("\n".join(arxiv_ids) + "\n")
        (work / "votes.lua").write_text(
            LUA % {"users": work / "users.txt", "papers": work / "papers.txt"}
        )
        votes_before = Vote.objects.count()
        out = subprocess.run(
            [
                "wrk",
                "--latency",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "-s",
                str(work / "votes.lua"),
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    from django.db.models import Sum

    sums = Paper.objects.aggregate(
        local=Sum("local_upvotes"),
        bad=Sum(F("upvotes") - F("imported_upvotes") - F("local_upvotes")),
    )
    rows = Vote.objects.count()
    print(
        f"HTTP votes: {rps:,.0f} votes/s sustained over {args.duration}s (p99 {p99}), "
        f"gunicorn workers={args.workers}, wrk -t{args.threads} -c{args.connections}, "
        f"{len(lines)} users x {len(arxiv_ids)} papers; non-2xx: {errors.group(1) if errors else 0}; "
        f"vote rows {votes_before} -> {rows}, sum(local_upvotes)={sums['local']} "
        f"({'exact' if sums['local'] == rows and not sums['bad'] else 'MISMATCH'})"
    )


def trending_part(args: argparse.Namespace) -> None:
    import numpy as np

    setup_django(args.data_dir / "trending", DAILYPAPERS_LOG_LEVEL="WARNING")
    from django.db import connection, transaction
    from django.utils import timezone

    from dailypapers.community.models import TrendingScore, Vote
    from dailypapers.community.services.trending import recompute_trending_scores

    built = time.perf_counter()
    paper_ids = np.array(make_papers(TREND_PAPERS, "2602", with_extras=True))
    user_ids = np.array(make_users(TREND_USERS, "trendvoter"))
    if Vote.objects.count() < TREND_VOTES:
        Vote.objects.all().delete()
        rng = np.random.default_rng(2)
        pairs = np.unique(
            rng.integers(0, len(user_ids) * len(paper_ids), size=int(TREND_VOTES * 1.05))
        )
        pairs = rng.permutation(pairs)[:TREND_VOTES]
        users, papers = user_ids[pairs // len(paper_ids)], paper_ids[pairs % len(paper_ids)]
        now = timezone.now().timestamp()
        seconds = now - rng.uniform(0, 60 * 86400, size=TREND_VOTES)
        stamps = [time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s)) for s in seconds]
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, TREND_VOTES, 50_000):
                cursor.executemany(
                    "INSERT INTO community_vote (user_id, paper_id, created) VALUES (%s, %s, %s)",
                    list(
                        zip(
                            users[start : start + 50_000].tolist(),
                            papers[start : start + 50_000].tolist(),
                            stamps[start : start + 50_000],
                            strict=True,
                        )
                    ),
                )
    TrendingScore.objects.all().delete()
    setup_seconds = time.perf_counter() - built
    started = time.perf_counter()
    stats = recompute_trending_scores()
    elapsed = time.perf_counter() - started
    print(
        f"trending recompute: {elapsed:.1f} s for {stats.votes:,} votes over {stats.papers:,} papers "
        f"({stats.scored:,} scored, {stats.written:,} rows written); data built/checked in {setup_seconds:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dailypapers-bench-votes"))
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--only", choices=["http", "trending"])
    parser.add_argument("--part", choices=["http", "trending"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "http":
        return http_part(args)
    if args.part == "trending":
        return trending_part(args)
    if args.only != "trending" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    for part in [args.only] if args.only else ["http", "trending"]:
        command = [sys.executable, __file__, "--part", part] + [
            arg
            for arg in sys.argv[1:]
            if not arg.startswith("--only") and arg not in {"http", "trending"}
        ]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            raise SystemExit(f"{part} part failed:\n{result.stdout}\n{result.stderr}")
        figures.append(result.stdout.strip().splitlines()[-1])
    print(f"cores={os.cpu_count()}")
    for figure in figures:
        print(figure)


if __name__ == "__main__":
    main()
