"""The labelled real-news and failure-class sets: labels, halves, determinism."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from copydesk.bench import dedup_sets

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COPYDESK_SHARED", ROOT.parent / "shared"))
WCXB = SHARED / "data" / "wcxb-dev"
FETCHED = Path(
    os.environ.get("COPYDESK_FETCHED", ROOT.parent / "fetched" / "ArticleComparisons" / "data")
)

needs_csvs = pytest.mark.skipif(
    not (FETCHED / "census_articles.csv").is_file(),
    reason=f"fetched ArticleComparisons CSVs not at {FETCHED}",
)
needs_wcxb = pytest.mark.skipif(not WCXB.is_dir(), reason=f"WCXB dev split not at {WCXB}")


def test_labels_cover_both_events_with_reasons_for_hard_calls() -> None:
    labels = json.loads(dedup_sets.LABELS.read_text(encoding="utf-8"))["articles"]
    assert len(labels) == 68
    assert {k.split("-")[0] for k in labels} == set(dedup_sets.EVENTS)
    clusters: dict[str, list[str]] = {}
    for key, label in labels.items():
        clusters.setdefault(label["cluster"], []).append(key)
        assert label["kind"] in {"copy", "single", "junk"}
    for members in clusters.values():  # a cluster never spans the two events (halves)
        assert len({m.split("-")[0] for m in members}) == 1
    assert sum(len(m) > 1 for m in clusters.values()) == 9


@needs_csvs
def test_real_news_builds_from_the_fetched_csvs(tmp_path: Path) -> None:
    docs = dedup_sets.real_news(FETCHED)
    assert len(docs) == 68
    assert {d["half"] for d in docs} == {"a", "b"}
    assert all(d["text"] and "###" not in d["text"] for d in docs)
    written = dedup_sets.write_sets(tmp_path, FETCHED, None)
    assert written == {"realnews-a.jsonl": 32, "realnews-b.jsonl": 36, "realnews-all.jsonl": 68}


def test_real_news_says_where_the_csvs_come_from(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ArticleComparisons"):
        dedup_sets.real_news(tmp_path)


@needs_wcxb
def test_failure_classes_are_deterministic_and_split_by_group() -> None:
    one = dedup_sets.failure_classes(WCXB, groups_per_class=3)
    two = dedup_sets.failure_classes(WCXB, groups_per_class=3)
    assert one == two
    assert {d["class"] for d in one} == set(dedup_sets.CLASSES)
    halves: dict[str, set[str]] = {}
    for d in one:
        halves.setdefault(d["group"], set()).add(d["half"])
    assert all(len(h) == 1 for h in halves.values())
    teasers = [d for d in one if d["kind"] == "teaser"]
    assert teasers and all(80 <= len(d["text"].split()) <= 160 for d in teasers)


@needs_wcxb
def test_shared_statement_groups_are_split_by_site_and_labelled_separate() -> None:
    docs = dedup_sets.failure_classes(WCXB, groups_per_class=4)
    groups: dict[str, list[dict[str, object]]] = {}
    for d in docs:
        if d["class"] == "shared_statement":
            groups.setdefault(str(d["group"]), []).append(d)
    assert len(groups) == 4 and {g[0]["half"] for g in groups.values()} == {"a", "b"}
    for members in groups.values():
        assert len({m["half"] for m in members}) == 1
        story = [m for m in members if m["cluster"] == members[0]["group"] + "-a"]
        others = [m for m in members if m["kind"] == "statement"]
        assert len(story) == 3 and others  # a story and its two copies; its quoting peers
        assert all(o["cluster"] not in {s["cluster"] for s in story} for o in others)
