"""Bounds per source and run, in real crawls: article requests per source, sitemap index
nesting and links taken from one page stop where set, and are counted when they bite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from copydesk.demo.server import SiteServer

from .conftest import CrawlRun, crawl
from .fixtures.web.newsweb import listing_html

pytestmark = pytest.mark.slow

ITEMS = 60
CHAIN = 10


def _story(i: int) -> str:
    return f"/2025/10/02/story-number-{i}-of-the-day.html"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("bounds")
    big = root / "bigfeed"
    big.mkdir()
    items = "".join(f"<item><link>{{{{base}}}}{_story(i)}</link></item>" for i in range(ITEMS))
    (big / "feed.xml").write_text(f'<rss version="2.0"><channel>{items}</channel></rss>', "utf-8")
    chain = root / "chain"
    chain.mkdir()
    for level in range(CHAIN):
        (chain / f"index-{level}.xml").write_text(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{{{{base}}}}/index-{level + 1}.xml</loc></sitemap></sitemapindex>",
            "utf-8",
        )
    links = root / "links"
    links.mkdir()
    home = listing_html("Home", [(_story(i), f"Story number {i} of the day") for i in range(300)])
    (links / "index.html").write_text(home, "utf-8")
    with SiteServer({"bigfeed": big, "chain": chain, "links": links}) as server:
        yield server


@pytest.fixture(scope="module")
def run(server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    urls = [
        server.url("bigfeed", "/feed.xml"),
        server.url("chain", "/index-0.xml"),
        server.url("links", "/"),
    ]
    settings = {
        "COPYDESK_MAX_PAGES_PER_SOURCE": "20",
        "COPYDESK_SITEMAP_DEPTH": "3",
        "COPYDESK_MAX_LINKS_PER_PAGE": "50",
        "COPYDESK_SECTIONS": "always",
    }
    return crawl(db, url=",".join(urls), settings=settings)


def _paths(server: SiteServer, slug: str, prefix: str) -> set[str]:
    return {path for (site, path) in server.hits if site == slug and path.startswith(prefix)}


def test_article_requests_per_source_are_bounded(run: CrawlRun, server: SiteServer) -> None:
    assert run.returncode in (0, 3), run.log[-3000:]
    assert len(_paths(server, "bigfeed", "/2025/")) == 20
    assert run.stats["copydesk/bounds/max_pages_per_source"] >= ITEMS - 20


def test_sitemap_index_nesting_is_bounded(run: CrawlRun, server: SiteServer) -> None:
    # index-0 is the sitemap given; indexes 1 to 3 are nested in it; index-4 is never asked for
    assert _paths(server, "chain", "/index-") == {f"/index-{n}.xml" for n in range(4)}
    assert run.stats["copydesk/bounds/sitemap_depth"] == 1


def test_links_taken_from_one_page_are_bounded(run: CrawlRun, server: SiteServer) -> None:
    assert len(_paths(server, "links", "/2025/")) <= 20
    assert run.stats["copydesk/bounds/links_per_page"] >= 250
    assert "Bound reached" in run.log
