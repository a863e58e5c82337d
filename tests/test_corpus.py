from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from storage.corpus import Corpus, CorpusError, NewArticle, Reassignment, default_db_path
from storage.migrations import MIGRATIONS, UNDATED

REQUIRED_COLUMNS = {
    "id",
    "url",
    "canonical_url",
    "site",
    "title",
    "text",
    "published",
    "authors",
    "language",
    "fetched_at",
    "duplicate_of",
}


def article(id: int, **kw: object) -> NewArticle:
    fields: dict[str, object] = {
        "url": f"http://a.test/{id}",
        "canonical_url": f"http://a.test/{id}",
        "site": "a.test",
        "text": f"Paragraph one of article {id}.\n\nParagraph two about harbour cranes.",
        "fetched_at": "2025-03-11T10:00:00+00:00",
        "text_hash": f"h{id}",
        "title": f"Title {id}",
        "authors": ["Ann Smith", "Bo Li"],
        "fingerprint": bytes([id]) * 8,
        "html_zlib": b"x",
    }
    fields.update(kw)
    return NewArticle(id=id, **fields)  # type: ignore[arg-type]


def test_schema_contract_and_wal(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        assert set(corpus.db.table("articles").columns_dict) >= REQUIRED_COLUMNS
        assert corpus.db.journal_mode == "wal"
        assert {"articles", "articles_fts", "pages", "fingerprints", "crawls", "meta"} <= set(
            corpus.db.table_names()
        )


def test_migrations_are_rerunnable(tmp_path: Path) -> None:
    Corpus(tmp_path / "c.db").close()
    with Corpus(tmp_path / "c.db") as corpus:
        applied = [m.name for m in MIGRATIONS.applied(corpus.db)]
        assert applied[0] == "0001_initial"
        assert len(applied) == len(set(applied))
        assert MIGRATIONS.pending(corpus.db) == []


def test_read_ahead_readers_do_not_migrate_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.corpus

    calls: list[object] = []
    real = storage.corpus.migrate
    monkeypatch.setattr(storage.corpus, "migrate", lambda db: calls.append(db) or real(db))
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write([article(1)])
        assert [r[0] for rows, _ in corpus.read_ahead(Corpus.dedup_orders) for r in rows] == [1]
    assert len(calls) == 1


def test_write_batch_fts_and_lookups(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write([article(2, duplicate_of=1, relation="near", similarity=0.9), article(1)])
        assert corpus.count_articles() == 2
        assert corpus.known_urls(["http://a.test/1", "http://a.test/9"]) == {"http://a.test/1"}
        hits = corpus.db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'cranes' ORDER BY rowid"
        ).fetchall()
        assert [h[0] for h in hits] == [1, 2]
        row = corpus.article(2)
        assert row is not None
        assert (row["duplicate_of"], row["relation"], row["authors"]) == (
            1,
            "near",
            '["Ann Smith", "Bo Li"]',
        )
        assert row["word_count"] == 10
        assert [f.id for f in corpus.fingerprints()] == [1, 2]
        assert corpus.max_article_id() == 2


def test_reassignment_moves_a_cluster_in_the_same_transaction(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write([article(1), article(2, duplicate_of=1, relation="near")])
        corpus.write(
            [article(3)],
            [Reassignment(1, 3, "near", 0.9, 0.95), Reassignment(2, 3, "contained", 0.5, 0.98)],
        )
        rows = corpus.db.execute("SELECT id, duplicate_of FROM articles ORDER BY id").fetchall()
        assert rows == [(1, 3), (2, 3), (3, None)]


def test_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write([article(1)])
        with pytest.raises(sqlite3.IntegrityError):
            corpus.write([article(2), article(3, url="http://a.test/1")])
        assert corpus.count_articles() == 1
        assert [f.id for f in corpus.fingerprints()] == [1]


def test_fts_follows_updates_and_deletes(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write([article(1)])
        corpus.db.execute("UPDATE articles SET text = 'about lighthouses' WHERE id = 1")
        corpus.db.conn.commit()
        match = "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?"
        assert corpus.db.execute(match, ["lighthouses"]).fetchone()[0] == 1
        assert corpus.db.execute(match, ["cranes"]).fetchone()[0] == 0


def test_crawl_rows(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        crawl_id = corpus.start_crawl("news", {"url": "http://a.test/"})
        corpus.finish_crawl(
            crawl_id,
            finish_reason="finished",
            pages_fetched=3,
            articles_stored=2,
            duplicates=1,
            dropped={"too_short": 1},
            errors=0,
            stats={"x": 1},
        )
        row = corpus.last_crawl()
        assert row is not None
        assert (row["spider"], row["finish_reason"], row["dropped"]) == (
            "news",
            "finished",
            '{"too_short": 1}',
        )
        assert row["started_at"] <= row["finished_at"]


def test_reader_is_not_blocked_by_an_open_write_transaction(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    writer = Corpus(path)
    writer.write([article(1)])
    writer.db.execute("BEGIN IMMEDIATE")
    writer.db.execute("UPDATE articles SET title = 'changing' WHERE id = 1")
    seen: list[str] = []

    def read() -> None:
        conn = sqlite3.connect(path, timeout=0.1)
        seen.append(conn.execute("SELECT title FROM articles").fetchone()[0])
        conn.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    writer.db.conn.rollback()
    writer.close()
    assert seen == ["Title 1"]


def test_meta(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        assert corpus.get_meta("k") is None
        corpus.set_meta("k", "1")
        corpus.set_meta("k", "2")
        assert corpus.get_meta("k") == "2"


def test_open_without_create(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no corpus"):
        Corpus(tmp_path / "missing.db", create=False)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorpusError, match="cannot open corpus"):
        Corpus(path)


def test_default_db_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COPYDESK_DB", raising=False)
    assert default_db_path() == Path("corpus.db")
    monkeypatch.setenv("COPYDESK_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    assert default_db_path("explicit.db") == Path("explicit.db")


def test_instants_at_any_offset_order_articles(tmp_path: Path) -> None:
    """``published`` keeps the page's own offset; ``published_us`` is still its UTC instant,
    also in a corpus the offset migration rebuilt with rows in it."""
    path = tmp_path / "c.db"
    with Corpus(path) as corpus:
        corpus.write(
            [
                article(1, published="2025-09-10T00:50:00+02:00"),
                article(2, published="2025-09-09T22:50:00+00:00"),
                article(3, published="2025-09-09T18:20:00-04:30"),
                article(4, published="2025-09-10"),
            ]
        )
        corpus.db.execute("DELETE FROM _sqlite_migrations WHERE name = '0008_offset_instants'")
        corpus.db.conn.commit()
    with Corpus(path) as corpus:
        assert MIGRATIONS.pending(corpus.db) == []
        rows = dict(corpus.db.execute("SELECT id, published_us FROM articles").fetchall())
    assert rows[1] == rows[2] == rows[3] == 1757458200 * 1_000_000
    assert rows[4] == 1757462400 * 1_000_000


def test_a_guessed_day_is_kept_apart_from_published(tmp_path: Path) -> None:
    """``published_guess`` has its own column (migration 0011, re-runnable on a corpus made
    before it): a guess never orders articles as their publication instant does."""
    path = tmp_path / "c.db"
    with Corpus(path) as corpus:
        corpus.write([article(1, published_guess="2024-03-12")])
        row = corpus.article(1)
        assert row is not None
        assert (row["published"], row["published_guess"]) == (None, "2024-03-12")
        assert row["published_us"] == UNDATED  # ordered as an undated article
        corpus.db.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_published_guess'")
        corpus.db.conn.commit()
    with Corpus(path) as corpus:
        assert MIGRATIONS.pending(corpus.db) == []
        assert corpus.db.execute("SELECT published_guess FROM articles").fetchall() == [
            ("2024-03-12",)
        ]
