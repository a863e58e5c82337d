"""Tests of the block classifier: features, the tree model, training, the site split."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from copydesk.bench.split import site_of, site_split
from copydesk.bench.train_blocks import block_labels, fit
from copydesk.cli import cli
from copydesk.extract import ExtractOptions, block_table, extract, filter_blocks
from copydesk.extraction.blocks import Block
from copydesk.extraction.features import FEATURE_NAMES, block_features, dom_index
from copydesk.extraction.model import BlockModel, ModelError, shipped_model

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
ARTICLE_URL = "https://gazette.example/news/flood-barrier"


@pytest.fixture(scope="module")
def article_html() -> str:
    return (FIXTURES / "news_article.html").read_text(encoding="utf-8")


def test_shipped_model_matches_the_features() -> None:
    model = shipped_model()
    assert model.features == FEATURE_NAMES  # retrain after changing the features
    assert 0.0 < model.keep_threshold < 1.0
    assert model.info["trained_on"] in {"train", "all"}


def test_fit_learns_a_rule_and_is_deterministic() -> None:
    rng = np.random.default_rng(7)
    rows = rng.random((2000, len(FEATURE_NAMES)))
    labels = ((rows[:, 0] > 0.6) | (rows[:, 3] < 0.1)).astype(np.float64)
    weights = np.ones(len(labels))
    model = fit(rows, labels, weights, trees=40, depth=3)
    again = fit(rows, labels, weights, trees=40, depth=3)
    assert np.array_equal(model.leaf, again.leaf)
    test = rng.random((500, len(FEATURE_NAMES)))
    truth = (test[:, 0] > 0.6) | (test[:, 3] < 0.1)
    assert ((model.probability(test) >= 0.5) == truth).mean() > 0.95


def test_model_round_trips_through_json(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = rng.random((300, len(FEATURE_NAMES)))
    model = fit(rows, (rows[:, 2] > 0.5).astype(np.float64), np.ones(300), trees=5, depth=2)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = BlockModel.load(path)
    assert np.allclose(loaded.probability(rows), model.probability(rows), atol=1e-5)
    path.write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(ModelError, match="format"):
        BlockModel.load(path)


def test_block_labels_measure_overlap_with_the_truth() -> None:
    truth = "The council voted on Tuesday to build a barrier along the river."
    labels = block_labels(
        [
            "The council voted on Tuesday to build a barrier",
            "Sign up for our newsletter today please",
            "The council",
            "Photo",
        ],
        truth,
    )
    assert labels.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_site_split_keeps_a_site_on_one_side() -> None:
    assert site_of("https://WWW.Example.com/a?b=1") == "example.com"
    assert site_split("https://www.example.com/a") == site_split("http://example.com/b/c")
    sides = [site_split(f"https://site{i}.example/") for i in range(2000)]
    assert 0.15 < sides.count("heldout") / len(sides) < 0.25


def test_features_see_dom_context() -> None:
    html = (
        "<html><body><article><p>The council voted on Tuesday to build a barrier.</p></article>"
        "<div class='comments'><p>Great article, thanks for sharing it with us.</p></div>"
        "</body></html>"
    )
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html)
    blocks = [
        Block("p", "The council voted on Tuesday to build a barrier."),
        Block("p", "Great article, thanks for sharing it with us."),
    ]
    rows = block_features(blocks, [0.0, 0.0], {"the"}, None, "Barrier", dom_index(tree))
    column = {name: i for i, name in enumerate(FEATURE_NAMES)}
    assert rows.shape == (2, len(FEATURE_NAMES))
    assert rows[:, column["dom_found"]].tolist() == [1.0, 1.0]
    assert rows[:, column["in_article"]].tolist() == [1.0, 0.0]
    assert rows[:, column["class_comment"]].tolist() == [0.0, 1.0]


def test_filter_blocks_only_drops_rejected_texts() -> None:
    chosen = [Block("p", "Kept paragraph."), Block("p", "Rejected one!"), Block("p", "Unscored")]
    scored = [Block("p", "kept paragraph"), Block("p", "Rejected one")]
    kept = filter_blocks(chosen, scored, np.array([0.9, 0.1]), 0.5)
    assert [b.text for b in kept] == ["Kept paragraph.", "Unscored"]


def test_block_table_and_classifier_on_a_page(article_html: str) -> None:
    blocks, rows, chosen = block_table(article_html, ARTICLE_URL)
    assert rows.shape == (len(blocks), len(FEATURE_NAMES))
    assert chosen
    with_model = extract(article_html, url=ARTICLE_URL)
    without = extract(article_html, url=ARTICLE_URL, options=ExtractOptions(classify_blocks=False))
    assert with_model.paragraphs[0].startswith("The river council voted on Tuesday")
    assert set(with_model.paragraphs) <= set(without.paragraphs)


def test_train_blocks_command(tmp_path: Path, article_html: str) -> None:
    data = tmp_path / "data"
    (data / "html").mkdir(parents=True)
    (data / "ground-truth").mkdir()
    truth = extract(article_html, url=ARTICLE_URL).text
    for i in range(6):
        page_id = f"{i:04d}"
        (data / "html" / f"{page_id}.html.gz").write_bytes(
            gzip.compress(article_html.encode("utf-8"))
        )
        record = {
            "url": f"https://site{i}.example/news/{i}",
            "ground_truth": {"main_content": truth},
            "_internal": {"page_type": {"primary": "article"}},
        }
        (data / "ground-truth" / f"{page_id}.json").write_text(json.dumps(record))
    out = tmp_path / "model.json"
    result = CliRunner().invoke(
        cli, ["bench", "train-blocks", str(data), "--out", str(out), "--use", "all"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pages"] == 6
    assert BlockModel.load(out).features == FEATURE_NAMES


def test_filter_blocks_keeps_attribution_lines() -> None:
    chosen = [Block("p", "The Associated Press contributed to this report.")]
    assert filter_blocks(chosen, chosen, np.array([0.01]), 0.5) == chosen


def test_bench_reports_the_heldout_sites_apart(tmp_path: Path, article_html: str) -> None:
    from copydesk.bench.extract import run

    data = tmp_path / "data"
    (data / "html").mkdir(parents=True)
    (data / "ground-truth").mkdir()
    urls = [f"https://site{i}.example/news/{i}" for i in range(12)]
    for i, url in enumerate(urls):
        (data / "html" / f"{i:04d}.html.gz").write_bytes(gzip.compress(article_html.encode()))
        record = {
            "url": url,
            "ground_truth": {"main_content": "The river council voted on Tuesday evening."},
            "_internal": {"page_type": {"primary": "article"}},
        }
        (data / "ground-truth" / f"{i:04d}.json").write_text(json.dumps(record))
    scores = run(data)
    heldout = sum(site_split(url) == "heldout" for url in urls)
    assert scores["pages"] == 12
    assert heldout and scores["heldout"]["pages"] == heldout
    assert set(scores["heldout"]) >= {"token_f1", "pages_without_leak", "median_ms"}
