"""`copydesk bench ...`: benchmarks that print their figures as one JSON object."""

from __future__ import annotations

from pathlib import Path

import click

from copydesk.cli import cli, echo_json


@cli.group()
def bench() -> None:
    """Measure quality and speed; each subcommand prints one JSON object."""


@bench.command("dedup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--baseline",
    is_flag=True,
    help="Score plain datasketch MinHashLSH (Jaccard >= 0.8 on word 5-grams) instead.",
)
def bench_dedup(path: Path, baseline: bool) -> None:
    """Cluster a labelled JSONL file of wire copies and score the clusters.

    PATH holds one JSON document a line: {id, title, text, cluster, kind, ops}. Prints
    pairwise precision, recall and F1, the adjusted Rand index, false-positive pairs per
    negative kind, recall per edit op and docs per second.
    """
    from copydesk.bench import dedup

    try:
        echo_json(dedup.run(path, baseline=baseline))
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@bench.command("dedup-scale")
@click.option(
    "--sizes",
    default="100000,1000000",
    show_default=True,
    help="Comma-separated index sizes to measure.",
)
def bench_dedup_scale(sizes: str) -> None:
    """Insert and query synthetic articles at scale: time, memory and rebuild per article."""
    from copydesk.bench import dedup_scale

    try:
        numbers = tuple(int(s) for s in sizes.split(",") if s.strip())
    except ValueError as exc:
        raise click.BadParameter(f"not a list of integers: {sizes}") from exc
    echo_json(dedup_scale.run(sizes=numbers))


@bench.command("extract")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--baseline", is_flag=True, help="Score plain trafilatura.extract instead.")
@click.option("--limit", type=int, default=None, help="Only the first N pages.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Worker processes.")
def bench_extract(directory: Path, baseline: bool, limit: int | None, jobs: int) -> None:
    """Score extraction on a directory laid out like WCXB (html/ID.html.gz, ground-truth/ID.json).

    Prints token F1 (scrapinghub article-extraction-benchmark definition), bag-of-words F1,
    snippet checks, title/author/date accuracy, milliseconds per page and how well the
    article gate separates articles from other pages.
    """
    from copydesk.bench import extract

    try:
        echo_json(extract.run(directory, baseline=baseline, limit=limit, jobs=jobs))
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
