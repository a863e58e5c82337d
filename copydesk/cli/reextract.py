"""`copydesk reextract`: run the current extractor again on the raw HTML stored in the corpus."""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.cli.furniture import check_params, load_models, strip_text
from copydesk.dedup import DedupParams, ParamsMismatch, fingerprint
from copydesk.extract import EXTRACTOR_VERSION, ExtractOptions
from copydesk.extraction.sitefurniture import SiteFurniture
from copydesk.work import PagePool, PageResult, PageTask
from storage.corpus import Corpus, CorpusError
from storage.pages import (
    ExtractionUpdate,
    StoredPage,
    count_pages,
    stored_pages,
    update_extractions,
)

__all__ = ["Reextraction", "reextract"]

logger = logging.getLogger(__name__)

#: Pages per task sent to a worker, and pages per write transaction.
CHUNK = 8
WRITE_BATCH = 200
#: Rejected pages listed by name in the result.
REJECTED_LISTED = 10


@dataclass
class Reextraction:
    """What a re-extraction did."""

    pages: int = 0
    updated: int = 0  # text or metadata changed
    unchanged: int = 0  # same extraction (the row's extractor version is still brought up to date)
    now_rejected: int = 0  # the current extractor refuses the page; the row is kept as it was
    furniture_stripped: int = 0
    changed_assignments: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # the first few

    def summary(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "now_rejected": self.now_rejected,
            "furniture_stripped": self.furniture_stripped,
            "changed_assignments": self.changed_assignments,
        }


def _chunks(batches: Iterator[list[StoredPage]]) -> Iterator[list[StoredPage]]:
    for batch in batches:
        for start in range(0, len(batch), CHUNK):
            yield batch[start : start + CHUNK]


def reextract(
    corpus: Corpus,
    *,
    stale_only: bool = True,
    site: str | None = None,
    workers: int = 0,
    options: ExtractOptions | None = None,
    params: DedupParams | None = None,
    furniture: bool = True,
    progress: bool = False,
) -> Reextraction:
    """Re-extract stored pages, write what changed, then rebuild the wire-copy clusters.

    Learned site furniture is cut from the new texts unless ``furniture`` is False. Pages the
    extractor now rejects keep their row (and old version), and are counted and listed.
    Raises ParamsMismatch when the stored fingerprints were made with other dedup parameters.
    """
    from tqdm import tqdm

    from copydesk.cli.dedup import recluster

    options = options or ExtractOptions()
    params = params or DedupParams()
    check_params(corpus, params)
    models = load_models(corpus, site) if furniture else {}
    stale_for = EXTRACTOR_VERSION if stale_only else None
    done = Reextraction(pages=count_pages(corpus, stale_for=stale_for, site=site))
    pending: list[ExtractionUpdate] = []
    pool = PagePool(options, params, workers=workers)
    window: deque[tuple[list[StoredPage], Future[list[PageResult]]]] = deque()
    limit = 2 * max(workers, 1) + 1
    try:
        with tqdm(total=done.pages, unit="page", desc="reextract", disable=not progress) as bar:

            def finish_one() -> None:
                pages, future = window.popleft()
                for page, result in zip(pages, future.result(), strict=True):
                    update = _update(page, result, models.get(page.site), params, done)
                    if update is not None:
                        pending.append(update)
                bar.update(len(pages))
                if len(pending) >= WRITE_BATCH:
                    update_extractions(corpus, pending)
                    pending.clear()

            pages_iter = _chunks(stored_pages(corpus, stale_for=stale_for, site=site))
            for chunk in pages_iter:
                tasks = [PageTask(p.url, p.html, p.encoding) for p in chunk]
                window.append((chunk, pool.submit(tasks)))
                if len(window) >= limit:
                    finish_one()
            while window:
                finish_one()
            update_extractions(corpus, pending)
    finally:
        pool.close()
    if done.updated or done.furniture_stripped:
        done.changed_assignments = int(recluster(corpus, params)["changed"])
    return done


def _update(
    page: StoredPage,
    result: PageResult,
    model: SiteFurniture | None,
    params: DedupParams,
    done: Reextraction,
) -> ExtractionUpdate | None:
    """The row update for one re-extracted page (None when the row stays as it is)."""
    extraction = result.extraction
    if extraction is None:
        done.now_rejected += 1
        if len(done.rejected) < REJECTED_LISTED:
            done.rejected.append({"id": page.article_id, "url": page.url, "reason": result.reason})
        logger.debug("Now rejected: %s (%s %s)", page.url, result.reason, result.detail)
        return None
    text, text_hash, fp = extraction["text"], result.text_hash, result.fingerprint
    stripped = strip_text(text, model) if model is not None else None
    if stripped is not None:
        done.furniture_stripped += 1
        new = fingerprint(stripped, params, title=extraction["title"])
        text, text_hash, fp = stripped, new.text_hash, new.to_bytes()
    assert text_hash is not None
    update = ExtractionUpdate(
        article_id=page.article_id,
        text=text,
        text_hash=text_hash,
        extractor_version=extraction["extractor_version"],
        title=extraction["title"],
        published=extraction["published"],
        authors=list(extraction["authors"]),
        language=extraction["language"],
        site_name=extraction["site_name"],
        description=extraction["description"],
        tags=list(extraction["tags"]),
        image=extraction["image"],
        fingerprint=fp,
    )
    if update.fields() != page.current:
        done.updated += 1
        return update
    done.unchanged += 1
    return update if page.extractor_version != update.extractor_version else None


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
    default=400,
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
