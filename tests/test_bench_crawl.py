"""`copydesk bench crawl` on a tiny generated web: every figure is there and consistent."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from copydesk.cli import cli

KEYS = (
    "raw_fetch_pages_per_s",
    "extract_1proc_pages_per_s",
    "extract_nproc_pages_per_s",
    "pipeline_pages_per_s",
    "cpu_limit_pages_per_s",
    "share_of_cpu_limit",
)


@pytest.mark.slow
def test_bench_crawl_prints_every_figure() -> None:
    result = CliRunner().invoke(
        cli, ["bench", "crawl", "--pages", "40", "--rounds", "1", "--extract-sample", "12"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in KEYS:
        assert data[key] > 0, key
    assert data["pages"] == 40
    assert data["pipeline_articles_stored"] == 40
    assert 0 <= data["pipeline_duplicates"] <= data["wire_copies_planted"]
    limit = data["cpu_limit"]
    total = (
        limit["fetch_cpu_ms_per_page"]
        + limit["extract_cpu_ms_per_page"]
        + limit["dedup_store_cpu_ms_per_page"]
    )
    assert abs(total - limit["total_cpu_ms_per_page"]) < 0.01
    expected = data["cores"] * 1000 / limit["total_cpu_ms_per_page"]
    assert abs(data["cpu_limit_pages_per_s"] - expected) <= 0.1
    share = data["pipeline_pages_per_s"] / data["cpu_limit_pages_per_s"]
    assert abs(data["share_of_cpu_limit"] - share) < 0.01
    # The same limit with extraction timed in one process while the other cores idle.
    one = (
        limit["fetch_cpu_ms_per_page"]
        + limit["extract_1proc_cpu_ms_per_page"]
        + limit["dedup_store_cpu_ms_per_page"]
    )
    assert abs(limit["total_1proc_cpu_ms_per_page"] - one) < 0.01
    assert abs(data["cpu_limit_1proc_pages_per_s"] - data["cores"] * 1000 / one) <= 0.1
    share_1proc = data["pipeline_pages_per_s"] / data["cpu_limit_1proc_pages_per_s"]
    assert abs(data["share_of_cpu_limit_1proc"] - share_1proc) < 0.01
    assert len(data["noise"]["share_of_cpu_limit_by_round"]) == 1
    assert len(data["noise"]["share_of_cpu_limit_1proc_by_round"]) == 1
    peak = data["peak_rss_mb"]
    for role in ("crawl_main", "crawl_worker", "server", "raw_fetch_main"):
        assert peak[role] > 10, role
    assert data["server_cpu_ms_per_page"] >= 0
    # Both are measured; how they compare depends on the machine's load: not asserted here.
    cpu = data["pipeline_cpu_ms_per_page"]
    assert cpu["worker_process_page"] >= 0 and cpu["worker"] >= 0
    assert data["noise"]["pipeline_pages_per_s"]["rounds"]


def test_bench_crawl_rejects_bad_arguments() -> None:
    result = CliRunner().invoke(cli, ["bench", "crawl", "--set", "NOVALUE"])
    assert result.exit_code != 0
    assert "NAME=VALUE" in result.output
