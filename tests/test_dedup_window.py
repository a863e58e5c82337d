"""The dedup index bounded in publication time: deferred articles, eviction, windowed recluster."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from copydesk.cli import cli
from copydesk.corpusdedup import open_deduper
from copydesk.dedup import Deduper, DedupParams, Fingerprint, fingerprint
from copydesk.dedup.order import WindowError, instant_us, window_us
from copydesk.demo.server import SiteServer
from copydesk.demo.sites import load_sites, sources_toml
from copydesk.handoff import Sender, connect
from copydesk.writer import Writer
from storage.clusters import cluster_problems, deferred_count
from storage.corpus import Corpus, NewArticle, Reassignment

from .conftest import crawl, rows
from .test_dedup_core import LOCAL, WIRE

P = DedupParams()
DAY = window_us("1d") or 0
START = datetime(2025, 1, 1, tzinfo=UTC)
_VOCAB = [
    "".join(random.Random(k).choices("bcdfghklmnprstvz" + "aeiou" * 2, k=7)) for k in range(3000)
]


def when(day: float) -> str:
    return (START + timedelta(days=day)).isoformat()


def story(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choices(_VOCAB, k=140)) + "."


def copy_of(text: str, seed: int) -> str:
    """A wire copy: a few words changed, a local line added."""
    rng = random.Random(seed)
    words = text.split()
    for k in rng.sample(range(len(words)), 4):
        words[k] = rng.choice(_VOCAB)
    return " ".join(words) + " Reporting by our own desk."


def synthetic(
    stories: int, days: float, spread: float, seed: int = 3
) -> list[tuple[int, str, str]]:
    """(key, text, published) of `stories` stories over `days` days, each with 0-3 copies
    published within `spread` days of it, sorted by publication time."""
    rng = random.Random(seed)
    out: list[tuple[float, str]] = []
    for s in range(stories):
        t0 = rng.uniform(0, days)
        text = story(1000 + s)
        out.append((t0, text))
        for c in range(rng.randint(0, 3)):
            out.append((t0 + rng.uniform(0, spread), copy_of(text, 50_000 + 10 * s + c)))
    out.sort()
    return [(k, text, when(t)) for k, (t, text) in enumerate(out, start=1)]


def assign_all(dd: Deduper, items: list[tuple[int, str, str]]) -> dict[int, int | None]:
    """Assign every item (in the given order); each key's final duplicate_of."""
    fps = {k: fingerprint(text, P) for k, text, _ in items}
    final: dict[int, int | None] = {}
    for k, _, published in items:
        for a in dd.assign(k, fps[k], (published, published, k)):
            final[a.key] = a.duplicate_of
    return final


def test_an_article_older_than_the_window_is_deferred_and_not_compared() -> None:
    dd = Deduper(P, window=window_us("7d"))
    first = dd.assign(1, fingerprint(WIRE, P), (when(30), when(30), 1))[0]
    old = dd.assign(2, fingerprint(LOCAL, P), (when(10), when(31), 2))[0]
    near = dd.assign(3, fingerprint(LOCAL, P), (when(31), when(31), 3))[0]
    assert not first.deferred and first.duplicate_of is None
    assert old.deferred and old.duplicate_of is None  # a copy, but older than the window
    assert not near.deferred and near.duplicate_of == 1
    assert (len(dd), dd.deferred) == (2, 1)  # the deferred article is not indexed


def test_a_page_dated_in_the_future_moves_the_window_only_to_its_fetch_time() -> None:
    dd = Deduper(P, window=window_us("7d"))
    dd.assign(1, fingerprint(WIRE, P), (when(900), when(30), 1))
    assert dd.newest == instant_us(when(30))
    assert not dd.assign(2, fingerprint(LOCAL, P), (when(29), when(31), 2))[0].deferred


def test_the_index_never_holds_more_than_the_window() -> None:
    window = window_us("10d")
    assert window is not None
    items = synthetic(stories=150, days=200, spread=1)
    dd = Deduper(P, window=window, slack=0.125)
    times: list[int] = []
    for k, text, published in items:
        dd.assign(k, fingerprint(text, P), (published, published, k))
        times.append(instant_us(published))
        assert dd.horizon is not None
        allowed = sum(t >= dd.horizon - 0.125 * window for t in times)
        assert len(dd) <= allowed  # only the window (and a compaction step) is in memory
    assert dd.evicted > len(items) // 2
    # A copy published past its canonical's window starts a cluster of its own.
    late = Deduper(P, window=window)
    late.assign(1, fingerprint(WIRE, P), (when(0), when(0), 1))
    late.assign(2, fingerprint(story(1), P), (when(11), when(11), 2))
    assert late.assign(3, fingerprint(LOCAL, P), (when(12), when(12), 3))[0].duplicate_of is None
    assert late.assign(4, fingerprint(LOCAL, P), (when(12.5), when(12.5), 4))[0].duplicate_of == 3


def test_windowed_and_unwindowed_agree_when_copies_fall_within_the_window() -> None:
    items = synthetic(stories=80, days=120, spread=2)
    whole = Deduper(P)
    assign_all(whole, items)
    expected = {a.key: a.duplicate_of for a in whole.recluster()}
    assert sum(v is not None for v in expected.values()) > 40  # copies were planted and found
    windowed = Deduper(P, window=window_us("14d"), slack=0.25)
    assert assign_all(windowed, items) == expected
    assert windowed.evicted > 0 and windowed.deferred == 0
    # Any insertion order within the window gives the same answer: shuffle within 4-day blocks.
    rng = random.Random(5)
    blocks: dict[int, list[tuple[int, str, str]]] = {}
    for item in items:
        blocks.setdefault(int((instant_us(item[2]) - instant_us(when(0))) // (4 * DAY)), []).append(
            item
        )
    shuffled = [x for b in sorted(blocks) for x in rng.sample(blocks[b], len(blocks[b]))]
    assert shuffled != items
    again = Deduper(P, window=window_us("14d"), slack=0.25)
    assert assign_all(again, shuffled) == expected


def test_window_values_are_checked() -> None:
    assert window_us("") is None and window_us("2w") == 14 * DAY and window_us("12h") == DAY // 2
    for bad in ("60", "0d", "-3d", "sixty days"):
        with pytest.raises(WindowError, match="60d"):
            window_us(bad)
    with pytest.raises(ValueError, match="positive"):
        Deduper(P, window=0)


# -- on a real corpus ------------------------------------------------------------------------------


def new_article(key: int, text: str, published: str, fetched: str | None = None) -> NewArticle:
    url = f"https://w{key % 7}.test/{key}"
    return NewArticle(
        id=key,
        url=url,
        canonical_url=url,
        site=url.split("/")[2],
        text=text,
        fetched_at=fetched or published,
        published=published,
        text_hash=f"h{key}",
        fingerprint=fingerprint(text, P).to_bytes(),
    )


def crawl_into(db: Path, articles: list[NewArticle], window: int | None) -> None:
    """Store `articles` one batch each, as the dedup and storage pipelines do."""
    with Corpus(db) as corpus:
        dd = open_deduper(corpus, P, window)
        for a in articles:
            assert a.fingerprint is not None and a.published is not None
            first, *changed = dd.assign(
                a.id, Fingerprint.from_bytes(a.fingerprint), (a.published, a.fetched_at, a.id)
            )
            a.duplicate_of, a.relation = first.duplicate_of, first.relation
            a.similarity, a.containment = first.similarity, first.containment
            a.dedup_deferred = first.deferred
            corpus.write(
                [a],
                [
                    Reassignment(c.key, c.duplicate_of, c.relation, c.similarity, c.containment)
                    for c in changed
                ],
            )


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def clusters(db: Path) -> dict[int, int | None]:
    return {r["id"]: r["duplicate_of"] for r in rows(db, "SELECT id, duplicate_of FROM articles")}


def test_deferred_articles_are_stored_flagged_and_recluster_window_places_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "corpus.db"
    crawl_into(
        db,
        [
            new_article(1, WIRE, when(40)),
            new_article(2, story(7), when(41)),
            new_article(3, LOCAL, when(10), fetched=when(42)),  # a backfilled older copy
        ],
        window_us("7d"),
    )
    stored = {r["id"]: r for r in rows(db, "SELECT id, duplicate_of, dedup_deferred FROM articles")}
    assert stored[3] == {"id": 3, "duplicate_of": None, "dedup_deferred": 1}
    assert stored[1]["dedup_deferred"] is None
    code, out = run_cli("recluster", "--check", "--db", str(db))
    assert code == 0 and json.loads(out)["dedup_deferred"] == 1
    assert json.loads(run_cli("info", "--db", str(db))[1])["dedup_deferred"] == 1
    code, out = run_cli("recluster", "--window", "60d", "--db", str(db))
    assert code == 0, out
    result = json.loads(out)
    assert (result["undeferred"], result["copies"]) == (1, 1)
    # The older copy, now compared, is the earliest published: it becomes the canonical.
    assert clusters(db) == {1: 3, 2: None, 3: None}
    with Corpus(db) as corpus:
        assert deferred_count(corpus) == 0 and cluster_problems(corpus) == []
    assert run_cli("recluster", "--check", "--db", str(db))[0] == 0
    code, out = run_cli("recluster", "--window", "sixty", "--db", str(db))
    assert code == 2 and "60d" in out


def test_a_windowed_rebuild_holds_only_the_window(tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    items = synthetic(stories=40, days=60, spread=1)
    crawl_into(db, [new_article(k, text, published) for k, text, published in items], None)
    newest = max(instant_us(p) for _, _, p in items)
    inside = sum(instant_us(p) >= newest - 10 * DAY for _, _, p in items)
    with Corpus(db) as corpus:
        dd = open_deduper(corpus, P, window_us("10d"))
        assert len(dd) == inside < len(items)
        assert dd.newest == newest


def test_windowed_recluster_equals_a_whole_one_when_copies_fall_within_it(tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    items = synthetic(stories=60, days=90, spread=2, seed=9)
    rng = random.Random(2)
    crawl_into(db, rng.sample([new_article(k, t, p) for k, t, p in items], len(items)), None)
    assert run_cli("recluster", "--db", str(db))[0] == 0
    whole = clusters(db)
    assert sum(v is not None for v in whole.values()) > 30
    code, out = run_cli("recluster", "--window", "14d", "--db", str(db))
    assert code == 0, out
    assert json.loads(out)["changed"] == 0 and clusters(db) == whole
    assert json.loads(out)["held_at_end"] < len(items)
    assert run_cli("recluster", "--check", "--db", str(db))[0] == 0


def test_the_writer_honours_the_window(redis_url: str, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    sender = Sender(connect(redis_url), "o1", "1/1", maxlen=100)
    for a in (new_article(1, WIRE, when(40)), new_article(2, LOCAL, when(10), when(41))):
        a.id = 0
        assert sender.send(a, {"via": "feed"})
    with Writer(connect(redis_url), db, P, window=window_us("7d")) as writer:
        totals = writer.run(idle_exit=0)
    assert (totals.stored, totals.copies) == (2, 0)
    stored = rows(db, "SELECT url, duplicate_of, dedup_deferred FROM articles ORDER BY id")
    assert [(r["duplicate_of"], r["dedup_deferred"]) for r in stored] == [(None, None), (None, 1)]


@pytest.mark.slow
def test_a_crawl_defers_what_is_older_than_its_window_and_recluster_places_it(
    tmp_path: Path,
) -> None:
    """The demo web's sites, crawled in one run: pages arrive out of publication order, so a
    one-hour window defers some; a recluster with a window wider than the corpus then gives
    the clusters of a crawl without a window."""
    sites = load_sites()
    with SiteServer({s.slug: s.dir for s in sites}, virtual_hosts=True) as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(sources_toml(sites, server.bases), encoding="utf-8")
        env = {"HTTP_PROXY": str(server.proxy_url), "NO_PROXY": "", "no_proxy": ""}
        whole, windowed = tmp_path / "whole.db", tmp_path / "windowed.db"
        assert crawl(whole, sources=str(sources), env=env).returncode == 0
        run = crawl(
            windowed, sources=str(sources), env=env, settings={"COPYDESK_DEDUP_WINDOW": "1h"}
        )
    assert run.returncode == 0, run.log[-3000:]
    flagged = rows(windowed, "SELECT COUNT(*) AS n FROM articles WHERE dedup_deferred = 1")
    assert run.stats["copydesk/dedup/deferred"] == flagged[0]["n"] > 0
    code, out = run_cli("recluster", "--window", "520w", "--db", str(windowed))
    assert code == 0, out
    assert json.loads(out)["undeferred"] == flagged[0]["n"]
    assert rows(windowed, "SELECT COUNT(*) AS n FROM articles WHERE dedup_deferred = 1") == [
        {"n": 0}
    ]
    assert run_cli("recluster", "--db", str(whole))[0] == 0
    by_url = (
        "SELECT a.url, c.url AS canon FROM articles a "
        "LEFT JOIN articles c ON c.id = a.duplicate_of ORDER BY a.url"
    )
    assert rows(windowed, by_url) == rows(whole, by_url)
    assert any(r["canon"] for r in rows(whole, by_url))
    assert run_cli("recluster", "--check", "--db", str(windowed))[0] == 0


def test_a_compacted_index_still_proposes_a_teaser_by_its_lead() -> None:
    """Compaction rebuilds the LSH index with the lead bands too: a teaser (the first 120
    words of a 2,000-word story) published after a compaction still joins its story."""
    rng = random.Random(11)
    long_story = "\n\n".join(" ".join(rng.choices(_VOCAB, k=40)) + "." for _ in range(50))
    teaser = " ".join(long_story.split()[:120]) + "\n\nRead more"
    window = window_us("10d")
    dd = Deduper(P, window=window, slack=0.125)
    dd.assign(1, fingerprint(story(1), P), (when(0), when(0), 1))
    dd.assign(2, fingerprint(long_story, P), (when(5), when(5), 2))
    dd.assign(3, fingerprint(story(3), P), (when(12), when(12), 3))
    assert dd.evicted == 1  # article 1 fell behind the horizon: the index was rebuilt
    got = dd.assign(4, fingerprint(teaser, P), (when(13), when(13), 4))
    assert got[0].duplicate_of == 2
