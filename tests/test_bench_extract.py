"""Tests of the extraction benchmark's scorer, by hand on tiny examples."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from copydesk.bench.extract import bow_f1, run, shingle_tp_fp_fn, token_scores
from copydesk.maintenance import extract_file

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def test_shingles_by_hand() -> None:
    # true: a b c d e -> shingles abcd, bcde; pred: a b c d x -> abcd, bcdx
    tp, fp, fn = shingle_tp_fp_fn("a b c d e", "a b c d x")
    assert (tp, fp, fn) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    # repeated shingles count as a multiset; punctuation is not a token
    assert shingle_tp_fp_fn("a, b. c d", "a b c d a b c d") == pytest.approx((0.2, 0.8, 0.0))
    # fewer than 4 tokens: one short shingle
    assert shingle_tp_fp_fn("a b", "a b") == pytest.approx((1.0, 0.0, 0.0))


def test_token_scores_average_per_page() -> None:
    pages = [
        ("a b c d e", "a b c d x"),  # P = R = 1/2
        ("a b c d", "a b c d"),  # P = R = 1
        ("a b c d", ""),  # no output: R = 0, left out of precision
    ]
    scores = token_scores(pages)
    assert scores["token_precision"] == pytest.approx(0.75)
    assert scores["token_recall"] == pytest.approx(0.5)
    assert scores["token_f1"] == pytest.approx(2 * 0.75 * 0.5 / 1.25)


def test_bow_f1() -> None:
    assert bow_f1("The cat sat", "the cat") == pytest.approx(0.8)
    assert bow_f1("", "") == 1.0
    assert bow_f1("a", "") == 0.0


def _write_page(root: Path, page_id: str, html: str, page_type: str, truth: dict) -> None:
    (root / "html").mkdir(parents=True, exist_ok=True)
    (root / "ground-truth").mkdir(parents=True, exist_ok=True)
    (root / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode("utf-8")))
    data = {
        "url": truth.pop("url"),
        "_internal": {"page_type": {"primary": page_type}},
        "ground_truth": truth,
    }
    (root / "ground-truth" / f"{page_id}.json").write_text(json.dumps(data), encoding="utf-8")


def _write_article(root: Path, **truth: object) -> None:
    """The fixture news article as page 0001, with its true headline and date and ``truth``."""
    article = (FIXTURES / "news_article.html").read_text(encoding="utf-8")
    fields = {
        "url": "https://gazette.example/a",
        "title": "River council approves new flood barrier",
        "publish_date": "2024-03-05",
    }
    _write_page(root, "0001", article, "article", {**fields, **truth})


def test_run_on_a_tiny_directory(tmp_path: Path) -> None:
    body = extract_file(FIXTURES / "news_article.html", "https://gazette.example/a")["text"]
    _write_article(
        tmp_path,
        main_content=body,
        author="Jane Porter",
        **{
            "with": ["voted on Tuesday evening"],
            "without": ["Privacy policy", "All rights reserved"],
        },
    )
    product = (FIXTURES / "product_page.html").read_text(encoding="utf-8")
    _write_page(tmp_path, "0002", product, "product", {"url": "https://shop.example/b"})
    result = run(tmp_path)
    assert result["pages"] == 2
    assert result["articles"] == 1
    assert result["token_f1"] == pytest.approx(1.0)
    assert result["with_found"] == 1.0
    assert result["pages_without_leak"] == 1.0
    assert result["title_accuracy"] == result["author_accuracy"] == result["date_accuracy"] == 1.0
    assert result["article_gate_precision"] == result["article_gate_recall"] == 1.0
    baseline = run(tmp_path, baseline=True)
    assert baseline["article_gate_precision"] == 0.5  # plain trafilatura keeps the product page
    assert baseline["without_leaked"] == 0.5  # and the copyright line
    assert "baseline_median_ms" not in result
    paired = run(tmp_path, compare_speed=True)
    assert paired["token_f1"] == result["token_f1"]
    assert paired["baseline_median_ms"] >= 0
    assert paired["speed_ratio"] == pytest.approx(
        paired["median_ms"] / paired["baseline_median_ms"]
    )
    assert paired["median_page_ratio"] > 0


def test_extract_file_reads_gzip(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress((FIXTURES / "product_page.html").read_bytes()))
    assert extract_file(path) == {
        "article": False,
        "reason": "not_article_type",
        "detail": "og:type product",
    }


def test_misses_lists_each_wrong_field(tmp_path: Path) -> None:
    _write_article(tmp_path, main_content="", author="Someone Else")
    misses = tmp_path / "misses.jsonl"
    run(tmp_path, beside=True, misses=misses)
    rows = [json.loads(line) for line in misses.read_text(encoding="utf-8").splitlines()]
    ours = [r for r in rows if r["system"] == "copydesk"]
    assert [(r["field"], r["true"], r["got"]) for r in ours] == [
        ("author", "Someone Else", ["Jane Porter"])
    ]
    assert ours[0]["page_id"] == "0001" and ours[0]["accepted"] is True
    assert {r["system"] for r in rows} <= {"copydesk", "trafilatura"}
