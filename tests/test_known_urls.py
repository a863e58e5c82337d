"""The in-memory index of stored and rejected URLs, built from a real corpus."""

from __future__ import annotations

from pathlib import Path

from copydesk.reasons import LASTING
from crawler.known import KnownUrls
from storage.corpus import Corpus
from storage.discovery import Discovery, DiscoveryStore

from .test_corpus import article


def test_membership_and_additions() -> None:
    known = KnownUrls(["http://a.test/1", "http://a.test/2", "http://a.test/1"])
    assert len(known) == 2
    assert "http://a.test/1" in known and "http://a.test/2" in known
    assert "http://a.test/3" not in known and 3 not in known
    assert not known.any(["http://a.test/3", "http://a.test/4"])
    known.add(["http://a.test/3"])
    assert "http://a.test/3" in known and known.any(["http://a.test/9", "http://a.test/3"])
    assert "http://a.test/4" not in known
    assert "http://a.test/4" not in KnownUrls()


def test_additions_merge_into_the_sorted_array() -> None:
    known = KnownUrls(["http://a.test/0"], merge_at=10)
    urls = [f"http://a.test/{n}" for n in range(1, 26)]
    for url in urls:
        known.add([url])
    assert len(known) == 26
    assert len(known._new) < 10  # merged twice: the set stays small
    assert all(url in known for url in ["http://a.test/0", *urls])
    assert "http://a.test/26" not in known


def test_index_of_a_corpus_holds_stored_and_recently_rejected_urls(tmp_path: Path) -> None:
    with Corpus(tmp_path / "c.db") as corpus:
        corpus.write([article(1), article(2, canonical_url="http://a.test/canonical-2")])
        store = DiscoveryStore(corpus)
        store.record(
            [
                Discovery.from_dict("http://a.test/rejected", "not_article_type", {}),
                Discovery.from_dict("http://a.test/gone", "http_404", {}),
                Discovery.from_dict("http://a.test/failed", "http_500", {}),  # may work later
            ]
        )
        assert sorted(corpus.article_urls()) == sorted(
            ["http://a.test/1", "http://a.test/2", "http://a.test/canonical-2"]
        )
        rejected = set(store.rejected_urls(LASTING, 7))
        assert rejected == {"http://a.test/rejected", "http://a.test/gone"}
        assert list(store.rejected_urls(LASTING, 0)) == []
        assert list(store.rejected_urls([], 7)) == []
        # every URL an exact check would find is in the index (a superset is allowed)
        known = KnownUrls([*corpus.article_urls(), *rejected])
        for url in ["http://a.test/1", "http://a.test/canonical-2", "http://a.test/gone"]:
            assert url in known
            assert corpus.known_urls([url]) or store.rejected([url], LASTING, 7)
        assert "http://a.test/failed" not in known and "http://a.test/3" not in known
