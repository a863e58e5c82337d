"""Real crawls of a hostile local web: killed workers, memory bombs, kill -9 of the crawl.

Memory is measured by summing the RSS of the crawl's process tree from /proc; nothing here
asserts on time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from copydesk.demo.server import SiteServer
from tests.conftest import REPO, rows
from tests.fixtures.web.hostile import (
    ALLOWED_HOST,
    SECRET,
    build_forbidden,
    build_news,
    good_articles,
)

GOOD = 24


class Web:
    def __init__(self, news: SiteServer, forbidden: SiteServer, good: list[str], bombs: list[str]):
        self.news, self.forbidden, self.good, self.bombs = news, forbidden, good, bombs


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    forbidden_root = tmp_path / "forbidden"
    build_forbidden(forbidden_root)
    with SiteServer({"forbidden": forbidden_root}) as forbidden:
        port = int(forbidden.base_url("forbidden").rsplit(":", 1)[1])
        articles = good_articles(GOOD)
        bombs = build_news(
            tmp_path / "news", port, tmp_path / "disk", articles, bombs=True, delay=0.3
        )
        with SiteServer({"news": tmp_path / "news"}, host=ALLOWED_HOST) as news:
            yield Web(news, forbidden, [a.path for a in articles], bombs)


def start_crawl(db: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={url}"]
    settings = {
        "COPYDESK_DB": str(db),
        "COPYDESK_ALLOW_NETWORKS": f"{ALLOWED_HOST}/32",
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
        "COPYDESK_EXTRACT_WORKERS": "2",
        "COPYDESK_EXTRACT_BATCH": "1",
        # The 29,000-paragraph page needs more than 128 MiB over a warm worker, the good pages
        # under 64 MiB (checked with `limit_memory` in one process): a 96 MiB budget makes it
        # fail by memory on any machine, not by time on a slow one only.
        "COPYDESK_WORKER_MAX_MEMORY": str(96 * 2**20),
        "LOG_LEVEL": "INFO",
    }
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    env.pop("http_proxy", None)
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    """Every living process below ``root`` (children, grandchildren, ...)."""
    parents = {
        int(p.name): _parent(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()
    }
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid:
                found.append(child)
                frontier.append(child)
    return found


def workers(root: int) -> list[int]:
    """Extraction workers: children of the crawl's fork server."""
    out = []
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"forkserver" in cmdline and _parent(pid) != root:
            out.append(pid)
    return out


def rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """The highest sum of RSS over a process and its descendants, sampled every 0.1 s."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = root, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            tree = [self.root, *descendants(self.root)]
            self.peak = max(self.peak, sum(rss(pid) for pid in tree))
            time.sleep(0.1)


def stored(db: Path) -> int:
    try:
        return rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    except Exception:
        return 0


def test_a_hostile_crawl_finishes_with_every_good_article(web: Web, tmp_path: Path) -> None:
    """file:// and refused-address entries, a redirect to a refused address, memory bombs and
    a worker killed with kill -9 mid-crawl: the crawl finishes by itself, stores every good
    article once, reads nothing from disk or a refused address, and stays under 1.5 GB."""
    db, log = tmp_path / "corpus.db", tmp_path / "crawl.log"
    child = start_crawl(db, web.news.url("news", "/feed.xml"), log)
    sampler = MemorySampler(child.pid)
    sampler.start()
    killed = None
    try:
        deadline = time.monotonic() + 600
        while child.poll() is None and time.monotonic() < deadline:
            if killed is None and stored(db) >= 2:
                pids = workers(child.pid)
                if pids:
                    killed = pids[0]
                    os.kill(killed, signal.SIGKILL)
            time.sleep(0.2)
        assert child.poll() is not None, "the crawl did not finish"
    finally:
        sampler.stop.set()
        if child.poll() is None:
            child.kill()
        child.wait()
    text = log.read_text(errors="replace")
    assert killed is not None, "no worker was killed"
    assert child.returncode == 0, text[-3000:]
    urls = [r["url"] for r in rows(db, "SELECT url FROM articles")]
    assert sorted(urls) == sorted(web.news.url("news", p) for p in web.good)
    assert not rows(db, "SELECT url FROM articles WHERE text LIKE ?", (f"%{SECRET}%",))
    assert sum(web.forbidden.hits.values()) == 0
    stats = rows(db, "SELECT stats FROM crawls ORDER BY id DESC LIMIT 1")[0]["stats"]
    assert '"copydesk/extract/workers_replaced": 1' in stats
    assert '"copydesk/dropped/too_many_elements": 1' in stats
    assert '"copydesk/dropped/page_too_large": 1' in stats
    assert "copydesk/dropped/page_memory" in stats or "copydesk/dropped/page_timeout" in stats
    print(f"peak RSS of the crawl's process tree: {sampler.peak / 2**20:.0f} MiB")
    assert sampler.peak < 1.5 * 2**30


def test_kill_9_of_the_crawl_leaves_no_process_behind(web: Web, tmp_path: Path) -> None:
    db, log = tmp_path / "corpus.db", tmp_path / "crawl.log"
    child = start_crawl(db, web.news.url("news", "/feed.xml"), log)
    try:
        deadline = time.monotonic() + 300
        while len(workers(child.pid)) < 2 and time.monotonic() < deadline:
            assert child.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        left = descendants(child.pid)
        assert len(left) >= 3  # the fork server and two workers, at least
    finally:
        child.kill()  # SIGKILL
        child.wait()
    deadline = time.monotonic() + 60
    alive = left
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in left if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    assert not alive, [Path(f"/proc/{p}/cmdline").read_bytes() for p in alive]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
