"""Real crawls of feeds and sitemaps with bad entries next to good ones: the good ones are
fetched, the bad ones counted, nothing crashes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from copydesk.demo.server import SiteServer

from .conftest import CrawlRun, crawl, rows
from .fixtures.web.newsweb import Article, article_html

pytestmark = pytest.mark.slow

GOOD = [
    Article(
        "bad",
        f"/2025/10/0{i}/good-story-number-{i}.html",
        f"Good story number {i}",
        f"2025-10-0{i}",
        "world",
    )
    for i in range(1, 6)
]

FEED = f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Mixed</title>
<item><title>{GOOD[0].title}</title><link>{{{{base}}}}{GOOD[0].path}</link></item>
<item><title>Script</title><link>javascript:alert(1)</link></item>
<item><title>Mail</title><link>mailto:desk@a.test</link></item>
<item><title>Broken</title><link>http://[::1/2025/10/broken.html</link></item>
<item><title>{GOOD[1].title}</title><media:title>undeclared</media:title>
<link>{{{{base}}}}{GOOD[1].path}?from=feed&utm=x</link></item>
<item><title>Bad guid</title><guid isPermaLink="true">http://[bad-guid</guid></item>
<item><title>{GOOD[2].title}</title><guid>{{{{base}}}}{GOOD[2].path}</guid></item>
</channel></rss>
"""

SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{{{{base}}}}{GOOD[3].path}</loc></url>
<url><loc>javascript:void(0)</loc></url>
<url><loc>http://[::1/s2.html</loc></url>
<url><loc>{{{{base}}}}{GOOD[4].path}</loc></url>
<url><loc>{{{{base}}}}/2025/10/02/everything-we-ever-published.html</loc></url>
</urlset>
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("badfeeds")
    (root / "feed.xml").write_text(FEED, encoding="utf-8")
    (root / "sitemap.xml").write_text(SITEMAP, encoding="utf-8")
    links = "".join(
        f'<li><a href="/2025/10/02/story-{i}.html">Story number {i} of the day</a></li>'
        for i in range(10_000)
    )
    (root / "2025/10/02").mkdir(parents=True)
    (root / "2025/10/02/everything-we-ever-published.html").write_text(
        f"<html><head><title>Everything</title></head><body><ul>{links}</ul></body></html>"
    )
    for article in GOOD:
        target = root / article.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(article_html(article), encoding="utf-8")
    crashy = tmp_path_factory.mktemp("crashy")
    (crashy / "crash.xml").write_text(FEED.replace("{{base}}", "http://127.0.0.1:9/"), "utf-8")
    with SiteServer({"bad": root, "crashy": crashy}) as server:
        yield server


@pytest.fixture(scope="module")
def run(server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlRun]:
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    urls = f"{server.url('bad', '/feed.xml')},{server.url('bad', '/sitemap.xml')}"
    return db, crawl(db, url=urls)


def test_good_entries_next_to_bad_ones_are_stored(
    run: tuple[Path, CrawlRun], server: SiteServer
) -> None:
    db, result = run
    assert result.returncode == 0, result.log[-3000:]
    stored = {r["url"].partition("?")[0] for r in rows(db, "SELECT url FROM articles")}
    assert stored == {server.url("bad", a.path) for a in GOOD}
    assert "Traceback" not in result.log


def test_bad_entries_are_counted(run: tuple[Path, CrawlRun]) -> None:
    _, result = run
    assert result.stats["copydesk/dropped/bad_scheme"] == 3
    assert result.stats["copydesk/dropped/bad_url"] == 3
    assert result.stats.get("spider_exceptions/ValueError") is None


def test_a_page_of_10000_links_is_not_stored(run: tuple[Path, CrawlRun]) -> None:
    _, result = run
    assert result.stats["copydesk/dropped/link_list"] == 1


def test_a_crashing_callback_flags_its_source_and_exits_3(
    server: SiteServer, tmp_path: Path
) -> None:
    db = tmp_path / "corpus.db"
    urls = f"{server.url('bad', '/feed.xml')},{server.url('crashy', '/crash.xml')}"
    settings = {"SPIDER_MODULES": "crawler.spiders,tests.fixtures.spiders"}
    result = crawl(db, spider="news_crashing", url=urls, settings=settings)
    assert result.returncode == 3, result.log[-3000:]
    assert result.stats["copydesk/callbacks_crashed"] == 1
    health = {r["source"]: r for r in rows(db, "SELECT * FROM crawl_sources")}
    (crashed,) = [r for r in health.values() if r["health"] == "broken"]
    assert len(health) == 2 and '"crashed"' in crashed["problems"]
    assert crashed["source"] == "127.0.0.1:" + server.url("crashy").split(":")[-1].strip("/")
    (summary,) = [line for line in result.log.splitlines() if "copydesk: crawl" in line]
    assert "1 ok, 1 broken" in summary and "crashed" in summary
    # the healthy source's articles are all stored
    assert len(rows(db, "SELECT url FROM articles")) == 3
