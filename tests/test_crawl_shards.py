"""Multi-machine crawls end to end: shard processes and a writer on real crawls, a real
redis-server and real SQLite, with processes killed (-9) halfway."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from copydesk.bench.redisserver import RedisServer, RedisServerMissing, free_port
from copydesk.cli import cli
from copydesk.demo.server import SiteServer
from copydesk.demo.sites import load_sites, sources_toml
from copydesk.handoff import STREAM, connect, status
from crawler.lock import CorpusLock
from crawler.shard import owner
from crawler.sources import site_of

from .conftest import REPO, CrawlRun, crawl, kill_9, rows
from .fixtures.web.newsweb import Article, article_html

pytestmark = pytest.mark.slow

SLOW = [
    Article("slow", f"/news/slow-story-number-{i}-of-ten.html", f"Slow story {i} of ten",
            "2025-10-01", "news")
    for i in range(10)
]  # fmt: skip


def child_env() -> dict[str, str]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    env.pop("http_proxy", None)
    return env


@contextmanager
def writer(redis_url: str, db: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `copydesk writer` process, stopped with SIGTERM (or already killed) at the end."""
    process = start_writer(redis_url, db)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


def start_writer(redis_url: str, db: Path) -> subprocess.Popen[bytes]:
    """A writer whose output goes to ``<db>.writer.log``."""
    with open(f"{db}.writer.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "copydesk.cli", "writer", "--redis", redis_url, "--db", str(db)],
            cwd=REPO,
            env=child_env(),
            stdout=log,
            stderr=log,
        )


def writer_log(db: Path) -> str:
    path = Path(f"{db}.writer.log")
    return path.read_text(encoding="utf-8")[-3000:] if path.exists() else ""


def shard_command(state: Path, redis_url: str, shard: str, **args: str) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"shard={shard}"]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    settings = {
        "COPYDESK_DB": str(state), "COPYDESK_HANDOFF": redis_url, "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS": "2", "COPYDESK_EXTRACT_WORKERS": "0",
        "COPYDESK_ALLOW_NETWORKS": "127.0.0.0/8",  # the demo web is on 127.0.0.1
    }  # fmt: skip
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return command


def start_shard(command: list[str]) -> subprocess.Popen[bytes]:
    """A shard's crawl in a child process, its output discarded."""
    return subprocess.Popen(
        command, cwd=REPO, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def count(db: Path) -> int:
    try:
        return int(rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"])
    except sqlite3.OperationalError:  # not created yet
        return 0


def wait_for(check: object, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def urls(db: Path) -> list[str]:
    return sorted(r["url"] for r in rows(db, "SELECT url FROM articles"))


def clusters(db: Path) -> set[frozenset[str]]:
    """Each cluster (canonical and copies) as a set of URLs."""
    found: dict[int, set[str]] = {}
    for r in rows(db, "SELECT id, url, COALESCE(duplicate_of, id) AS c FROM articles"):
        found.setdefault(r["c"], set()).add(r["url"])
    return {frozenset(members) for members in found.values()}


def assert_stored_once(db: Path) -> None:
    assert rows(db, "SELECT COUNT(*) AS n, COUNT(DISTINCT url) AS d FROM articles")[0] == {
        "n": count(db),
        "d": count(db),
    }


@pytest.fixture(scope="module")
def slow_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """One site whose ten articles each take 0.3 s to answer: time to kill a process."""
    root = tmp_path_factory.mktemp("slow-web")
    (root / "slow/news").mkdir(parents=True)
    for a in SLOW:
        (root / f"slow{a.path}").write_text(article_html(a), encoding="utf-8")
    routes = "\n".join(f'["{a.path}"]\ndelay = 0.3\n' for a in SLOW)
    (root / "slow/_routes.toml").write_text(routes, encoding="utf-8")
    items = "".join(
        f"<item><title>{a.title}</title><link>{{{{base}}}}{a.path}</link></item>" for a in SLOW
    )
    (root / "slow/feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>',
        encoding="utf-8",
    )
    with SiteServer({"slow": root / "slow"}) as server:
        yield server


@pytest.fixture(scope="module")
def named_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str], Path]]:
    """The demo web at fixed URLs (``http://SLUG.example`` through a local proxy), so sites
    split over shards the same way in every run; its sources file, the crawl environment and
    the corpus one process makes of it."""
    sites = load_sites()
    with SiteServer({s.slug: s.dir for s in sites}, virtual_hosts=True) as server:
        root = tmp_path_factory.mktemp("named-demo")
        sources = root / "sources.toml"
        sources.write_text(sources_toml(sites, server.bases), encoding="utf-8")
        env = {"HTTP_PROXY": str(server.proxy_url), "NO_PROXY": "", "no_proxy": ""}
        single = root / "single.db"
        run = crawl(single, sources=str(sources), env=env)
        assert run.returncode == 0, run.log[-3000:]
        yield sources, env, single


def test_two_shards_and_a_writer_store_what_one_crawl_stores(
    named_demo: tuple[Path, dict[str, str], Path], redis_url: str, tmp_path: Path
) -> None:
    sources, env, single = named_demo
    central = tmp_path / "central.db"

    def shard(k: int) -> CrawlRun:
        return crawl(
            tmp_path / f"shard{k}.db",
            settings={"COPYDESK_HANDOFF": redis_url},
            env=env,
            sources=str(sources),
            shard=f"{k}/2",
        )

    with writer(redis_url, central), ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(shard, (1, 2)))
    for run in runs:
        assert run.returncode == 0, run.log[-3000:]
        assert "copydesk/handoff/unconfirmed" not in run.stats, writer_log(central)
        assert run.stats["copydesk/articles/stored"] == run.stats["copydesk/handoff/sent"] > 0
    assert len(urls(single)) > 10
    assert urls(central) == urls(single)
    assert_stored_once(central)
    # the same wire-copy clusters as one process finds, some spanning both shards' sites
    assert clusters(central) == clusters(single)
    spanning = [c for c in clusters(central) if len({owner(site_of(u), 2) for u in c}) == 2]
    assert spanning
    check = CliRunner().invoke(cli, ["recluster", "--check", "--db", str(central)])
    assert check.exit_code == 0, check.output
    handoff = status(connect(redis_url))
    assert (handoff["stream_length"], handoff["pending"]) == (0, 0)
    assert sorted(s["shard"] for s in handoff["shards"].values()) == ["1/2", "2/2"]
    # each shard knows its URLs as stored, and counts them stored only once confirmed
    for k in (1, 2):
        state = tmp_path / f"shard{k}.db"
        assert count(state) == 0
        outcomes = rows(state, "SELECT outcome, COUNT(*) AS n FROM discoveries GROUP BY 1")
        assert "handed_off" not in {r["outcome"] for r in outcomes}
        assert rows(state, "SELECT COUNT(*) AS n FROM handoff_stored")[0]["n"] > 0


def test_with_redis_down_the_crawl_exits_1_and_marks_nothing_stored(
    demo_sources: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    run = crawl(
        state,
        settings={"COPYDESK_HANDOFF": f"redis://127.0.0.1:{free_port()}/0"},
        sources=str(demo_sources),
        shard="1/2",
    )
    assert run.returncode == 1, run.log[-3000:]
    assert "cannot reach Redis" in run.log and "start redis-server" in run.log
    assert not state.exists() or not rows(state, "SELECT * FROM handoff_stored")


def test_a_shard_whose_lock_is_held_exits_75(
    demo_sources: Path, redis_url: str, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    lock = CorpusLock(state).acquire()
    try:
        run = crawl(
            state,
            settings={"COPYDESK_HANDOFF": redis_url},
            sources=str(demo_sources),
            shard="1/2",
        )
    finally:
        lock.release()
    assert run.returncode == 75, run.log[-3000:]


def test_with_the_writer_stopped_the_stream_never_passes_its_limit(
    demo_sources: Path, demo_corpus: Path, redis_url: str, tmp_path: Path
) -> None:
    client = connect(redis_url)
    command = shard_command(tmp_path / "state.db", redis_url, "1/1", sources=str(demo_sources))
    command += ["-s", "COPYDESK_HANDOFF_MAXLEN=3"]
    child = start_shard(command)
    try:
        lengths = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([n for n in lengths if n == 3]) < 40:
            lengths.append(int(client.xlen(STREAM)))
            time.sleep(0.05)
        assert max(lengths) == 3
        assert child.poll() is None, "the crawl should be waiting for room in the stream"
        central = tmp_path / "central.db"
        with writer(redis_url, central):
            assert child.wait(120) == 0
    finally:
        if child.poll() is None:
            child.kill()
    assert urls(central) == urls(demo_corpus)
    assert_stored_once(central)


def test_a_shard_killed_mid_crawl_then_rerun_loses_and_doubles_nothing(
    slow_web: SiteServer, redis_url: str, tmp_path: Path
) -> None:
    central, state = tmp_path / "central.db", tmp_path / "state.db"
    feed = slow_web.url("slow", "/feed.xml")
    with writer(redis_url, central):
        child = start_shard(shard_command(state, redis_url, "1/1", url=feed))
        try:
            wait_for(lambda: count(central) >= 2, what="two articles stored")
            kill_9(child)
        finally:
            if child.poll() is None:
                child.kill()
        killed_at = count(central)
        assert killed_at < len(SLOW)
        run = crawl(state, settings={"COPYDESK_HANDOFF": redis_url}, url=feed, shard="1/1")
        assert run.returncode == 0, run.log[-3000:]
    assert urls(central) == sorted(slow_web.url("slow", a.path) for a in SLOW)
    assert_stored_once(central)
    assert run.stats["copydesk/skipped/already_stored"] >= 2
    confirmed = {r["url"] for r in rows(state, "SELECT url FROM handoff_stored")}
    assert confirmed == set(urls(central))
    assert status(connect(redis_url))["pending"] == 0


def test_a_writer_killed_mid_crawl_then_restarted_stores_each_article_once(
    slow_web: SiteServer, redis_url: str, tmp_path: Path
) -> None:
    central, state = tmp_path / "central.db", tmp_path / "state.db"
    feed = slow_web.url("slow", "/feed.xml")
    shard = start_shard(shard_command(state, redis_url, "1/1", url=feed))
    try:
        first = start_writer(redis_url, central)
        try:
            wait_for(lambda: count(central) >= 2, what="two articles stored")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        assert count(central) < len(SLOW)
        with writer(redis_url, central):
            assert shard.wait(120) == 0
    finally:
        if shard.poll() is None:
            shard.kill()
    assert urls(central) == sorted(slow_web.url("slow", a.path) for a in SLOW)
    assert_stored_once(central)
    handoff = status(connect(redis_url))
    assert (handoff["stream_length"], handoff["pending"]) == (0, 0)


def test_bench_crawl_with_shards_prints_both_rates(redis_server: str) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "crawl", "--pages", "40", "--rounds", "1", "--shards", "2"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    (round_,) = report["by_round"]
    assert round_["sharded_articles_stored"] == round_["one_process_articles_stored"] == 40
    assert sum(round_["pages_by_shard"]) == 40 and round_["left_in_stream"] == 0
    assert report["ratio"] > 0


def test_redis_lost_mid_crawl_stops_the_shard_with_exit_1(
    slow_web: SiteServer, tmp_path: Path
) -> None:
    central, state = tmp_path / "central.db", tmp_path / "state.db"
    try:  # a Redis of this test's own, to stop halfway
        server = RedisServer().__enter__()
    except RedisServerMissing as exc:
        pytest.skip(str(exc))
    try:
        url = f"{server.url}/0"
        with writer(url, central):
            run_async = subprocess.Popen(
                shard_command(state, url, "1/1", url=slow_web.url("slow", "/feed.xml")),
                cwd=REPO,
                env=child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                wait_for(lambda: count(central) >= 2, what="two articles stored")
                server.__exit__()  # Redis goes away halfway
                _, log = run_async.communicate(timeout=120)
            finally:
                if run_async.poll() is None:
                    run_async.kill()
    finally:
        server.__exit__()
    assert run_async.returncode == 1, log[-3000:]
    assert "Lost the hand-off Redis" in log
    # only what the writer stored and confirmed counts as stored on the shard
    confirmed = {r["url"] for r in rows(state, "SELECT url FROM handoff_stored")}
    assert confirmed <= set(urls(central))
    assert rows(state, "SELECT finish_reason FROM crawls")[-1]["finish_reason"] == "handoff_failed"
