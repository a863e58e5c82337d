"""Shared fixtures: the demo web on a real local HTTP server, real crawls in child processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from copydesk.bench.redisserver import RedisServer, RedisServerMissing
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
        "COPYDESK_ALLOW_NETWORKS": "127.0.0.0/8",
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
        try:
            row = conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
        except sqlite3.DatabaseError:  # a corpus the test made corrupt or full
            row = None
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


#: Articles in the synthetic browse corpus: enough that a query scanning `articles` shows in
#: its plan and the charts span two years.
BROWSE_ARTICLES = 12_000


@pytest.fixture(scope="session")
def browse_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic corpus written through the storage layer (`copydesk bench browse`'s shape);
    read-only for the tests that use it (copy it to change it)."""
    from copydesk.bench.browse import build

    db = tmp_path_factory.mktemp("browse-corpus") / "corpus.db"
    build(db, BROWSE_ARTICLES)
    return db


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A real ``redis-server`` of this test run on 127.0.0.1, no persistence; its base URL."""
    try:
        server = RedisServer()
    except RedisServerMissing as exc:
        pytest.skip(str(exc))
    with server:
        yield server.url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The test run's Redis, emptied for this test."""
    url = f"{redis_server}/0"
    with redis.Redis.from_url(url) as client:
        client.flushall()
    return url


def kill_9(child: subprocess.Popen[Any]) -> None:
    """`kill -9` a crawl process that must still be running, and reap it."""
    assert child.poll() is None, "the crawl ended before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
