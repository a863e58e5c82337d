"""`copydesk info`: what a corpus holds."""

from __future__ import annotations

from pathlib import Path

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.handoff import HandoffError, connect
from copydesk.handoff import status as handoff_status
from storage.clusters import deferred_count
from storage.corpus import Corpus, CorpusError


@cli.command()
@DB_OPTION
@click.option(
    "--redis",
    "redis_url",
    default=None,
    help="Also show the hand-off of a multi-machine crawl: stream length, pending entries, "
    "the writer's last commit, each shard's last message.",
)
def info(db_path: Path | None, redis_url: str | None) -> None:
    """Print counts of the corpus and its last crawl as JSON."""
    try:
        with Corpus(resolve_db(db_path), create=False) as corpus:
            report = {
                "corpus": str(corpus.path),
                **corpus.summary(),
                "dedup_deferred": deferred_count(corpus),
                "last_crawl": corpus.last_crawl(),
            }
        if redis_url:
            report["handoff"] = handoff_status(connect(redis_url))
    except (CorpusError, HandoffError) as exc:
        raise click.ClickException(str(exc)) from exc
    echo_json(report)


@cli.command("extract")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=None, help="The page's URL (helps resolve links and metadata).")
def extract_command(path: Path, url: str | None) -> None:
    """Print the extraction of one saved HTML page (.html or .html.gz) as JSON.

    Shows what Copydesk would store for the page, or why it would skip it.
    """
    from copydesk.maintenance import extract_file

    echo_json(extract_file(path, url=url))
