"""The queue named by DAILYPAPERS_HUEY_URL: a SQLite file by default, another file, or Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from huey import RedisHuey

from dailypapers.settings import huey_from_url


def test_the_default_queue_is_a_sqlite_file_in_the_data_dir(tmp_path):
    config = huey_from_url("", tmp_path, immediate=False, workers=2)

    assert config["huey_class"] == "huey.SqliteHuey"
    assert config["filename"] == str(tmp_path / "huey.sqlite3")
    assert config["consumer"] == {
        "workers": 2,
        "worker_type": "thread",
        "periodic": True,
        "flush_locks": True,
    }


def test_a_sqlite_url_names_another_file(tmp_path):
    config = huey_from_url(f"sqlite:///{tmp_path}/queue.db", tmp_path, immediate=True, workers=1)

    assert config["filename"] == f"{tmp_path}/queue.db"
    assert config["immediate"] is True


def test_an_unknown_scheme_is_refused_naming_the_variable(tmp_path):
    with pytest.raises(ValueError, match="DAILYPAPERS_HUEY_URL must be"):
        huey_from_url("amqp://localhost", tmp_path, immediate=False, workers=1)


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("needs redis-server (Debian package redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_redis_url_queues_jobs_in_redis(redis_url, tmp_path: Path):
    config = huey_from_url(redis_url, tmp_path, immediate=False, workers=1)
    assert config["huey_class"] == "huey.RedisHuey"
    options = {k: v for k, v in config.items() if k not in {"huey_class", "name", "consumer"}}
    huey = RedisHuey(config["name"], **options)

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    add(2, 3)

    assert huey.pending_count() == 1
    [job] = huey.pending()
    assert job.args == (2, 3)
    assert huey.execute(huey.dequeue()) == 5
    assert huey.pending_count() == 0
