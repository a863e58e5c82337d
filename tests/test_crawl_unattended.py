"""Unattended crawls: the corpus lock, exit codes, source health, quiet logs, resuming after
a kill, and topic crawls."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copydesk.demo.server import SiteServer
from crawler.lock import CorpusLock

from .conftest import REPO, crawl, kill_9, rows
from .fixtures.web.newsweb import Article, article_html, build, listing_html

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SiteServer, dict[str, list[Article]]]]:
    root = tmp_path_factory.mktemp("web")
    articles = build(root)
    # a site that announces nothing at all, and one behind a bot wall
    (root / "empty").mkdir()
    (root / "empty/index.html").write_text(listing_html("Nothing here", []), encoding="utf-8")
    (root / "walled").mkdir()
    wall = "<html><head><title>Just a moment...</title></head><body>cf_chl_opt</body></html>"
    items = "".join(
        f"<item><title>Story {i}</title><link>{{{{base}}}}/story-number-{i}-here.html</link></item>"
        for i in range(3)
    )
    (root / "walled/feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>',
        encoding="utf-8",
    )
    for i in range(3):
        (root / f"walled/story-number-{i}-here.html").write_text(wall, encoding="utf-8")
    # a slow site for the kill-and-resume test: 10 articles, each answered after a delay
    slow = [
        Article(
            "slow",
            f"/news/slow-story-number-{i}-of-ten.html",
            f"Slow story {i} of ten",
            "2025-10-01",
            "news",
        )
        for i in range(10)
    ]
    routes = []
    for a in slow:
        (root / "slow/news").mkdir(parents=True, exist_ok=True)
        (root / f"slow{a.path}").write_text(article_html(a), encoding="utf-8")
        routes.append(f'["{a.path}"]\ndelay = 0.5\n')
    (root / "slow/_routes.toml").write_text("\n".join(routes), encoding="utf-8")
    items = "".join(
        f"<item><title>{a.title}</title><link>{{{{base}}}}{a.path}</link></item>" for a in slow
    )
    (root / "slow/feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>',
        encoding="utf-8",
    )
    # a search feed for topic crawls: announces one article of the atom site
    target = articles["atom"][0]
    (root / "rss/search.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><item>'
        f"<title>{target.title}</title><link>{{{{base:atom}}}}{target.path}</link>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    articles["slow"] = slow
    sites = ("rss", "atom", "news", "sections", "empty", "walled", "slow")
    with SiteServer({s: root / s for s in sites}) as server:
        yield server, articles


def test_a_second_crawl_of_a_locked_corpus_exits_at_once(
    web: tuple[SiteServer, Any], tmp_path: Path
) -> None:
    server, _ = web
    db = tmp_path / "corpus.db"
    lock = CorpusLock(db).acquire()
    try:
        run = crawl(db, url=server.url("rss", "/"))
    finally:
        lock.release()
    assert run.returncode == 75, run.log[-2000:]
    assert "another crawl is using" in run.log
    assert "Spider opened" not in run.log  # refused before the crawl started
    assert not db.exists() or not rows(db, "SELECT * FROM crawls")


def test_bad_arguments_exit_2(web: tuple[SiteServer, Any], tmp_path: Path) -> None:
    server, _ = web
    run = crawl(tmp_path / "c.db", url=server.url("rss", "/"), since="last tuesday")
    assert run.returncode == 2, run.log[-2000:]
    assert "since" in run.log
    run = crawl(tmp_path / "c.db", spider="topic", url=server.url("rss", "/"))
    assert run.returncode == 2, run.log[-2000:]


def test_broken_sources_are_flagged_and_exit_3(web: tuple[SiteServer, Any], tmp_path: Path) -> None:
    server, _ = web
    db = tmp_path / "corpus.db"
    urls = ",".join(
        [server.url("rss", "/"), server.url("empty", "/"), server.url("walled", "/feed.xml")]
    )
    run = crawl(db, url=urls, settings={"LOG_LEVEL": "WARNING"})
    assert run.returncode == 3, run.log[-3000:]
    health = {r["source"].split(":")[-1]: r for r in rows(db, "SELECT * FROM crawl_sources")}
    assert len(health) == 3
    by_health = {r["health"] for r in health.values()}
    assert by_health == {"ok", "broken"}
    flags = {r["problems"] for r in health.values() if r["health"] == "broken"}
    assert any('"empty"' in f for f in flags) and any('"walled"' in f for f in flags)
    (summary,) = [line for line in run.log.splitlines() if "copydesk: crawl" in line]
    assert "1 ok, 2 broken" in summary
    # quiet by default: the source warnings and the summary line, nothing else
    assert len(run.log.strip().splitlines()) <= 6, run.log
    assert "Disabled" not in run.log  # a component switched off by design says nothing
    (view,) = rows(db, "SELECT COUNT(*) AS n FROM source_health WHERE health = 'broken'")
    assert view["n"] == 2


def test_a_killed_crawl_resumes_from_its_job_directory(
    web: tuple[SiteServer, dict[str, list[Article]]], tmp_path: Path
) -> None:
    server, articles = web
    db = tmp_path / "corpus.db"
    jobdir = tmp_path / "job"
    feed = server.url("slow", "/feed.xml")
    command = [
        sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={feed}",
        "-s", f"COPYDESK_DB={db}", "-s", f"JOBDIR={jobdir}", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=2", "-s", "COPYDESK_EXTRACT_WORKERS=0",
        "-s", "COPYDESK_COMMIT_INTERVAL=0.05", "-s", "COPYDESK_ALLOW_NETWORKS=127.0.0.0/8",
    ]  # fmt: skip
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    env.pop("http_proxy", None)
    child = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
            if db.exists():
                try:
                    stored = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
                except sqlite3.OperationalError:
                    continue
                if stored >= 2:
                    break
        kill_9(child)
    finally:
        if child.poll() is None:
            child.kill()
    killed_at = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    assert 2 <= killed_at < 10
    # every stored article has its discovery row: they were written in one transaction
    unrecorded = (
        "SELECT COUNT(*) AS n FROM articles WHERE id NOT IN "
        "(SELECT article_id FROM discoveries WHERE article_id IS NOT NULL)"
    )
    assert rows(db, unrecorded)[0]["n"] == 0
    assert any(jobdir.iterdir())
    run = crawl(db, url=server.url("slow", "/feed.xml"), settings={"JOBDIR": str(jobdir)})
    assert run.returncode == 0, run.log[-3000:]
    urls = [r["url"] for r in rows(db, "SELECT url FROM articles")]
    assert sorted(urls) == sorted(server.url("slow", a.path) for a in articles["slow"])
    assert run.stats["copydesk/skipped/already_stored"] >= killed_at - 2
    assert run.stats["scheduler/enqueued/disk"] > 0
    assert run.stats.get("scheduler/unserializable", 0) == 0
    reasons = [r["finish_reason"] for r in rows(db, "SELECT * FROM crawls ORDER BY id")]
    assert reasons == ["killed", "finished"]  # the killed run is marked at the next start


def test_topic_crawl_keeps_relevant_articles_with_score_and_query(
    web: tuple[SiteServer, dict[str, list[Article]]], tmp_path: Path
) -> None:
    server, articles = web
    target = articles["atom"][0]
    query = target.title.split()[0]  # an invented place name: in no other article
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "rss"\nhomepage = "{server.url("rss", "/")}"\n'
        f'search = ["{server.url("rss", "/search.xml")}?s={{q}}&feed=rss2"]\n'
        f'[[source]]\nname = "news"\nhomepage = "{server.url("news", "/")}"\n',
        encoding="utf-8",
    )
    db = tmp_path / "corpus.db"
    run = crawl(db, spider="topic", q=query, sources=str(sources))
    assert run.returncode == 0, run.log[-3000:]
    stored = rows(
        db,
        "SELECT a.url, a.relevance, a.query, d.via FROM articles a "
        "JOIN discoveries d ON d.article_id = a.id",
    )
    assert server.url("atom", target.path) in {r["url"] for r in stored}
    assert all(r["relevance"] >= 0.5 and r["query"] == query for r in stored)
    assert {r["via"] for r in stored if r["url"] == server.url("atom", target.path)} == {"search"}
    assert run.stats["copydesk/dropped/off_topic"] >= 1
    (crawl_row,) = rows(db, "SELECT * FROM crawls")
    assert crawl_row["spider"] == "topic" and query in crawl_row["args"]


def test_a_list_of_article_urls_is_fetched_once(
    web: tuple[SiteServer, dict[str, list[Article]]], tmp_path: Path
) -> None:
    server, articles = web
    chosen = articles["atom"][:2]
    urls = ",".join(server.url("atom", a.path) for a in chosen)
    db = tmp_path / "corpus.db"
    assert crawl(db, url=urls).returncode == 0
    hits = [server.hits[("atom", a.path)] for a in chosen]
    run = crawl(db, url=urls)
    assert run.returncode == 0, run.log[-3000:]
    assert [server.hits[("atom", a.path)] for a in chosen] == hits
    assert run.stats["copydesk/skipped/already_stored"] == 2
    vias = rows(db, "SELECT via, found_in FROM discoveries WHERE outcome = 'stored'")
    assert {r["via"] for r in vias} == {"list"}


def test_feeds_given_as_urls_are_fetched_conditionally(
    web: tuple[SiteServer, dict[str, list[Article]]], tmp_path: Path
) -> None:
    server, _ = web
    urls = f"{server.url('atom', '/atom.xml')},{server.url('news', '/sitemap_index.xml')}"
    db = tmp_path / "corpus.db"
    first = crawl(db, url=urls, since="2025-09-01")
    assert first.returncode == 0, first.log[-3000:]
    assert first.stats["copydesk/articles/stored"] == 6
    run = crawl(db, url=urls, since="2025-09-01")
    assert run.returncode == 0, run.log[-3000:]
    # the feed, the index and its two sitemaps: all 304, nothing else asked for
    assert run.stats["copydesk/conditional/not_modified"] == 4
    assert run.stats["downloader/request_count"] == 4 + 2  # and the two robots.txt
