"""`copydesk export`: write the corpus out as seed-format text files, JSON Lines or CSV."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from copydesk.cli import DB_OPTION, cli, resolve_db
from storage.export import (
    FORMATS,
    ExportError,
    ExportOptionError,
    ExportOptions,
    count_articles,
    export,
)


@cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@DB_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="txt",
    show_default=True,
    help="txt: one NNN_<hash>.txt file per article; jsonl/csv: one articles.jsonl/.csv file.",
)
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE.")
@click.option("--until", metavar="DATE", help="Only articles published on or before DATE.")
@click.option("--site", "sites", multiple=True, help="Only this site (repeatable).")
@click.option("--query", help="Only articles matching this full-text search (FTS5 syntax).")
@click.option(
    "--include-duplicates",
    is_flag=True,
    help="Also export copies of other articles (default: canonical articles only).",
)
def export_command(
    directory: Path,
    db_path: Path | None,
    fmt: str,
    since: str | None,
    until: str | None,
    sites: tuple[str, ...],
    query: str | None,
    include_duplicates: bool,
) -> None:
    """Export articles into DIRECTORY, like the reference articles, with a manifest.json.

    Text files are named NNN_<16 hex>.txt: a running number (articles in the order they were
    stored) and the start of the SHA-256 of the canonical URL; each holds the title, a blank
    line and the paragraphs separated by blank lines. Exporting the same corpus again gives
    byte-identical files; files a previous export wrote that are no longer selected are removed,
    and files the export did not write are never touched.
    """
    db = resolve_db(db_path)
    try:
        options = ExportOptions(
            format=fmt,  # type: ignore[arg-type]
            since=since,
            until=until,
            sites=sites,
            query=query,
            include_duplicates=include_duplicates,
        )
        total = count_articles(db, options)
        with tqdm(total=total, unit="article", desc="Exporting", disable=None) as bar:
            result = export(db, directory, options, progress=bar.update)
    except ExportOptionError as exc:
        raise click.UsageError(str(exc)) from exc
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Exported {result.articles} articles to {directory}: {len(result.written)} files "
        f"written, {len(result.unchanged)} unchanged, {len(result.removed)} stale removed."
    )
