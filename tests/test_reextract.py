"""`copydesk reextract` on a real corpus built from the demo web's pages."""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from copydesk.cli import cli
from copydesk.dedup import DedupParams, fingerprint
from copydesk.extract import EXTRACTOR_VERSION, ExtractOptions
from copydesk.maintenance import reextract
from copydesk.work import PageResult, PageTask, process_page
from storage.clusters import PARAMS_KEY, cluster_problems
from storage.corpus import Corpus, NewArticle
from storage.pages import count_pages, stored_pages

WEB = Path(__file__).resolve().parents[1] / "copydesk" / "demo" / "web"
P = DedupParams()

HARBOR = [
    "harbor-gazette/2023/09/18/ukraine-klishchiivka-bakhmut-russian-soldiers-flee.html",
    "harbor-gazette/2025/02/24/harbour-ferry-timetable-cut-as-council-seeks-new.html",
    "harbor-gazette/2025/03/02/lifeboat-crew-rescues-two-kayakers-off-gull-point.html",
    "harbor-gazette/2025/03/11/port-of-calder-bay-strike-40-ships-stuck-offshore.html",
]
WIRE_ORIGINAL = "valley-ledger/news/business/dockworkers-walk-off-job-at-calder-bay-port-49117.html"
NOT_ARTICLE = "harbor-gazette/category/local/index.html"

OLD_TEXT = "An old extraction that mentions zeppelins.\n\nIts second paragraph, {n}."


def url_of(path: str) -> str:
    slug, rest = path.split("/", 1)
    return f"http://{slug}.example/{rest}"


def page_html(path: str, plant: str | None = None) -> bytes:
    """A demo page as served (placeholders substituted), optionally with a paragraph planted
    at the end of its article body."""
    html = (WEB / path).read_text(encoding="utf-8")
    html = re.sub(r"\{\{base:([a-z-]+)\}\}", r"http://\1.example", html)
    html = html.replace("{{base}}", url_of(path.split("/", 1)[0] + "/").rstrip("/"))
    if plant is not None:
        marker = '</div>\n<footer class="entry-footer">'
        assert marker in html, path
        html = html.replace(marker, f"<p>{plant}</p>{marker}", 1)
    return html.encode()


def extracted(path: str, plant: str | None = None) -> PageResult:
    task = PageTask(url_of(path), page_html(path, plant), "utf-8")
    return process_page(task, ExtractOptions(), P)


def build_corpus(
    db: Path,
    paths: list[str],
    *,
    version: str = EXTRACTOR_VERSION,
    stale_text: bool = False,
    plant: str | None = None,
) -> None:
    """Store pages as a crawl would; with ``stale_text`` the row holds an old, wrong text."""
    with Corpus(db) as corpus:
        corpus.set_meta(PARAMS_KEY, P.to_json())
        first = corpus.max_article_id() + 1
        articles = []
        for n, path in enumerate(paths, start=first):
            html = page_html(path, plant)
            result = extracted(path, plant)
            ex = result.extraction or {"text": OLD_TEXT.format(n=n), "title": "Not an article"}
            text = OLD_TEXT.format(n=n) if stale_text else ex["text"]
            title = "Old title" if stale_text else ex["title"]
            fp = fingerprint(text, P, title=title)
            articles.append(
                NewArticle(
                    id=n,
                    url=url_of(path),
                    canonical_url=url_of(path),
                    site=path.split("/", 1)[0] + ".example",
                    text=text,
                    title=title,
                    published=ex.get("published"),
                    fetched_at=f"2025-04-01T00:00:{n:02d}+00:00",
                    text_hash=fp.text_hash,
                    extractor_version=version,
                    fingerprint=fp.to_bytes(),
                    html_zlib=zlib.compress(html),
                    encoding="utf-8",
                    content_type="text/html",
                    status=200,
                )
            )
        corpus.write(articles)


def rows(db: Path) -> dict[str, dict[str, object]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute(
            "SELECT a.*, f.fingerprint FROM articles a LEFT JOIN fingerprints f "
            "ON f.article_id = a.id ORDER BY a.id"
        ).fetchall()
        return {r["url"]: dict(r) for r in found}


def fts(db: Path, query: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid", [query]
            )
        ]


def test_stored_pages_round_trip_the_html(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, HARBOR[:2], version="1")
    with Corpus(db) as corpus:
        pages = [p for batch in stored_pages(corpus, batch=1) for p in batch]
        assert [p.html for p in pages] == [page_html(path) for path in HARBOR[:2]]
        assert {p.extractor_version for p in pages} == {"1"}
        assert count_pages(corpus, stale_for="1") == 0
        assert count_pages(corpus, stale_for=EXTRACTOR_VERSION, site="harbor-gazette.example") == 2
        assert count_pages(corpus, site="nowhere.example") == 0


def test_reextract_updates_text_metadata_version_fingerprint_and_fts(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, HARBOR, version="1", stale_text=True)
    assert len(fts(db, "zeppelins")) == 4 and fts(db, "kayakers") == []
    with Corpus(db) as corpus:
        done = reextract(corpus, workers=0)
    assert done.summary()["pages"] == 4 and done.updated == 4 and done.now_rejected == 0
    after = rows(db)
    for path in HARBOR:
        fresh = extracted(path)
        assert fresh.extraction is not None
        row = after[url_of(path)]
        assert row["text"] == fresh.extraction["text"]
        assert row["title"] == fresh.extraction["title"] != "Old title"
        assert row["published"] == fresh.extraction["published"]
        assert row["extractor_version"] == EXTRACTOR_VERSION
        assert row["fingerprint"] == fresh.fingerprint
        assert row["text_hash"] == fresh.text_hash
        assert row["word_count"] == len(fresh.extraction["text"].split())
        assert json.loads(str(row["authors"])) == fresh.extraction["authors"]
    assert fts(db, "zeppelins") == []
    lifeboat = after[url_of(HARBOR[2])]["id"]
    assert fts(db, "kayakers") == [lifeboat]

    with Corpus(db) as corpus:  # a second pass finds nothing stale
        again = reextract(corpus, workers=0)
    assert again.pages == 0 and again.updated == 0


def test_stale_skips_current_rows_and_all_does_not(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    # Rows claiming the current version but holding a wrong text: only --all touches them.
    build_corpus(db, HARBOR[:2], stale_text=True)
    build_corpus(db, HARBOR[2:], version="1", stale_text=True)
    with Corpus(db) as corpus:
        stale = reextract(corpus, workers=0)
    assert (stale.pages, stale.updated) == (2, 2)
    after = rows(db)
    assert [after[url_of(p)]["text"] == OLD_TEXT.format(n=n) for n, p in enumerate(HARBOR, 1)] == [
        True,
        True,
        False,
        False,
    ]
    with Corpus(db) as corpus:
        every = reextract(corpus, stale_only=False, workers=0)
    assert (every.pages, every.updated, every.unchanged) == (4, 2, 2)
    assert all(r["text"] != OLD_TEXT.format(n=r["id"]) for r in rows(db).values())


def test_pages_now_rejected_are_kept_and_listed(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, [HARBOR[0], NOT_ARTICLE], version="1", stale_text=True)
    result = CliRunner().invoke(cli, ["reextract", "--db", str(db), "--jobs", "0"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["pages"], summary["updated"], summary["now_rejected"]) == (2, 1, 1)
    assert url_of(NOT_ARTICLE) in result.stderr and "now rejected" in result.stderr
    kept = rows(db)[url_of(NOT_ARTICLE)]
    assert kept["text"] == OLD_TEXT.format(n=2) and kept["extractor_version"] == "1"


@pytest.mark.slow
def test_cli_reextract_in_worker_processes_reclusters_wire_copies(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    # Stored with unrelated old texts, the wire story and its copy are not yet a cluster.
    build_corpus(db, [WIRE_ORIGINAL, HARBOR[3], HARBOR[2]], version="1", stale_text=True)
    assert all(r["duplicate_of"] is None for r in rows(db).values())
    result = CliRunner().invoke(cli, ["reextract", "--db", str(db), "--jobs", "1", "--all"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pages"] == 3 and summary["updated"] == 3
    assert summary["changed_assignments"] >= 1 and summary["seconds"] >= 0
    after = rows(db)
    original, copy = after[url_of(WIRE_ORIGINAL)], after[url_of(HARBOR[3])]
    assert original["duplicate_of"] is None and copy["duplicate_of"] == original["id"]
    assert after[url_of(HARBOR[2])]["duplicate_of"] is None
    with Corpus(db) as corpus:
        assert cluster_problems(corpus) == []


def test_cli_refuses_fingerprints_of_other_parameters(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, HARBOR[:1], version="1")
    with Corpus(db) as corpus:
        raw = json.loads(P.to_json())
        raw["num_perm"] = int(raw["num_perm"]) * 2
        corpus.set_meta(PARAMS_KEY, json.dumps(raw))
    result = CliRunner().invoke(cli, ["reextract", "--db", str(db), "--jobs", "0"])
    assert result.exit_code != 0 and "recluster --rebuild" in result.output
    assert rows(db)[url_of(HARBOR[0])]["extractor_version"] == "1"


def test_cli_needs_an_existing_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["reextract", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and "no corpus" in result.output
    assert not (tmp_path / "none.db").exists()
