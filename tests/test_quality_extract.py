"""Quality gate: the extractor on a fixed subset of the WCXB dev split, against pinned floors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from copydesk.bench.extract import _ground_truth, run
from copydesk.bench.split import site_split

SHARED = Path(
    os.environ.get("COPYDESK_SHARED", Path(__file__).resolve().parents[1].parent / "shared")
)
WCXB_DEV = SHARED / "data" / "wcxb-dev"

# Measured on this subset (514 pages, 318 articles; extractor version 6, the page-block
# classifier and the furniture rules of copydesk.extraction.cleanup): token_f1 0.968,
# pages_without_leak 0.953, gate precision 0.746, gate recall 1.000; on its 153 held-out-site
# articles: token_f1 0.954, pages_without_leak 0.941, gate recall 1.000. Floors are pinned
# slightly below. Extractor version 7 measured gate precision 0.736: a page that declares itself
# an article needs 150 characters, not 400, and keeps trafilatura's text when the classifier
# keeps too little (real news articles were dropped otherwise), which lets a few more
# non-article WCXB pages in.
# The shipped classifier was trained on the dev split's training sites, so the subset's figures
# are partly fitted: the held-out sites' figures (scores["heldout"]) are the honest ones and
# get floors of their own.
FLOORS = {
    "token_f1": 0.963,
    "pages_without_leak": 0.945,
    "article_gate_precision": 0.73,
    "article_gate_recall": 0.99,
}
HELDOUT_FLOORS = {"token_f1": 0.949, "pages_without_leak": 0.93, "article_gate_recall": 0.98}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (WCXB_DEV / "index.json").exists(), reason="no WCXB dev data"),
]


def subset_ids() -> list[str]:
    """Every 4th article, every 10th other page (by sorted id) and every page of the sites
    held out of block-classifier training."""
    index = json.loads((WCXB_DEV / "index.json").read_text(encoding="utf-8"))
    articles = sorted(i for i, v in index.items() if v["page_type"] == "article")
    others = sorted(i for i, v in index.items() if v["page_type"] != "article")
    heldout = [i for i in index if site_split(_ground_truth(WCXB_DEV, i).get("url")) == "heldout"]
    return sorted(set(articles[::4] + others[::10] + heldout))


@pytest.fixture(scope="module")
def scores() -> dict:
    return run(WCXB_DEV, ids=subset_ids(), jobs=2)


@pytest.mark.parametrize("key", sorted(FLOORS))
def test_floor(scores: dict, key: str) -> None:
    assert scores[key] >= FLOORS[key], f"{key} = {scores[key]:.4f} < floor {FLOORS[key]}"


@pytest.mark.parametrize("key", sorted(HELDOUT_FLOORS))
def test_heldout_floor(scores: dict, key: str) -> None:
    value, floor = scores["heldout"][key], HELDOUT_FLOORS[key]
    assert value >= floor, f"held-out {key} = {value:.4f} < floor {floor}"


def test_subset_shape(scores: dict) -> None:
    index = json.loads((WCXB_DEV / "index.json").read_text(encoding="utf-8"))
    ids = subset_ids()
    assert scores["pages"] == len(ids)
    assert scores["articles"] == sum(index[i]["page_type"] == "article" for i in ids)
