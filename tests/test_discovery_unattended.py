"""Pure parts of unattended crawling: date windows, relevance, health, lock, discovery store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extensions import summary_line
from crawler.health import assess, challenge_kind
from crawler.lock import CorpusLock, Locked
from crawler.relevance import query_terms, relevance
from crawler.window import WindowError, in_window, parse_since
from storage.corpus import Corpus
from storage.discovery import Discovery, DiscoveryStore, SourceRun, Validators

NOW = datetime(2025, 10, 10, 12, 0, tzinfo=UTC)


def test_since_accepts_dates_and_durations() -> None:
    assert parse_since("2025-09-01") == datetime(2025, 9, 1, tzinfo=UTC)
    assert parse_since("2d", NOW) == datetime(2025, 10, 8, 12, 0, tzinfo=UTC)
    assert parse_since("12h", NOW) == datetime(2025, 10, 10, 0, 0, tzinfo=UTC)
    assert parse_since("1w", NOW) == datetime(2025, 10, 3, 12, 0, tzinfo=UTC)
    assert parse_since(None) is None
    with pytest.raises(WindowError, match="duration"):
        parse_since("yesterday")


def test_in_window() -> None:
    since = parse_since("2025-09-01")
    assert in_window("2025-09-01T00:00:00+00:00", since)
    assert in_window("2025-09-01", since)
    assert in_window("2025-08-31", parse_since("2025-08-31T18:00:00"))  # a bare day overlaps
    assert not in_window("2025-08-31T23:59:00+00:00", since)
    assert in_window(None, since) and in_window("garbage", since)
    assert in_window("1999-01-01", None)


def test_relevance() -> None:
    assert query_terms("Klishchiïvka and Bakhmut") == ["klishchiivka", "and", "bakhmut"]
    text = "Ukrainian forces retook Klishchiivka, south of Bakhmut's ruins."
    full = relevance("Klishchiivka Bakhmut", "Fighting near Bakhmut", text)
    assert full == pytest.approx(1.25)  # both terms found, one in the title
    assert relevance("Klishchiivka Bakhmut", "Port strike", "Dockworkers walked out.") == 0
    assert relevance("Klishchiivka Bakhmut", None, "Bakhmut is far.") == pytest.approx(0.5)
    assert relevance("", "x", "y") == 0


def test_challenge_pages() -> None:
    assert challenge_kind(b"<title>Just a moment...</title><div id=cf_chl_opt>") == "challenge"
    assert challenge_kind(b"<title>Before you continue to Example</title>") == "consent"
    assert challenge_kind(b"<title>Port strike</title><p>Ships wait offshore.</p>") is None


def test_health() -> None:
    ok = assess(SourceRun("a", feeds_read=1, found=12, new=3), [12, 11, 13])
    assert (ok.health, ok.problems) == ("ok", [])
    assert assess(SourceRun("a", unchanged=2), [12, 11, 13]).health == "ok"  # 304s
    empty = assess(SourceRun("a", errors=2), [])
    assert empty.health == "broken" and empty.problems[0]["flag"] == "empty"
    walled = assess(SourceRun("a", found=3, dropped={"challenge": 3}), [])
    assert [p["flag"] for p in walled.problems] == ["walled"]
    drop = assess(SourceRun("a", found=2), [40, 38, 41, 39])
    assert [p["flag"] for p in drop.problems] == ["volume_drop"]
    assert assess(SourceRun("a", found=2), [40, 38]).health == "ok"  # too little history


def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "c.db"
    lock = CorpusLock(db).acquire()
    with pytest.raises(Locked):  # taken once per crawl: a second acquire fails, same process
        CorpusLock(db).acquire()
    code = (
        "import sys; from crawler.lock import CorpusLock, Locked\n"
        f"try: CorpusLock({str(db)!r}).acquire()\n"
        "except Locked as e: print(e); sys.exit(75)\n"
    )
    held = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert held.returncode == 75 and "another crawl" in held.stdout
    lock.release()
    free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert free.returncode == 0
    assert issubclass(Locked, RuntimeError)


def test_discovery_store(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        store = DiscoveryStore(corpus)
        found = {
            "via": "sitemap",
            "from": "http://n.test/news.xml",
            "seen_at": "2025-10-01T00:00:00+00:00",
            "title": "T",
            "published": "2025-10-01T00:00:00+00:00",
            "lastmod": "2025-10-02T00:00:00+00:00",
            "keywords": ["a", "b"],
            "publication": "N",
        }
        gated = "not_article_type"
        store.record([Discovery.from_dict("http://n.test/x", gated, found, source="n")])
        store.record([Discovery.from_dict("http://n.test/y", "outside_window", {"via": "feed"})])
        row = store.discovery("http://n.test/x")
        assert row is not None
        assert (row["via"], row["found_in"], row["outcome"]) == (
            "sitemap",
            "http://n.test/news.xml",
            gated,
        )
        assert json.loads(row["keywords"]) == ["a", "b"]
        assert json.loads(row["meta"]) == {"publication": "N"}
        assert set(store.rejected(["http://n.test/x", "http://n.test/z"], [gated], 7)) == {
            "http://n.test/x"
        }
        assert store.rejected(["http://n.test/x"], [gated], 0) == {}
        # seen again later: first sighting kept, outcome updated
        store.record([Discovery.from_dict("http://n.test/x", "stored", {"via": "feed"})])
        again = store.discovery("http://n.test/x")
        assert again is not None
        assert (again["via"], again["first_seen"], again["outcome"]) == (
            "sitemap",
            "2025-10-01T00:00:00+00:00",
            "stored",
        )
        assert store.validators("http://n.test/news.xml") is None
        store.save_validators([Validators("http://n.test/i.xml", '"e1"', None, ("http://c",))])
        assert store.validators("http://n.test/i.xml") == Validators(
            "http://n.test/i.xml", '"e1"', None, ("http://c",)
        )


def test_summary_line() -> None:
    runs = [SourceRun("a"), SourceRun("b", health="broken", problems=[{"flag": "empty"}])]
    stats = {"copydesk/pages/fetched": 40, "copydesk/articles/stored": 31,
             "copydesk/articles/duplicates": 4, "copydesk/skipped/already_stored": 3}  # fmt: skip
    assert summary_line(12, "finished", stats, runs) == (
        "copydesk: crawl 12 finished: 40 pages, 31 new articles, 4 copies, 3 skipped; "
        "sources: 1 ok, 1 broken (b: empty)"
    )
