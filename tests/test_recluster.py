"""Clusters in a real corpus: canonical takeover, consistency checks, `copydesk recluster`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from copydesk.cli import cli
from copydesk.dedup import Deduper, DedupParams, fingerprint
from copydesk.demo.server import SiteServer
from storage.clusters import PARAMS_KEY, cluster_problems
from storage.corpus import Corpus, NewArticle, Reassignment

from .conftest import crawl
from .test_dedup_core import (
    CREDITED,
    LOCAL,
    PARAS,
    SAME_EVENT,
    TEMPLATE_A,
    TEMPLATE_B,
    TRIMMED,
    WIRE,
)

P = DedupParams()

#: url -> (text, published). The trimmed copy is the oldest of the storm cluster.
ARTICLES: dict[str, tuple[str, str | None]] = {
    "https://a.example/storm": (WIRE, "2024-01-02T10:00:00+00:00"),
    "https://b.example/storm-credited": (CREDITED, "2024-01-02T12:00:00+00:00"),
    "https://c.example/storm-local": (LOCAL, "2024-01-03"),
    "https://d.example/storm-short": (TRIMMED, "2024-01-02T08:30:00+00:00"),
    "https://e.example/storm-undated": (WIRE + "\n\nUpdated at noon.", None),
    "https://f.example/acme": (TEMPLATE_A, "2024-01-02"),
    "https://g.example/globex": (TEMPLATE_B, "2024-01-02"),
    **{f"https://h.example/own-{i}": (t, "2024-01-02") for i, t in enumerate(SAME_EVENT)},
    "https://i.example/quote": (
        "Our own reporting on the harbor.\n\n" + PARAS[1] + "\n\n" + " ".join(SAME_EVENT),
        "2024-01-01",
    ),
}


def insert(db: Path, urls: list[str]) -> None:
    """Store the articles in the given crawl order the way the dedup and storage pipelines do."""
    dd = Deduper(P)
    with Corpus(db) as corpus:
        corpus.set_meta(PARAMS_KEY, P.to_json())
        for n, url in enumerate(urls, start=1):
            text, published = ARTICLES[url]
            fp = fingerprint(text, P)
            fetched = f"2024-02-01T00:00:{n:02d}+00:00"
            first, *changed = dd.assign(n, fp, (published or "", fetched, n))
            article = NewArticle(
                id=n,
                url=url,
                canonical_url=url,
                site=url.split("/")[2],
                text=text,
                fetched_at=fetched,
                text_hash=fp.text_hash,
                published=published,
                duplicate_of=first.duplicate_of,
                relation=first.relation,
                similarity=first.similarity,
                containment=first.containment,
                fingerprint=fp.to_bytes(),
            )
            corpus.write(
                [article],
                [
                    Reassignment(a.key, a.duplicate_of, a.relation, a.similarity, a.containment)
                    for a in changed
                ],
            )
            assert cluster_problems(corpus) == [], url


def clusters_by_url(db: Path) -> dict[str, tuple[str | None, str | None]]:
    with Corpus(db, create=False) as corpus:
        rows = corpus.db.execute(
            "SELECT a.url, c.url, a.relation FROM articles a "
            "LEFT JOIN articles c ON c.id = a.duplicate_of"
        ).fetchall()
    return {url: (canon, relation) for url, canon, relation in rows}


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_older_copy_takes_over_and_corpus_stays_consistent(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    urls = list(ARTICLES)  # the trimmed (oldest) copy arrives after three newer copies
    insert(db, urls)
    got = clusters_by_url(db)
    canonical = "https://d.example/storm-short"
    assert got[canonical] == (None, None)
    for url in [*urls[:3], "https://e.example/storm-undated"]:
        assert got[url][0] == canonical, url
        assert got[url][1] in ("exact", "near", "contained")
    assert got["https://f.example/acme"] == (None, None)
    assert got["https://g.example/globex"] == (None, None)
    assert got["https://i.example/quote"] == (None, None)


def test_recluster_gives_the_same_answer_whatever_the_crawl_order(tmp_path: Path) -> None:
    urls = list(ARTICLES)
    orders = [urls, list(reversed(urls)), urls[3::2] + urls[::-2] + urls[1:3]]
    orders[2] = list(dict.fromkeys(orders[2] + urls))
    results = []
    for n, order in enumerate(orders):
        db = tmp_path / f"order{n}.db"
        insert(db, order)
        code, out = run_cli("recluster", "--db", str(db))
        assert code == 0, out
        code, out = run_cli("recluster", "--db", str(db), "--check")
        assert code == 0, out
        results.append(clusters_by_url(db))
    assert results[0] == results[1] == results[2]
    assert results[0]["https://c.example/storm-local"][0] == "https://d.example/storm-short"


def test_check_finds_broken_rows_and_recluster_repairs_them(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    insert(db, list(ARTICLES))
    with Corpus(db) as corpus:
        ids = dict(corpus.db.execute("SELECT url, id FROM articles").fetchall())
        canon = ids["https://d.example/storm-short"]
        wire = ids["https://a.example/storm"]
        # Point the canonical at one of its own copies: a copy of a copy, and a loop.
        corpus.db.execute(
            "UPDATE articles SET duplicate_of = ?, relation = NULL WHERE id = ?", [wire, canon]
        )
        corpus.db.conn.commit()
        problems = {(p.id, p.problem) for p in cluster_problems(corpus)}
    assert (canon, "no_relation") in problems
    assert (wire, "copy_of_copy") in problems
    code, out = run_cli("recluster", "--db", str(db), "--check")
    assert code == 1 and "inconsistent rows" in out
    code, out = run_cli("recluster", "--db", str(db))
    assert code == 0, out
    assert '"changed": 1' in out
    code, out = run_cli("recluster", "--db", str(db), "--check")
    assert code == 0, out


@pytest.mark.slow
def test_other_params_are_refused_until_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    insert(db, list(ARTICLES))
    before = clusters_by_url(db)
    old = DedupParams(scheme="mulshift64", version=1)
    with Corpus(db) as corpus:
        corpus.set_meta(PARAMS_KEY, old.to_json())
    code, out = run_cli("recluster", "--db", str(db))
    assert code == 1
    assert "recluster --rebuild" in out and "mulshift64" in out
    code, out = run_cli("recluster", "--db", str(db), "--rebuild", "--jobs", "2")
    assert code == 0, out
    assert '"refingerprinted": ' + str(len(ARTICLES)) in out
    with Corpus(db, create=False) as corpus:
        assert DedupParams.from_json(corpus.get_meta(PARAMS_KEY) or "") == P
        stored = dict(corpus.db.execute("SELECT article_id, fingerprint FROM fingerprints"))
        texts = dict(corpus.db.execute("SELECT id, text FROM articles"))
    assert stored == {i: fingerprint(t, P).to_bytes() for i, t in texts.items()}
    assert clusters_by_url(db) == before


@pytest.mark.slow
def test_crawl_refuses_a_corpus_fingerprinted_with_other_params(
    tmp_path: Path, demo_server: SiteServer
) -> None:
    db = tmp_path / "c.db"
    with Corpus(db) as corpus:
        corpus.set_meta(PARAMS_KEY, DedupParams(num_perm=64, bands=32).to_json())
    run = crawl(db, url=demo_server.url(next(iter(demo_server.bases)), "/"))
    assert "recluster --rebuild" in run.log
    assert "num_perm=64" in run.log
    with Corpus(db, create=False) as corpus:
        assert corpus.count_articles() == 0


@pytest.mark.parametrize("published", ["2024-01-02", "2024-01-02T00:00:00Z", "2024-01-02T00:00"])
def test_date_only_and_full_timestamps_order_alike(published: str) -> None:
    dd = Deduper(P)
    dd.assign(1, fingerprint(WIRE, P), ("2024-01-02T00:00:01+00:00", "2024-02-01T00:00:00", 1))
    out = dd.assign(2, fingerprint(CREDITED, P), (published, "2024-02-01T00:00:05", 2))
    assert out[0].duplicate_of is None  # midnight UTC is earlier: the new article takes over
    assert [(a.key, a.duplicate_of) for a in out[1:]] == [(1, 2)]
