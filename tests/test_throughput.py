"""Throughput guarantees: back-pressure on the downloader; acknowledged articles survive kill -9."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.crawler import Crawler

import crawler.settings
from copydesk.bench.server import BenchServer
from copydesk.bench.sitegen import GeneratedWeb, generate_web, sources_toml

from .conftest import REPO, crawl

PAGES = 240


class AckLog:
    """Test extension: append the URL of every item the pipelines acknowledged to a file."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed on spider_closed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckLog:
        ext = cls(crawler.settings.get("TEST_ACK_FILE"))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item: object) -> None:
        self.file.write(f"{item.url}\n")  # type: ignore[attr-defined]
        self.file.flush()  # in the kernel now: survives the process being killed

    def spider_closed(self) -> None:
        self.file.close()


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWeb:
    return generate_web(tmp_path_factory.mktemp("web"), PAGES, sites=2, seed=3)


@pytest.fixture(scope="module")
def sources(web: GeneratedWeb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with BenchServer({s.slug: s.root for s in web.sites}) as server:
        path = tmp_path_factory.mktemp("sources") / "sources.toml"
        path.write_text(sources_toml(web, server.bases), encoding="utf-8")
        yield path


def test_a_slow_extraction_holds_the_downloader_back(
    web: GeneratedWeb, sources: Path, tmp_path: Path
) -> None:
    # One worker extracts far slower than loopback fetches: without back-pressure nearly every
    # page would be waiting in the extraction pipeline at once.
    max_active, concurrency = 300_000, 4
    run = crawl(
        tmp_path / "c.db",
        sources=str(sources),
        settings={
            "COPYDESK_EXTRACT_WORKERS": "1",
            "COPYDESK_EXTRACT_BATCH": "2",
            "SCRAPER_SLOT_MAX_ACTIVE_SIZE": str(max_active),
            "CONCURRENT_REQUESTS": str(concurrency),
            "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        },
    )
    assert run.returncode == 0, run.log[-3000:]
    assert run.stats["copydesk/articles/stored"] == PAGES
    smallest = min((s.root / p.lstrip("/")).stat().st_size for s in web.sites for p in s.articles)
    # Scrapy stops starting downloads once the responses being processed exceed max_active;
    # the downloads already started (at most `concurrency`) still come in.
    bound = max_active // smallest + 1 + concurrency
    assert 1 <= run.stats["copydesk/extract/max_in_flight"] <= bound < PAGES // 4


def _count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        conn.close()


def test_acknowledged_articles_survive_kill_9(sources: Path, tmp_path: Path) -> None:
    db, acks = tmp_path / "k.db", tmp_path / "acks.txt"
    acks.touch()
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"sources={sources}"]
    settings = {
        "COPYDESK_DB": str(db),
        "COPYDESK_ALLOW_NETWORKS": "127.0.0.0/8",
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "COPYDESK_EXTRACT_WORKERS": "1",
        "COPYDESK_COMMIT_BATCH": "8",
        "EXTENSIONS": json.dumps({**crawler.settings.EXTENSIONS, f"{__name__}.AckLog": 900}),
        "TEST_ACK_FILE": str(acks),
    }
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    env.pop("http_proxy", None)
    child = subprocess.Popen(
        command, cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while len(acks.read_text(encoding="utf-8").split()) < 20:
            assert child.poll() is None, child.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "no article acknowledged in time"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        _reap_group(child.pid)
        child.stderr.close()  # type: ignore[union-attr]
    acknowledged = set(acks.read_text(encoding="utf-8").split())

    conn = sqlite3.connect(db)
    stored = {url for (url,) in conn.execute("SELECT url FROM articles")}
    before = set(conn.execute("SELECT id, url, text_hash FROM articles"))
    assert acknowledged <= stored, "an acknowledged article was lost"
    assert len(stored) < PAGES, "the crawl finished before it was killed"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    # Whole transactions only: every stored article has its page and its fingerprint.
    for table in ("pages", "fingerprints"):
        missing = conn.execute(
            f"SELECT COUNT(*) FROM articles a LEFT JOIN {table} t ON t.article_id = a.id "
            "WHERE t.article_id IS NULL"
        ).fetchone()[0]
        assert missing == 0, f"articles without {table} rows"
    conn.close()

    rerun = crawl(db, sources=str(sources))
    assert rerun.returncode == 0, rerun.log[-3000:]
    assert _count(db) == PAGES
    assert rerun.stats["copydesk/articles/stored"] == PAGES - len(stored)
    conn = sqlite3.connect(db)
    after = set(conn.execute("SELECT id, url, text_hash FROM articles"))
    conn.close()
    assert before <= after  # nothing stored before the kill was rewritten or stored twice


def _reap_group(pgid: int) -> None:
    """Stop what is left of the killed crawl's session (its worker processes), then wait."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
