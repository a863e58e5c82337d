"""Real crawls of a fixture news web: every article in the window is found, nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from copydesk.demo.server import SiteServer

from .conftest import CrawlRun, crawl, rows
from .fixtures.web.newsweb import WINDOW_START, Article, build

pytestmark = pytest.mark.slow

SITES = ("rss", "atom", "news", "sections")


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SiteServer, dict[str, list[Article]]]]:
    root = tmp_path_factory.mktemp("newsweb")
    articles = build(root)
    with SiteServer({site: root / site for site in SITES}) as server:
        yield server, articles


@pytest.fixture(scope="module")
def first_run(
    web: tuple[SiteServer, dict[str, list[Article]]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, CrawlRun]:
    server, _ = web
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    homepages = ",".join(server.url(site, "/") for site in SITES)
    run = crawl(db, url=homepages, since=WINDOW_START)
    assert run.returncode == 0, run.log[-3000:]
    return db, run


def test_every_article_inside_the_window_is_stored_and_none_outside(
    first_run: tuple[Path, CrawlRun], web: tuple[SiteServer, dict[str, list[Article]]]
) -> None:
    db, run = first_run
    server, articles = web
    stored = {r["url"] for r in rows(db, "SELECT url FROM articles")}
    inside = {server.url(a.site, a.path) for arts in articles.values() for a in arts if a.in_window}
    assert stored == inside
    assert run.stats["copydesk/articles/stored"] == len(inside) == 12


def test_dated_entries_outside_the_window_are_never_fetched(
    first_run: tuple[Path, CrawlRun], web: tuple[SiteServer, dict[str, list[Article]]]
) -> None:
    server, articles = web
    for site in ("rss", "atom", "news"):
        for article in articles[site]:
            assert server.hits[(site, article.path)] == (1 if article.in_window else 0), article
    # section pages give no date: old articles there are fetched once, then filtered
    old = [a for a in articles["sections"] if not a.in_window]
    assert all(server.hits[("sections", a.path)] == 1 for a in old)
    _, run = first_run
    assert run.stats["copydesk/dropped/outside_window"] >= 2 * 3 + len(old)


def test_no_listing_page_is_stored_and_traps_are_not_followed(
    first_run: tuple[Path, CrawlRun], web: tuple[SiteServer, dict[str, list[Article]]]
) -> None:
    db, run = first_run
    server, _ = web
    for row in rows(db, "SELECT url FROM articles"):
        assert not any(x in row["url"] for x in ("/tag/", "/author/", "/page/", "/calendar/"))
        assert urlsplit(row["url"]).path not in ("/", "/world/", "/business/", "/2025/10/")
    hits = server.hits
    assert not [k for k in hits if "/calendar/" in k[1]], "the calendar trap was entered"
    # the news sitemap's section/tag/author entries are not requested as articles
    for path in ("/tag/local-news/", "/author/jane-roe/", "/world/", "/business/"):
        assert hits[("news", path)] == 0, path
    # endless pagination is followed up to COPYDESK_SECTION_MAX_PAGE (10), no further
    assert hits[("sections", "/world/page/10/")] == 1
    assert hits[("sections", "/world/page/11/")] == 0
    assert run.stats["copydesk/traps/pagination"] >= 2
    assert run.stats["copydesk/traps/calendar"] >= 1


def test_discovery_record(
    first_run: tuple[Path, CrawlRun], web: tuple[SiteServer, dict[str, list[Article]]]
) -> None:
    db, _ = first_run
    server, _ = web
    found = rows(
        db,
        "SELECT a.site, d.* FROM discoveries d JOIN articles a ON a.id = d.article_id "
        "WHERE d.outcome = 'stored'",
    )
    assert len(found) == 12
    via = {server.url(s, "/").rstrip("/"): s for s in SITES}
    by_site: dict[str, set[str]] = {}
    for row in found:
        site = next(s for base, s in via.items() if row["url"].startswith(base))
        by_site.setdefault(site, set()).add(row["via"])
        assert row["first_seen"] and row["crawl_id"] == 1
        if site == "news":
            assert row["found_in"].endswith("/sitemaps/news.xml.gz")
            assert json.loads(row["keywords"])[1] == "local"
            assert row["title"] and row["published"].startswith("2025-10")
        if site in ("rss", "atom"):
            assert row["published"].startswith("2025-10") and row["title"]
    assert by_site == {
        "rss": {"feed"},
        "atom": {"feed"},
        "news": {"sitemap"},
        "sections": {"section"},
    }


def test_crawl_sources_counts_and_health(first_run: tuple[Path, CrawlRun]) -> None:
    db, run = first_run
    sources = {r["source"]: r for r in rows(db, "SELECT * FROM crawl_sources")}
    assert len(sources) == 4
    assert {r["health"] for r in sources.values()} == {"ok"}
    assert sum(r["new"] for r in sources.values()) == 12
    assert all(r["found"] >= 5 for r in sources.values())
    assert sum(r["feeds_read"] for r in sources.values()) == 2
    assert sum(r["sitemaps_read"] for r in sources.values()) == 3
    assert "copydesk: crawl 1 finished: " in run.log and "sources: 4 ok" in run.log


def test_second_run_fetches_nothing_new(
    first_run: tuple[Path, CrawlRun], web: tuple[SiteServer, dict[str, list[Article]]]
) -> None:
    db, _ = first_run
    server, articles = web
    paths = [(a.site, a.path) for arts in articles.values() for a in arts]
    before = {k: server.hits[k] for k in paths}
    stored = rows(db, "SELECT * FROM articles ORDER BY id")
    homepages = ",".join(server.url(site, "/") for site in SITES)
    run = crawl(db, url=homepages, since=WINDOW_START)
    assert run.returncode == 0, run.log[-3000:]
    assert {k: server.hits[k] for k in paths} == before
    assert rows(db, "SELECT * FROM articles ORDER BY id") == stored
    assert run.stats.get("copydesk/articles/stored", 0) == 0
    # feeds and sitemaps were asked again, and answered 304; sections were revisited
    assert run.stats["copydesk/conditional/not_modified"] >= 4
    assert server.hits[("sections", "/world/")] == 2
    (second,) = rows(db, "SELECT * FROM crawls WHERE id = 2")
    assert second["finish_reason"] == "finished"
    assert {r["health"] for r in rows(db, "SELECT * FROM crawl_sources WHERE crawl_id = 2")} == {
        "ok"
    }
