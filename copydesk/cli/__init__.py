"""The `copydesk` command: everything that is not a crawl (demo, benchmarks, corpus tools).

Each subcommand lives in its own module of this package and registers itself on :data:`cli`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from copydesk import __version__
from storage.corpus import default_db_path

DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Corpus file (default: $COPYDESK_DB or ./corpus.db).",
)


def resolve_db(db_path: Path | None) -> Path:
    """The corpus path from ``--db``, ``$COPYDESK_DB`` or the default."""
    return default_db_path(db_path)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="copydesk")
def cli() -> None:
    """Copydesk: collect news articles into a clean, deduplicated SQLite corpus.

    Crawls run with Scrapy (`scrapy crawl news -a url=...`); this command holds the rest:
    the offline demo, benchmarks and corpus tools.
    """


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="copydesk")


# Subcommand modules register themselves on `cli` when imported.
from copydesk.cli import (  # noqa: E402, F401
    bench,
    corpus,
    dedup,
    demo,
    export,
    furniture,
    reextract,
    serve,
    writer,
)
