"""`copydesk bench browse` end to end on a small corpus: every page answers, figures printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from copydesk.cli import cli
from storage.corpus import Corpus
from storage.summaries import summary_problems

pytestmark = pytest.mark.slow


def test_bench_browse_builds_serves_and_times_every_page(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    args = ["bench", "browse", "--articles", "2000", "--db", str(db), "--repeat", "2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["articles"] == 2000 and figures["built_seconds"] is not None
    assert figures["failures"] == 0
    assert {"front", "article", "wire_story", "site", "search_best", "query_wire_stories"} <= set(
        figures["pages"]
    )
    for name, page in figures["pages"].items():
        assert page["status"] == [200], name
        assert page["p50_ms"] <= page["p95_ms"], name
    assert figures["writer_while_serving"]["batches"] >= 1
    with Corpus(db, create=False) as corpus:  # the writer's articles are gone again
        assert corpus.count_articles() == 2000
        assert summary_problems(corpus.db.conn) == []
    again = CliRunner().invoke(cli, [*args[:-2], "--repeat", "1"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["built_seconds"] is None  # reused


def test_bench_browse_builds_again_a_corpus_a_killed_run_left_half_built(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    with Corpus(db) as corpus:  # what a build killed after its first batch leaves
        corpus.set_meta(Corpus.BULK_LOAD_MARK, "2026-12-03T08:00:00+00:00")
    args = ["bench", "browse", "--articles", "500", "--db", str(db), "--repeat", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "left half-built" in result.stderr
    figures = json.loads(result.stdout)
    assert figures["articles"] == 500 and figures["built_seconds"] is not None
    with Corpus(db, create=False) as corpus:
        assert corpus.get_meta(Corpus.BULK_LOAD_MARK) is None
        assert summary_problems(corpus.db.conn) == []
