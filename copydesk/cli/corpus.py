"""`copydesk info`: what a corpus holds."""

from __future__ import annotations

from pathlib import Path

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from storage.corpus import Corpus, CorpusError


@cli.command()
@DB_OPTION
def info(db_path: Path | None) -> None:
    """Print counts of the corpus and its last crawl as JSON."""
    try:
        with Corpus(resolve_db(db_path), create=False) as corpus:
            echo_json(
                {"corpus": str(corpus.path), **corpus.summary(), "last_crawl": corpus.last_crawl()}
            )
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("extract")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=None, help="The page's URL (helps resolve links and metadata).")
def extract_command(path: Path, url: str | None) -> None:
    """Print the extraction of one saved HTML page (.html or .html.gz) as JSON.

    Shows what Copydesk would store for the page, or why it would skip it.
    """
    from copydesk.maintenance import extract_file

    echo_json(extract_file(path, url=url))
