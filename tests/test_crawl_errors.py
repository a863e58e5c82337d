"""A crawl that cannot start says why in one line, with the exit status cron expects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from copydesk.demo.server import SiteServer
from storage.corpus import Corpus

from .conftest import CrawlRun, crawl, rows
from .fixtures.web.newsweb import Article, article_html
from .mounts import tmpfs

FEED = "http://127.0.0.1:9/feed.xml"  # never fetched: every crawl here stops before starting


def assert_one_line(run: CrawlRun, words: str) -> None:
    assert "Traceback" not in run.log, run.log[-3000:]
    assert words in run.log, run.log[-3000:]


@pytest.mark.parametrize(
    ("feeds", "words"),
    [
        ("[1, 2]", "feeds, sitemaps and search are lists of URLs in quotes"),
        ('["http://[::1/feed.xml"]', "is not a well-formed URL"),
    ],
)
def test_a_bad_sources_file_exits_2(tmp_path: Path, feeds: str, words: str) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "x"\nfeeds = {feeds}\n')
    run = crawl(tmp_path / "corpus.db", sources=str(sources))
    assert run.returncode == 2
    assert_one_line(run, words)


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        ("COPYDESK_SECTIONS", "bogus", "COPYDESK_SECTIONS must be one of auto, always, never"),
        ("COPYDESK_MAX_PAGES_PER_SOURCE", "-3", "COPYDESK_MAX_PAGES_PER_SOURCE must be"),
        ("COPYDESK_SITEMAP_DEPTH", "deep", "COPYDESK_SITEMAP_DEPTH must be"),
    ],
)
def test_bad_settings_exit_2(tmp_path: Path, setting: str, value: str, words: str) -> None:
    run = crawl(tmp_path / "corpus.db", url=FEED, settings={setting: value})
    assert run.returncode == 2
    assert_one_line(run, words)
    assert not (tmp_path / "corpus.db").exists()


def test_a_corrupt_corpus_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    db.write_bytes(b"not an SQLite database at all " * 200)
    run = crawl(db, url=FEED)
    assert run.returncode == 1
    assert_one_line(run, f"cannot open corpus {db}: file is not a database")


def test_a_corpus_folder_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    run = crawl(tmp_path / "file" / "sub" / "corpus.db", url=FEED)
    assert run.returncode == 1
    assert_one_line(run, "cannot create the corpus folder")


def test_a_full_disk_stops_the_crawl_at_once_and_finishes_its_row(tmp_path: Path) -> None:
    site = tmp_path / "site"
    articles = [
        Article(
            "full", f"/2025/10/02/story-{i}-of-a-long-day.html", f"Story {i}", "2025-10-02", "world"
        )
        for i in range(200)
    ]
    items = "".join(f"<item><link>{{{{base}}}}{a.path}</link></item>" for a in articles)
    site.mkdir()
    (site / "feed.xml").write_text(f'<rss version="2.0"><channel>{items}</channel></rss>')
    for a in articles:
        target = site / a.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(article_html(a))
    with tmpfs(tmp_path / "disk", size="4m") as disk, SiteServer({"full": site}) as server:
        db = disk / "corpus.db"
        Corpus(db).close()
        free = os.statvfs(disk)
        (disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 1_600_000))
        run = crawl(db, url=server.url("full", "/feed.xml"), settings={"LOG_LEVEL": "WARNING"})
        assert run.returncode == 1, run.log[-3000:]
        assert "Traceback" not in run.log, run.log[-3000:]
        assert "is full: stopping the crawl" in run.log
        (row,) = rows(db, "SELECT finish_reason, finished_at FROM crawls")
        stored = rows(db, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    assert row["finish_reason"] == "disk_full" and row["finished_at"]
    assert 0 < stored < len(articles)
    # stopped at once: far fewer pages fetched than the feed announced
    fetched = sum(1 for (slug, path) in server.hits if path.startswith("/2025/"))
    assert fetched < len(articles)
