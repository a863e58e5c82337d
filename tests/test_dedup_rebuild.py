"""Rebuilding the dedup index from a real corpus file: order instants, bulk load, read-ahead."""

from __future__ import annotations

import logging
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from copydesk.dedup import Deduper, DedupParams, fingerprint
from copydesk.dedup.fingerprint import decode_signatures, signature_prefix
from copydesk.dedup.index import BandIndex, RunBuilder, composite
from copydesk.dedup.order import UNDATED, instant_us, instants_us
from storage import migrations
from storage.corpus import DEDUP_ORDERS_SQL, Corpus, NewArticle
from tests.test_dedup_core import LOCAL, SAME_EVENT, TEMPLATE_A, TEMPLATE_B, TRIMMED, WIRE

P = DedupParams()

EDGE_TIMESTAMPS = [
    "2025-09-01",
    "2025-09-01T13:40:00+00:00",
    "",
    "2024-02-29",
    "2023-02-29",
    "2025-13-01",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31T23:59:59+00:00",
    "2025-09-01T24:00:00+00:00",
    "2025-09-01T13:40:60+00:00",
    "2025-09-01T13:40:00+00:00x",
    "2025-09-01T13:40:00.5+00:00",
    "2025-09-01T13:40:00+02:00",
    "2025-09-01T13:40:00",
    "1969-12-31T23:59:59+00:00",
    "1900-02-29",
    "2000-02-29",
    "2025-09-01 13:40:00+00:00",
    "2025-09-0\x00",
    "2025-09-01T13:40:00+00:00\x00",
    "２０２５-09-01",
    "2025-9-1",
]


def random_timestamps(n: int, seed: int = 1) -> list[str]:
    """Valid and invalid days and instants in the corpus's shapes, and some in other shapes."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
        if rng.random() < 0.6:
            hms = f"{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
            s += f"T{hms}" + rng.choice(["+00:00", "+00:00", "+05:30", "Z", ""])
        out.append(s)
    return out


@pytest.fixture(autouse=True)
def _quiet_unparseable(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="copydesk.dedup.order")


def test_bulk_instants_are_exactly_the_scalar_ones() -> None:
    values: list[str | None] = [*EDGE_TIMESTAMPS, None, *random_timestamps(20_000)]
    expected = [instant_us(v or "") for v in values]
    assert instants_us(values).tolist() == expected
    assert instant_us("") == UNDATED == migrations.UNDATED


def test_sql_instants_agree_with_python_wherever_sql_reads_them(tmp_path: Path) -> None:
    """The generated columns give instant_us's value, or NULL (then Python parses)."""
    values = [*EDGE_TIMESTAMPS, *random_timestamps(5_000, seed=2)]
    db = sqlite3.connect(tmp_path / "t.db")
    db.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, "
        f"us INTEGER GENERATED ALWAYS AS ({migrations.instant_sql('v')}) VIRTUAL)"
    )
    db.executemany("INSERT INTO t (id, v) VALUES (?, ?)", list(enumerate([*values, None])))
    read = 0
    for v, us in db.execute("SELECT v, us FROM t ORDER BY id"):
        if us is not None:
            read += 1
            assert us == instant_us(v or ""), v
    # Every day and UTC instant the corpus writes is read by SQL, not left to Python.
    e = datetime(2026, 1, 1, tzinfo=UTC)
    for v in ["2025-09-01", (e + timedelta(seconds=7)).isoformat(), None, ""]:
        sql = f"SELECT {migrations.instant_sql(':v')}"
        assert db.execute(sql, {"v": v}).fetchone()[0] is not None, v
    assert read > len(values) // 4


def article(i: int, text: str, published: str | None, fetched: str = "") -> NewArticle:
    url = f"https://a.test/{i}"
    return NewArticle(
        id=i,
        url=url,
        canonical_url=url,
        site="a.test",
        text=text,
        fetched_at=fetched or f"2025-10-01T10:{i % 60:02d}:00+00:00",
        published=published,
        text_hash=f"h{i}",
        fingerprint=fingerprint(text, P).to_bytes() if text else None,
    )


TEXTS = [WIRE, TRIMMED, LOCAL, TEMPLATE_A, TEMPLATE_B, *SAME_EVENT, WIRE + " Extra.", ""]
PUBLISHED = [
    "2025-10-01T09:00:00+00:00",
    "2025-10-01T08:00:00+00:00",
    "2025-10-01",
    None,
    "2025-10-01T11:00:00.250+02:00",  # a shape SQL does not read: parsed in Python
    "2025-10-02",
    "2025-10-02",
    "not a date",
    "2025-10-03T00:00:00+00:00",
    "2025-10-04T00:00:00+00:00",
    None,
]


def small_corpus(path: Path) -> list[tuple[int, str, str]]:
    """A corpus of wire copies, templates and independent reports; its (id, text, order)."""
    dd = Deduper(P)
    rows, articles = [], []
    for i, (text, published) in enumerate(zip(TEXTS, PUBLISHED, strict=True), start=1):
        a = article(i, text, published)
        if text:
            first = dd.assign(i, fingerprint(text, P), (published or "", a.fetched_at, i))[0]
            a.duplicate_of, a.relation = first.duplicate_of, first.relation
        articles.append(a)
        rows.append((i, text, published or ""))
    with Corpus(path) as corpus:
        corpus.write(articles)
        assignments = dd.recluster()
        corpus.db.conn.executemany(
            "UPDATE articles SET duplicate_of = ?, relation = ? WHERE id = ?",
            [(a.duplicate_of, a.relation, a.key) for a in assignments],
        )
        corpus.db.conn.commit()
    return rows


def rebuilt(corpus: Corpus, lookup: bool = True, ahead: bool = True) -> Deduper:
    dd = Deduper(P, lookup=corpus.fingerprint) if lookup else Deduper(P)
    prefix = dd.stored_prefix
    if ahead:
        dd.load_stored(
            corpus.read_ahead(Corpus.dedup_orders),
            corpus.read_ahead(lambda c: c.fingerprint_batches(prefix)),
        )
    else:
        dd.load_stored(corpus.dedup_orders(batch=3), corpus.fingerprint_batches(prefix, batch=4))
    return dd


def test_rebuild_from_the_corpus_matches_one_by_one_assignment(tmp_path: Path) -> None:
    small_corpus(tmp_path / "c.db")
    one = Deduper(P)
    for i, (text, published) in enumerate(zip(TEXTS, PUBLISHED, strict=True), start=1):
        if text:
            fetched = f"2025-10-01T10:{i % 60:02d}:00+00:00"
            one.assign(i, fingerprint(text, P), (published or "", fetched, i))
    expected = [(a.key, a.duplicate_of, a.relation) for a in one.recluster()]
    with Corpus(tmp_path / "c.db") as corpus:
        for lookup in (True, False):
            for ahead in (True, False):
                dd = rebuilt(corpus, lookup, ahead)
                assert len(dd) == len(one)  # the article without text has no fingerprint
                for name in ("_keys", "_sig", "_nsh", "_thash", "_pub", "_fetch", "_canon"):
                    assert (getattr(dd, name).all() == getattr(one, name).all()).all(), name
                assert [(a.key, a.duplicate_of, a.relation) for a in dd.recluster()] == expected
        # And it goes on recognising copies after the rebuild.
        dd = rebuilt(corpus)
        late = dd.assign(99, fingerprint(WIRE + " A late copy.", P), ("2025-11-01", "", 99))[0]
        wire_canonical = dict((k, d) for k, d, _ in expected)[1] or 1
        assert late.duplicate_of == wire_canonical


def test_rebuild_reads_no_article_text(tmp_path: Path) -> None:
    small_corpus(tmp_path / "c.db")
    with Corpus(tmp_path / "c.db") as corpus:
        plan = corpus.db.execute(f"EXPLAIN QUERY PLAN {DEDUP_ORDERS_SQL}").fetchall()
        assert [row[-1] for row in plan] == ["SCAN articles USING INDEX articles_dedup_order"]
        # Only rows whose instant SQL cannot read come with their strings.
        batches = list(corpus.dedup_orders())
        strings = {k: v for _, s in batches for k, v in s.items()}
        assert set(strings) == {5, 8}  # "…:00.250+02:00" and "not a date"
        assert all(len(row) == 4 for rows, _ in batches for row in rows)


def test_old_corpus_is_migrated_with_its_instants(tmp_path: Path) -> None:
    """A corpus made before migration 0005 gets the columns and index on open."""
    small_corpus(tmp_path / "c.db")
    db = sqlite3.connect(tmp_path / "c.db")
    db.execute("DROP INDEX articles_dedup_order")
    db.execute("ALTER TABLE articles DROP COLUMN published_us")
    db.execute("ALTER TABLE articles DROP COLUMN fetched_us")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = '0005_dedup_order'")
    db.commit()
    db.close()
    with Corpus(tmp_path / "c.db") as corpus:
        rows = {r[0]: r for rows, _ in corpus.dedup_orders() for r in rows}
        assert rows[1][1] == instant_us(PUBLISHED[0])
        assert rows[4][1] == UNDATED and rows[5][1] is None


def test_fingerprint_prefixes_decode_like_whole_blobs(tmp_path: Path) -> None:
    small_corpus(tmp_path / "c.db")
    with Corpus(tmp_path / "c.db") as corpus:
        whole = [b for rows in corpus.fingerprint_batches() for _, b in rows]
        width = signature_prefix(128, 16)
        prefixes = [b for rows in corpus.fingerprint_batches(width) for _, b in rows]
    assert {len(b) for b in prefixes} == {width}
    a, b = decode_signatures(whole, 128, 16), decode_signatures(prefixes, 128, 16)
    for name in ("sig16", "lead16", "n_shingles", "text_hash64"):
        assert (getattr(a, name) == getattr(b, name)).all()
    with pytest.raises(ValueError, match="re-fingerprint"):
        decode_signatures([prefixes[0][:-1]], 128, 16)
    with pytest.raises(ValueError, match="re-fingerprint"):
        decode_signatures(prefixes, 64, 16)
    with pytest.raises(ValueError, match="re-fingerprint"):
        decode_signatures(prefixes, 128, 8)
    with pytest.raises(ValueError, match="magic"):
        decode_signatures([b"XXXX" + prefixes[0][4:]], 128, 16)


def test_read_ahead_raises_the_readers_error_and_stops_early(tmp_path: Path) -> None:
    small_corpus(tmp_path / "c.db")
    with Corpus(tmp_path / "c.db") as corpus:

        def broken(c: Corpus):  # type: ignore[no-untyped-def]
            yield from c.fingerprint_batches(batch=2)
            raise sqlite3.OperationalError("disk I/O error")

        it = corpus.read_ahead(broken, depth=1)
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            list(it)
        early = corpus.read_ahead(lambda c: c.fingerprint_batches(batch=1), depth=1)
        assert len(next(early)) == 1
        early.close()  # type: ignore[attr-defined]
        assert not early._thread.is_alive()  # type: ignore[attr-defined]
        # A refused batch stops both readers too.
        dd = Deduper(DedupParams(num_perm=64, bands=32))
        orders = corpus.read_ahead(Corpus.dedup_orders)
        fps = corpus.read_ahead(lambda c: c.fingerprint_batches(batch=1), depth=1)
        with pytest.raises(ValueError, match="re-fingerprint"):
            dd.load_stored(orders, fps)
        assert not fps._thread.is_alive()  # type: ignore[attr-defined]


def test_orphan_fingerprints_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    small_corpus(tmp_path / "c.db")
    with Corpus(tmp_path / "c.db") as corpus:
        blob = next(iter(corpus.fingerprint_batches()))[0][1]
        corpus.db.execute("PRAGMA foreign_keys = OFF")
        corpus.db.execute("INSERT INTO fingerprints VALUES (500, ?)", [blob])
        corpus.db.conn.commit()
        with caplog.at_level(logging.WARNING, logger="copydesk.dedup.cluster"):
            dd = rebuilt(corpus)
    assert 500 not in dd._keys.all().tolist()
    assert "belong to no stored article" in caplog.text


def test_run_builder_makes_disjoint_sorted_runs_that_answer_like_one() -> None:
    rng = np.random.default_rng(5)
    docs, bands = 3000, 8
    keys = rng.integers(0, 2**32, size=(docs, bands), dtype=np.uint64).astype(np.uint32)
    keys[100] = keys[7]  # some docs share band keys
    for capacity in (docs * bands, docs * bands // 2):  # the second spills
        builder = RunBuilder(capacity)
        for start in range(0, docs, 700):
            ids = np.arange(start, min(docs, start + 700))
            builder.add(composite(keys[ids], ids))
        runs = builder.runs()
        assert len(runs) == 2 and sum(map(len, runs)) == docs * bands
        assert all((np.diff(r.astype(np.float64)) >= 0).all() for r in runs)
        assert runs[0].max() < runs[1].min()
        idx = BandIndex(bands, directory_min=1000)
        idx.add_runs(runs)
        reference = BandIndex(bands)
        reference.add_many(np.arange(docs), keys)
        for q in [7, 100, *rng.integers(0, docs, size=30).tolist()]:
            assert np.array_equal(
                np.unique(idx.query(keys[q])), np.unique(reference.query(keys[q]))
            )
