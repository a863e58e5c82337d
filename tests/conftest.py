"""Shared fixtures: the demo web on a real local HTTP server, real crawls in child processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from copydesk.demo.server import SiteServer
from copydesk.demo.sites import load_sites, sources_toml

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COPYDESK_SHARED", REPO.parent / "shared"))


@dataclass
class CrawlRun:
    """The outcome of one ``scrapy crawl`` child process."""

    returncode: int
    log: str
    stats: dict[str, Any]


def crawl(
    db: Path,
    spider: str = "news",
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
    **args: str,
) -> CrawlRun:
    """Run a real crawl against local servers and return its exit code, log and stats."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    fast = {
        "COPYDESK_DB": str(db),
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "LOG_LEVEL": "INFO",
        "COPYDESK_EXTRACT_WORKERS": "2",
    }
    for key, value in {**fast, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    child_env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", **(env or {})}
    child_env.pop("http_proxy", None)
    done = subprocess.run(
        command, cwd=REPO, env=child_env, capture_output=True, text=True, timeout=timeout
    )
    stats: dict[str, Any] = {}
    if db.exists():
        conn = sqlite3.connect(db)
        row = conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        conn.close()
        stats = json.loads(row[0]) if row and row[0] else {}
    return CrawlRun(done.returncode, done.stdout + done.stderr, stats)


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a query on a corpus file, as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def demo_server() -> Iterator[SiteServer]:
    sites = load_sites()
    with SiteServer({s.slug: s.dir for s in sites}) as server:
        yield server


@pytest.fixture(scope="session")
def demo_sources(demo_server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "sources.toml"
    path.write_text(sources_toml(load_sites(), demo_server.bases), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo_corpus(demo_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of the demo web made by a real crawl (read-only for the tests that use it)."""
    db = tmp_path_factory.mktemp("demo-corpus") / "corpus.db"
    run = crawl(db, sources=str(demo_sources))
    assert run.returncode == 0, run.log[-3000:]
    return db


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``redis-server`` of this test run on 127.0.0.1, no persistence; its base URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (`./dev setup` installs it from apt)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [exe, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert server.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer within 20 s"
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The test run's Redis, emptied for this test."""
    with socket.create_connection(("127.0.0.1", int(redis_server.rsplit(":", 1)[1]))) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        assert sock.recv(16).startswith(b"+OK")
    return f"{redis_server}/0"
