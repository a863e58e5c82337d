"""`copydesk reextract`: run the current extractor again on the raw HTML stored in the corpus."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.dedup import ParamsMismatch
from copydesk.extract import EXTRACTOR_VERSION, ExtractOptions
from copydesk.maintenance import reextract
from crawler import settings as crawl_settings
from storage.corpus import Corpus, CorpusError

logger = logging.getLogger(__name__)


@cli.command("reextract")
@DB_OPTION
@click.option(
    "--stale/--all",
    "stale_only",
    default=True,
    help="Only pages extracted by an older extractor version (default), or every stored page.",
)
@click.option("--site", default=None, help="Only this site (as in the articles' site column).")
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=os.cpu_count() or 1,
    show_default="CPU count",
    help="Worker processes (0: extract in this process).",
)
@click.option(
    "--min-chars",
    type=click.IntRange(min=0),
    default=crawl_settings.COPYDESK_MIN_CHARS,
    show_default=True,
    help="Shortest text kept as an article (as COPYDESK_MIN_CHARS in crawls).",
)
@click.option(
    "--no-furniture",
    is_flag=True,
    help="Do not cut learned site furniture (`copydesk furniture learn`) from the texts.",
)
def reextract_command(
    db_path: Path | None,
    stale_only: bool,
    site: str | None,
    jobs: int,
    min_chars: int,
    no_furniture: bool,
) -> None:
    """Re-apply the current extractor to the raw HTML stored with each article.

    Updates text, metadata, text hash, fingerprint and extractor version of every page whose
    extraction changed, cuts learned site furniture, then rebuilds the wire-copy clusters.
    Pages the current extractor rejects are kept as they are and listed. Prints a JSON summary.
    """
    started = time.monotonic()
    try:
        with Corpus(resolve_db(db_path), create=False) as corpus:
            done = reextract(
                corpus,
                stale_only=stale_only,
                site=site,
                workers=jobs,
                options=ExtractOptions(min_chars=min_chars),
                furniture=not no_furniture,
                progress=True,
            )
    except ParamsMismatch as exc:
        raise click.ClickException(str(exc)) from exc
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    if done.now_rejected:
        click.echo(
            f"{done.now_rejected} stored pages are now rejected by extractor "
            f"{EXTRACTOR_VERSION}; their rows are kept unchanged. First ones:",
            err=True,
        )
        for row in done.rejected[:5]:
            click.echo(f"  {row['id']} {row['url']} ({row['reason']})", err=True)
    echo_json(
        {
            **done.summary(),
            "extractor_version": EXTRACTOR_VERSION,
            "seconds": round(time.monotonic() - started, 2),
        }
    )
