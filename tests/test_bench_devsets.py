"""Tests of the dev-set builder: a project's test data in, a WCXB-layout directory out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from copydesk.bench.devsets import BUILDERS, build, clean_answer, corrections, half_of
from copydesk.bench.extract import run

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
FETCHED = Path(os.environ.get("COPYDESK_FETCHED", Path(__file__).resolve().parents[2] / "fetched"))


def _newspaper_layout(root: Path) -> None:
    data = root / "AndyTheFactory+newspaper4k" / "tests" / "data"
    for sub in ("html", "metadata", "txt"):
        (data / sub).mkdir(parents=True)
    html = (FIXTURES / "news_article.html").read_text(encoding="utf-8")
    (data / "html" / "gazette.html").write_text(html, encoding="utf-8")
    meta = {
        "url": "https://gazette.example/a",
        "title": "River council approves new flood barrier",
        "authors": ["Jane Porter"],
        "publish_date": "2024-03-05T09:00:00+01:00",
        "language": "en",
    }
    (data / "metadata" / "gazette.json").write_text(json.dumps(meta), encoding="utf-8")
    (data / "txt" / "gazette.txt").write_text("The council voted.", encoding="utf-8")


def test_build_writes_the_wcxb_layout(tmp_path: Path) -> None:
    _newspaper_layout(tmp_path / "fetched")
    out = tmp_path / "devset"
    summary = build("newspaper4k", tmp_path / "fetched", out)
    assert summary["pages"] == 1
    truth = json.loads((out / "ground-truth" / "gazette.json").read_text(encoding="utf-8"))
    assert truth["url"] == "https://gazette.example/a"
    gt = truth["ground_truth"]
    assert gt["publish_date"] == "2024-03-05"
    assert gt["authors"] == ["Jane Porter"]
    assert gt["language"] == "en"
    assert gt["main_content"] == "The council voted."
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert index["gazette"]["split"] == half_of("https://gazette.example/a")
    scores = run(out, beside=True)
    assert scores["articles"] == 1
    assert scores["trafilatura"]["articles"] == 1  # trafilatura scored in the same run
    assert scores["date_accuracy"] == 1.0
    assert scores["title_exact"] == 1.0


def test_halves_split_by_site() -> None:
    assert half_of("https://a.example/1") == half_of("https://www.a.example/2")
    halves = {half_of(f"https://site{i}.example/") for i in range(20)}
    assert halves == {"tune", "report"}


def test_answers_lose_invisible_characters_and_extra_spaces() -> None:
    assert clean_answer("Genesenen\u00ad\u00adnachweise ") == "Genesenennachweise"
    assert clean_answer("\ufeffJane\u200b  Porter\u200c\u200d\n") == "Jane Porter"
    # the same letter written precomposed or as base and nukta reads the same
    assert clean_answer("\u09a1\u09bc") == clean_answer("\u09dc")


def test_build_cleans_the_asserted_answers(tmp_path: Path) -> None:
    _newspaper_layout(tmp_path / "fetched")
    meta_path = tmp_path / "fetched/AndyTheFactory+newspaper4k/tests/data/metadata/gazette.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["title"] = "River coun\u00adcil approves\n new flood barrier\u200b"
    meta["authors"] = ["\ufeffJane Porter", "\u200b"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    build("newspaper4k", tmp_path / "fetched", tmp_path / "out")
    gt = json.loads((tmp_path / "out/ground-truth/gazette.json").read_text(encoding="utf-8"))
    assert gt["ground_truth"]["title"] == "River council approves new flood barrier"
    assert gt["ground_truth"]["authors"] == ["Jane Porter"]


def test_corrections_name_known_sets() -> None:
    assert set(corrections()) <= set(BUILDERS)


@pytest.mark.skipif(
    not (FETCHED / "AndyTheFactory+newspaper4k").is_dir(), reason="newspaper4k not fetched"
)
def test_reviewed_corrections_apply_to_the_fetched_pages(tmp_path: Path) -> None:
    summary = build("newspaper4k", FETCHED, tmp_path / "newspaper4k")
    assert summary["corrections"] == sum(
        len([k for k in page if k != "note"]) for page in corrections()["newspaper4k"].values()
    )
