"""Browsing a big corpus: summaries kept by the writer, pages that use indexes, reading pages."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import copydesk.datasette.plugin as plugin
import storage.datasette_meta as meta
from copydesk.cli import cli
from copydesk.datasette.charts import bin_of, bin_width
from storage.corpus import Corpus, NewArticle, Reassignment
from storage.summaries import browse_targets, summary_problems
from tests.conftest import BROWSE_ARTICLES
from tests.test_datasette import get

pytestmark = pytest.mark.slow


def copy_of(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "corpus.db"
    source, dest = sqlite3.connect(db), sqlite3.connect(target)
    source.backup(dest)
    source.close()
    dest.close()
    return target


def article(
    i: int, site: str, published: str | None, duplicate_of: int | None = None
) -> NewArticle:
    url = f"https://{site}/{i}"
    return NewArticle(
        id=i,
        url=url,
        canonical_url=url,
        site=site,
        text=f"text of article {i}",
        fetched_at="2025-03-02T08:00:00+00:00",
        text_hash=str(i),
        published=published,
        duplicate_of=duplicate_of,
        relation="near" if duplicate_of else None,
    )


# -- summaries ------------------------------------------------------------------------------


def test_the_writer_keeps_the_summaries(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write(
            [
                article(1, "a.example", "2025-03-01T10:00:00+01:00"),
                article(2, "b.example", "2025-03-01T12:00:00+00:00", 1),
                article(3, "c.example", None, 1),
            ]
        )
        days = corpus.db.execute("SELECT * FROM site_days ORDER BY site").fetchall()
        assert days == [
            ("a.example", "2025-03-01", 1, 0),
            ("b.example", "2025-03-01", 1, 1),
            ("c.example", "2025-03-02", 1, 1),  # undated: the day it was fetched
        ]
        wire = corpus.db.execute("SELECT * FROM wire_summaries").fetchall()
        assert wire == [
            (1, 3, 3, "a.example", "2025-03-01T10:00:00+01:00", "2025-03-02T08:00:00+00:00")
        ]
        # An older article arrives and becomes canonical: the cluster is re-keyed (recluster).
        corpus.write(
            [article(4, "d.example", "2025-02-28")],
            [Reassignment(i, 4, "near", 0.9, 0.9) for i in (1, 2, 3)],
        )
        assert corpus.db.execute(
            "SELECT story_id, outlets, first_publisher FROM wire_summaries"
        ).fetchall() == [(4, 4, "d.example")]
        # reextract rewrites a date; a copy is deleted.
        corpus.db.execute("UPDATE articles SET published = '2025-04-01' WHERE id = 3")
        corpus.db.conn.commit()
        corpus.delete_articles([2])
        assert summary_problems(corpus.db.conn) == []
        assert ("b.example",) not in corpus.db.execute("SELECT site FROM site_days").fetchall()


def test_a_migration_builds_the_summaries_of_an_existing_corpus(
    browse_corpus: Path, tmp_path: Path
) -> None:
    db = copy_of(browse_corpus, tmp_path)
    conn = sqlite3.connect(db)
    for trigger in (
        "articles_summaries_ai",
        "articles_wire_ai",
        "articles_summaries_ad",
        "articles_summaries_au",
    ):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE site_days")
    conn.execute("DROP TABLE wire_summaries")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0006_browse_summaries'")
    conn.commit()
    conn.close()
    with Corpus(db) as corpus:  # migrates
        assert summary_problems(corpus.db.conn) == []
        total = corpus.db.execute("SELECT sum(articles) FROM site_days").fetchone()[0]
        assert total == BROWSE_ARTICLES


def test_recluster_check_verifies_the_summaries(browse_corpus: Path, tmp_path: Path) -> None:
    db = copy_of(browse_corpus, tmp_path)
    runner = CliRunner()
    ok = runner.invoke(cli, ["recluster", "--check", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    assert '"summary_problems": 0' in ok.output
    conn = sqlite3.connect(db)
    site, day = conn.execute("SELECT site, day FROM site_days LIMIT 1").fetchone()
    conn.execute(
        "UPDATE site_days SET articles = articles + 5 WHERE site = ? AND day = ?", [site, day]
    )
    conn.execute(
        "DELETE FROM wire_summaries WHERE story_id = (SELECT max(story_id) FROM wire_summaries)"
    )
    conn.commit()
    conn.close()
    bad = runner.invoke(cli, ["recluster", "--check", "--db", str(db)])
    assert bad.exit_code != 0
    assert "2 summary rows disagree" in bad.output and "--rebuild-summaries" in bad.output
    fixed = runner.invoke(cli, ["recluster", "--rebuild-summaries", "--db", str(db)])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(cli, ["recluster", "--check", "--db", str(db)]).exit_code == 0


# -- page queries -----------------------------------------------------------------------------


PAGE_QUERIES = [
    "WIRE_STORIES_SQL",
    "ARTICLE_COPIES_SQL",
    "SEARCH_SQL",
    "SITE_VOLUME_SQL",
    "CHART_RANGE_SQL",
    "CHART_TOP_SITES_SQL",
    "CHART_DAILY_SQL",
    "SITE_DAILY_SQL",
    "SITE_TOTALS_SQL",
    "SITE_LATEST_SQL",
    "ARTICLE_SQL",
    "ALSO_RAN_SQL",
    "WIRE_ROOT_SQL",
    "WIRE_CLUSTER_SQL",
    "ARTICLES_HINT_SQL",
    "SEARCH_FLOOR_SQL",
]
_FULL_SCAN = re.compile(r"^SCAN (articles|a|canon|m)\b(?! VIRTUAL)")


def plan(db: Path, sql: str) -> list[str]:
    params = {
        "id": 5,
        "root": 5,
        "site": "x.example",
        "since": "",
        "until": "",
        "top": 8,
        "sites": "[]",
        "q": "news",
        "limit": 30,
        "offset": 0,
        "floor": 0,
        "window": 100,
    }
    conn = sqlite3.connect(db)
    try:
        names = set(re.findall(r":(\w+)", sql))
        return [
            row[3]
            for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", {k: params[k] for k in names})
        ]
    finally:
        conn.close()


def test_the_test_corpus_shows_a_full_scan(browse_corpus: Path) -> None:
    """What the check below looks for appears in the plan of a query that reads every row."""
    old_volume = "select date(published) as day, site, count(*) from articles a group by day, site"
    assert any(_FULL_SCAN.match(line) for line in plan(browse_corpus, old_volume))


@pytest.mark.parametrize("name", PAGE_QUERIES)
def test_page_queries_never_scan_the_articles(browse_corpus: Path, name: str) -> None:
    lines = plan(browse_corpus, getattr(meta, name))
    assert not [line for line in lines if _FULL_SCAN.match(line)], lines


@pytest.mark.parametrize("order", sorted(meta.SEARCH_PAGE_SQL))
def test_search_lets_fts5_order_the_matches(browse_corpus: Path, order: str) -> None:
    """No temporary sort: FTS5 hands rows over in rank (or rowid) order and snippet() runs for
    the page's rows only."""
    lines = plan(browse_corpus, meta.SEARCH_PAGE_SQL[order])
    assert not [line for line in lines if "TEMP B-TREE" in line or _FULL_SCAN.match(line)], lines


def test_article_tables_drop_facets_above_the_limit(
    browse_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = get(browse_corpus, "/corpus/articles")
    assert 'id="facet-site"' in small.text  # facets at this size
    monkeypatch.setattr(meta, "FACET_LIMIT", BROWSE_ARTICLES - 1)
    monkeypatch.setattr(plugin, "_sizes", {})
    big = get(browse_corpus, "/corpus/articles_view")
    assert big.status_code == 200
    assert 'id="facet-site"' not in big.text and "Facets are off above" in big.text


# -- charts and reading pages -----------------------------------------------------------------


def test_bins_widen_with_the_range() -> None:
    assert bin_width("2025-01-01", "2025-03-01") == "day"
    assert bin_width("2024-12-01", "2026-11-30") == "week"
    assert bin_width("2020-01-01", "2026-11-30") == "month"
    assert bin_of("2025-03-05", "week") == "2025-03-03"  # a Monday
    assert bin_of("2025-03-05", "month") == "2025-03-01"


def test_front_page_charts_busiest_sites_and_range(browse_corpus: Path) -> None:
    page = get(browse_corpus, "/corpus")
    assert page.status_code == 200
    assert "Articles per week" in page.text  # two years: weekly bins
    legend = re.findall(r'<ul class="copydesk-legend">(.*?)</ul>', page.text, re.S)[0]
    assert legend.count("<li>") == 9 and "other sites" in legend  # 8 busiest + other
    assert "<script" not in page.text.split('class="copydesk-charts"')[1].split("</div>")[0]
    with Corpus(browse_corpus, create=False) as corpus:
        last = browse_targets(corpus.db.conn).latest_day
    assert last is not None
    month = get(browse_corpus, f"/corpus?since={last[:8]}01&until={last}")
    assert "Articles per day" in month.text and 'type="date"' in month.text
    front = get(browse_corpus, "/")
    assert front.status_code == 200 and "copydesk-legend" in front.text


def test_article_page_reads_like_an_article(browse_corpus: Path) -> None:
    with Corpus(browse_corpus, create=False) as corpus:
        targets = browse_targets(corpus.db.conn)
        copy = corpus.article(targets.copy_id or 0)
    assert copy is not None
    page = get(browse_corpus, f"/corpus/-/article/{copy['id']}")
    assert page.status_code == 200
    html = page.text
    assert f"<h1>{copy['title']}</h1>" in html
    assert f'href="{copy["url"]}"' in html  # the original
    for author in json.loads(copy["authors"]):
        assert author in html
    assert html.count("<p>") >= len(copy["text"].split("\n\n"))
    assert "Also ran at" in html and 'class="original"' in html
    assert f"/corpus/-/wire/{targets.story_id}" in html
    assert re.search(r"\d{1,2} \w+ 20\d\d, \d\d:\d\d \(UTC[+-]\d\d:\d\d\)", html)  # local time
    assert get(browse_corpus, "/corpus/-/article/99999999").status_code == 404


def test_listings_link_to_the_reading_pages(browse_corpus: Path) -> None:
    for path in (
        "/corpus/articles",
        "/corpus/articles_view",
        "/corpus/search?q=news&since=&until=",
    ):
        html = get(browse_corpus, path).text
        assert "/corpus/-/article/" in html, path
        assert "/corpus/-/site/" in html, path
    stories = get(browse_corpus, "/corpus/wire_stories").text
    assert "/corpus/-/wire/" in stories and "/corpus/-/site/" in stories


def ids_all_newest(db: Path, word: str) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
        return [r[0] for r in conn.execute(sql, [word])]
    finally:
        conn.close()


def test_search_page_highlights_and_orders(
    browse_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copydesk.bench.browse import search_words

    word = search_words()[0]
    best = get(browse_corpus, f"/corpus/-/search?q={word}")
    assert best.status_code == 200
    assert best.text.count(f"<mark>{word}</mark>") >= 10
    newest = get(browse_corpus, f"/corpus/-/search?q={word}&order=newest")
    ids = [int(i) for i in re.findall(r'<li data-article-id="(\d+)"', newest.text)]
    assert len(ids) == 30 and ids == sorted(ids, reverse=True)
    assert "next →" in newest.text
    monkeypatch.setattr(plugin, "BEST_WINDOW", 50)  # best of the 50 newest matches
    windowed = get(browse_corpus, f"/corpus/-/search?q={word}")
    assert "best matches among the 50 newest" in windowed.text
    ids = [int(i) for i in re.findall(r'<li data-article-id="(\d+)"', windowed.text)]
    assert min(ids) >= sorted(ids_all_newest(browse_corpus, word))[-50]
    bad = get(browse_corpus, "/corpus/-/search?q=%22unbalanced")
    assert bad.status_code == 200 and "copydesk-error" in bad.text
    assert get(browse_corpus, f"/corpus/search.json?_shape=array&q={word}&since=&until=").json()


def test_site_page(browse_corpus: Path) -> None:
    with Corpus(browse_corpus, create=False) as corpus:
        site = browse_targets(corpus.db.conn).site
    page = get(browse_corpus, f"/corpus/-/site/{site}")
    assert page.status_code == 200
    assert "<svg" in page.text and "Latest articles" in page.text and "Health" in page.text
    assert page.text.count('<li data-article-id="') == 30
    assert get(browse_corpus, "/corpus/-/site/nowhere.example").status_code == 404


def test_json_and_csv_stay(browse_corpus: Path) -> None:
    for path in ("/corpus/articles.json", "/corpus/site_days.csv", "/corpus/wire_stories.json"):
        assert get(browse_corpus, path).status_code == 200, path


def test_a_crawl_writes_while_pages_are_served(browse_corpus: Path, tmp_path: Path) -> None:
    db = copy_of(browse_corpus, tmp_path)
    writer = Corpus(db, create=False)
    next_id = writer.max_article_id() + 1
    with writer.db.atomic():  # a reader arriving mid-transaction reads the last commit
        writer.db.table("articles").insert(
            article(next_id, "new.example", "2026-11-30").article_row()
        )
        assert get(db, "/corpus").status_code == 200
        assert get(db, "/corpus/-/site/new.example").status_code == 404
    assert get(db, "/corpus/-/site/new.example").status_code == 200
    writer.close()


def test_table_counts_come_from_the_summaries(browse_corpus: Path) -> None:
    """Datasette's count(*) of the search index's shadow tables cannot be cut short by its time
    limit (seconds at a million articles): those are not counted, articles come from the
    per-site totals."""
    tables = {t["name"]: t["count"] for t in get(browse_corpus, "/corpus.json").json()["tables"]}
    assert tables["articles"] == BROWSE_ARTICLES
    assert tables["articles_fts_data"] is None and tables["pages"] is None
    assert tables["site_days"] and tables["crawls"] == 1


def test_recluster_assignments_keep_the_summaries(browse_corpus: Path, tmp_path: Path) -> None:
    """What `copydesk recluster` writes (`apply_assignments`): clusters merge and split."""
    from storage.clusters import apply_assignments

    db = copy_of(browse_corpus, tmp_path)
    with Corpus(db, create=False) as corpus:
        stories = [r[0] for r in corpus.db.execute("SELECT story_id FROM wire_summaries LIMIT 2")]
        members = [
            r[0]
            for r in corpus.db.execute(
                "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY id", [stories[1]]
            )
        ]
        changes = [Reassignment(stories[1], stories[0], "near", 0.9, 0.9)]  # merge
        changes += [Reassignment(i, stories[0], "near", 0.9, 0.9) for i in members[1:]]
        changes += [Reassignment(members[0], None, None, None, None)]  # split off
        assert apply_assignments(corpus, changes) == len(changes)
        assert summary_problems(corpus.db.conn) == []
