"""`copydesk serve`: browse the corpus read-only in datasette, with Copydesk's plugin."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import click

from copydesk.cli import DB_OPTION, cli, resolve_db
from storage.corpus import Corpus, CorpusError

__all__ = ["BROWSE_SETTINGS", "make_datasette"]

#: Datasette settings that keep pages fast on a big corpus: no facet suggestions (each one
#: counts a column of every row) and table cells cut to a readable length (the article pages
#: show whole texts).
BROWSE_SETTINGS: dict[str, Any] = {"suggest_facets": False, "truncate_cells_html": 240}


def make_datasette(db: Path, settings: dict[str, Any] | None = None) -> Any:
    """A Datasette for the corpus at ``db`` with Copydesk's metadata, pages and charts.

    The file is opened the way datasette opens any mutable database: read-only connections
    (``mode=ro``), so it reads a consistent snapshot while a crawl writes (WAL) and never
    blocks the crawl.
    """
    from datasette.app import Datasette

    from copydesk.datasette import register

    register()
    return Datasette([str(db)], settings={**BROWSE_SETTINGS, **(settings or {})})


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@cli.command()
@DB_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
def serve(db_path: Path | None, host: str, port: int) -> None:
    """Browse and search the corpus in datasette (read-only), with wire-story pages and charts.

    Equivalent to `datasette corpus.db --plugins-dir copydesk/datasette/plugins` run from the
    repository. The corpus is migrated first (a short write), then only read: a crawl can keep
    writing while you browse.
    """
    import uvicorn

    db = resolve_db(db_path)
    try:
        with Corpus(db, create=False):
            pass  # applies pending migrations (the articles_view the metadata refers to)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    ds = make_datasette(db)
    if port == 0:
        port = free_port(host)
    click.echo(f"Serving {db} at http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
