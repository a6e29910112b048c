"""Requests/s and p99 latency of the day page and of /api/daily_papers under wrk, with the demo data.

    .venv/bin/python benchmarks/feed.py [--data-dir DIR] [--duration 15] [--connections 16] [--workers N]

Builds (or reuses) a SQLite database holding the demo corpus (the real HF daily-papers files in
../shared/data), serves it with gunicorn exactly as ``dailypapers serve`` does, warms the cache, and
runs wrk (Debian package ``wrk``) against each URL on loopback. Prints one line per URL.
Aim on this 2-core machine: >= 1,000 req/s and p99 <= 50 ms with the cache on.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dailypapers.web.management.commands.serve import gunicorn_argv

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer {url} within {timeout}s")


def parse_wrk(output: str) -> tuple[float, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"wrk saw error responses:\n{output}")
    return rps, p99_ms


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dailypapers-bench-feed"))
    parser.add_argument("--duration", type=int, default=15, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")

    env = dict(os.environ, DAILYPAPERS_DATA_DIR=str(args.data_dir), DAILYPAPERS_LOG_LEVEL="WARNING")
    env.pop("DAILYPAPERS_DATABASE_URL", None)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    dailypapers = str(VENV_BIN / "dailypapers")
    run([dailypapers, "migrate", "-v0"], env)
    marker = args.data_dir / "bench-corpus-imported"
    if not marker.exists():
        raw = ROOT.parent / "shared" / "data" / "hf_daily_papers" / "raw"
        if not raw.is_dir():
            raise SystemExit(f"needs the demo corpus at {raw}")
        run([dailypapers, "ingest", "hf", str(raw)], env)
        marker.touch()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        # The very command line of `dailypapers serve` (access log included), its output dropped.
        gunicorn_argv(host="127.0.0.1", port=port, workers=args.workers, timeout=30),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        day = (
            subprocess.run(
                [
                    dailypapers,
                    "shell",
                    "-c",
                    "from dailypapers.papers.queries import get_latest_feed_date; print(get_latest_feed_date())",
                ],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )  # the shell may print its auto-import notice first
        urls = {
            "day page": f"{base}/papers/date/{day}",
            "/api/daily_papers": f"{base}/api/daily_papers?date={day}",
        }
        wait_for(urls["day page"])
        print(
            f"gunicorn workers={args.workers}, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, cores={os.cpu_count()}"
        )
        for name, url in urls.items():
            # Warm every worker's own (per-process) cache: sequential requests may all land on one
            # worker, so warm with concurrent load, as many connections as measured, for 3 s.
            subprocess.run(
                ["wrk", f"-t{args.threads}", f"-c{args.connections}", "-d3s", url],
                check=True,
                capture_output=True,
            )
            out = subprocess.run(
                [
                    "wrk",
                    "--latency",
                    f"-t{args.threads}",
                    f"-c{args.connections}",
                    f"-d{args.duration}s",
                    url,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rps, p99 = parse_wrk(out)
            print(f"{name:<20} {rps:8.0f} req/s   p99 {p99:6.1f} ms   ({url.removeprefix(base)})")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
