"""Real crawls of the bundled demo web: what lands in the corpus, what is skipped and why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copydesk.demo.server import SiteServer
from copydesk.demo.sites import load_expected

from .conftest import CrawlRun, crawl, rows

pytestmark = pytest.mark.slow

EXPECTED = load_expected()
ARTICLES = "SELECT * FROM articles ORDER BY id"


@pytest.fixture(scope="module")
def first_run(
    demo_server: SiteServer, demo_sources: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, CrawlRun]]:
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    run = crawl(db, sources=str(demo_sources))
    assert run.returncode == 0, run.log[-3000:]
    yield db, run


def by_path(db: Path, server: SiteServer) -> dict[tuple[str, str], dict[str, Any]]:
    bases = {base: slug for slug, base in server.bases.items()}
    out = {}
    for row in rows(db, ARTICLES):
        for base, slug in bases.items():
            if row["url"].startswith(base):
                out[(slug, row["url"][len(base) :])] = row
    return out


def test_every_demo_article_is_stored_once(
    first_run: tuple[Path, CrawlRun], demo_server: SiteServer
) -> None:
    db, run = first_run
    stored = by_path(db, demo_server)
    expected = {(a["site"], a["path"]) for a in EXPECTED["articles"]}
    assert set(stored) == expected
    assert run.stats["copydesk/articles/stored"] == len(expected)


def test_text_is_clean_of_template_furniture(
    first_run: tuple[Path, CrawlRun], demo_server: SiteServer
) -> None:
    db, _ = first_run
    stored = by_path(db, demo_server)
    for article in EXPECTED["articles"]:
        row = stored[(article["site"], article["path"])]
        furniture_lines = EXPECTED["sites"][article["site"]]["furniture"] + article["furniture"]
        for furniture in furniture_lines:
            assert furniture not in row["text"], (article["path"], furniture)
        paragraphs = {" ".join(p.split()) for p in row["text"].split("\n\n")}
        for paragraph in article["paragraphs"]:
            assert " ".join(paragraph.split()) in paragraphs, (article["path"], paragraph[:60])


def test_metadata(first_run: tuple[Path, CrawlRun], demo_server: SiteServer) -> None:
    db, _ = first_run
    stored = by_path(db, demo_server)
    for article in EXPECTED["articles"]:
        row = stored[(article["site"], article["path"])]
        assert row["title"] == article["title"]
        assert row["published"][:10] == article["published"][:10]
        assert row["language"] == "en"
        assert row["fetched_at"] and row["site"].startswith("127.0.0.1:")


def test_wire_copies_point_to_one_canonical(
    first_run: tuple[Path, CrawlRun], demo_server: SiteServer
) -> None:
    db, _ = first_run
    stored = by_path(db, demo_server)
    wire = [
        stored[(a["site"], a["path"])]
        for a in EXPECTED["articles"]
        if a.get("cluster") == "calder-bay-port-strike"
    ]
    assert len(wire) >= 4
    canonical = [r for r in wire if r["duplicate_of"] is None]
    assert len(canonical) == 1
    original = EXPECTED["clusters"]["calder-bay-port-strike"]["original"]
    assert canonical[0]["url"].endswith(original.split("/", 1)[1])
    for row in wire:
        if row is not canonical[0]:
            assert row["duplicate_of"] == canonical[0]["id"]
            assert row["relation"] in ("exact", "near", "contained")


def test_independent_reports_stay_apart(
    first_run: tuple[Path, CrawlRun], demo_server: SiteServer
) -> None:
    db, _ = first_run
    stored = by_path(db, demo_server)
    for article in EXPECTED["articles"]:
        if article["kind"] in ("seed", "original", "template"):
            row = stored[(article["site"], article["path"])]
            assert row["duplicate_of"] is None, article["path"]
    seeds = [a for a in EXPECTED["articles"] if a["kind"] == "seed"]
    assert len(seeds) == 4


def test_edge_pages_are_skipped_with_a_counted_reason(first_run: tuple[Path, CrawlRun]) -> None:
    _, run = first_run
    dropped = {
        k.removeprefix("copydesk/dropped/"): v
        for k, v in run.stats.items()
        if k.startswith("copydesk/dropped/")
    }
    assert dropped.get("not_html", 0) >= 1  # the PDF (and the garbage-bytes page)
    assert dropped.get("http_404") == 1
    assert dropped.get("empty") == 1
    # the tag listing is recognised by its URL and never requested as an article
    assert dropped.get("listing", 0) >= 1, dropped


def test_crawl_row(first_run: tuple[Path, CrawlRun]) -> None:
    db, run = first_run
    (crawl_row,) = rows(db, "SELECT * FROM crawls")
    assert crawl_row["spider"] == "news"
    assert crawl_row["finish_reason"] == "finished"
    assert crawl_row["articles_stored"] == len(EXPECTED["articles"])
    assert crawl_row["duplicates"] == run.stats["copydesk/articles/duplicates"] >= 3


def test_second_run_fetches_and_stores_nothing_new(
    first_run: tuple[Path, CrawlRun], demo_server: SiteServer, demo_sources: Path
) -> None:
    db, _ = first_run
    before = rows(db, ARTICLES)
    article_paths = {(a["site"], a["path"]) for a in EXPECTED["articles"]}
    hits_before = {k: demo_server.hits[k] for k in article_paths}
    run = crawl(db, sources=str(demo_sources))
    assert run.returncode == 0, run.log[-3000:]
    assert rows(db, ARTICLES) == before
    assert {k: demo_server.hits[k] for k in article_paths} == hits_before
    assert run.stats.get("copydesk/articles/stored", 0) == 0
    # feeds and sitemaps answer 304 Not Modified: no article URL is even considered
    assert run.stats["copydesk/conditional/not_modified"] >= 10
