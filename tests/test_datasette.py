"""The corpus in datasette, through its real app and in-process client."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from copydesk.cli.serve import make_datasette

pytestmark = pytest.mark.slow


def get(db: Path, path: str) -> Any:
    async def fetch() -> Any:
        return await make_datasette(db).client.get(path)

    return asyncio.run(fetch())


def one(db: Path, sql: str) -> Any:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_front_page_has_title_and_charts(demo_corpus: Path) -> None:
    response = get(demo_corpus, "/")
    assert response.status_code == 200
    assert "Copydesk news corpus" in response.text
    assert response.text.count("<svg") >= 2  # articles per day per site, duplicate share
    assert "copydesk-legend" in response.text


def test_search_finds_the_seed_reports(demo_corpus: Path) -> None:
    response = get(demo_corpus, "/corpus/articles.json?_search=Klishchiivka&_shape=array&_size=50")
    assert response.status_code == 200
    titles = [row["title"] for row in response.json()]
    assert len(titles) >= 4
    assert any("Klishchiivka" in t for t in titles)


def test_table_metadata_facets_and_hidden_tables(demo_corpus: Path) -> None:
    response = get(demo_corpus, "/corpus/articles_view")
    assert response.status_code == 200
    for facet in ("site", "language", "published_month", "duplicate_status"):
        assert f'data-column="{facet}"' in response.text, facet
    tables = get(demo_corpus, "/corpus.json").json()["tables"]
    hidden = {t["name"] for t in tables if t["hidden"]}
    assert {"pages", "fingerprints"} <= hidden  # raw HTML and signatures stay out of sight


def test_canned_queries(demo_corpus: Path) -> None:
    stories = get(demo_corpus, "/corpus/wire_stories.json?_shape=array").json()
    assert stories[0]["outlets"] == 4
    assert stories[0]["first_publisher"].startswith("127.0.0.1:")
    canonical = stories[0]["wire_story"]
    copies = get(demo_corpus, f"/corpus/article_copies.json?_shape=array&id={canonical}").json()
    assert len(copies) == 4
    found = get(
        demo_corpus,
        "/corpus/search.json?_shape=array&q=Bakhmut&since=2023-01-01&until=2023-12-31",
    ).json()
    assert len(found) >= 4
    volume = get(demo_corpus, "/corpus/site_volume.json?_shape=array").json()
    assert sum(r["articles"] for r in volume) == one(demo_corpus, "SELECT COUNT(*) FROM articles")
    crawls = get(demo_corpus, "/corpus/latest_crawls.json?_shape=array").json()
    assert crawls[0]["finish_reason"] == "finished" and "health_flags" in crawls[0]


def test_wire_story_page(demo_corpus: Path) -> None:
    canonical = one(demo_corpus, "SELECT duplicate_of FROM articles WHERE duplicate_of IS NOT NULL")
    response = get(demo_corpus, f"/corpus/-/wire/{canonical}")
    assert response.status_code == 200
    assert response.text.count('<th class="outlet') == 4
    assert "<ins>" in response.text and "<del>" in response.text
    assert 'class="para added"' in response.text  # the local paragraph one outlet inserted
    assert 'class="para removed"' in response.text  # the trimmed ending
    assert get(demo_corpus, "/corpus/-/wire/999999").status_code == 404


def test_reading_never_blocks_a_writer(demo_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    source, copy = sqlite3.connect(demo_corpus), sqlite3.connect(db)
    source.backup(copy)
    source.close()
    copy.close()
    writer = sqlite3.connect(db, timeout=0.5)
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE articles SET title = 'changed' WHERE id = 1")
    assert get(db, "/corpus/articles.json?_shape=array&id=1").status_code == 200
    writer.commit()
    writer.close()
