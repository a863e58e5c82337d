"""`Corpus.bulk_load` (how `copydesk bench browse` builds millions of articles) leaves the
same corpus as `Corpus.write`: rows, indexes, triggers, search index and summaries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from copydesk.bench.browse import synthetic_articles
from storage.corpus import Corpus, CorpusError
from storage.summaries import summary_problems

ARTICLES = 1_500


def _schema(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql NOT NULL"))


def _dump(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


def test_bulk_load_leaves_the_corpus_write_leaves(tmp_path: Path) -> None:
    written, loaded = tmp_path / "written.db", tmp_path / "loaded.db"
    with Corpus(written) as corpus:
        corpus.write(list(synthetic_articles(ARTICLES)))
    articles = list(synthetic_articles(ARTICLES))
    with Corpus(loaded) as corpus:
        stored = corpus.bulk_load([articles[i : i + 400] for i in range(0, ARTICLES, 400)])
        assert stored == ARTICLES
        assert corpus.get_meta(Corpus.BULK_LOAD_MARK) is None
        assert summary_problems(corpus.db.conn) == []

    assert _schema(loaded) == _schema(written)
    for sql in (
        "SELECT * FROM articles ORDER BY id",
        "SELECT * FROM site_days ORDER BY site, day",
        "SELECT * FROM day_totals ORDER BY day",
        "SELECT * FROM site_totals ORDER BY site",
        "SELECT * FROM wire_summaries ORDER BY story_id",
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'ka OR ro' ORDER BY rowid",
    ):
        assert _dump(loaded, sql) == _dump(written, sql), sql
    assert _dump(loaded, "SELECT count(*) FROM wire_summaries")[0][0] > 10
    assert _dump(loaded, "PRAGMA integrity_check") == [("ok",)]
    with sqlite3.connect(loaded) as conn:
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")

    # The triggers are back: a crawl writing afterwards keeps the summaries and search right.
    extra = next(synthetic_articles(1, seed=5))
    extra.id, extra.url, extra.canonical_url = (
        ARTICLES + 1,
        "https://x.example/1",
        "https://x.example/1",
    )
    extra.duplicate_of, extra.relation = 1, "exact"
    with Corpus(loaded) as corpus:
        corpus.write([extra])
        assert summary_problems(corpus.db.conn) == []
        hits = corpus.db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [extra.text.split()[0]]
        ).fetchall()
        assert (ARTICLES + 1,) in hits


def test_bulk_load_refuses_a_corpus_that_has_articles(tmp_path: Path) -> None:
    articles = list(synthetic_articles(10))
    with Corpus(tmp_path / "corpus.db") as corpus:
        corpus.write(articles[:5])
        with pytest.raises(CorpusError, match="empty corpus"):
            corpus.bulk_load([articles[5:]])
        assert corpus.count_articles() == 5
