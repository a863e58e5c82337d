"""`copydesk recluster`: rebuild wire-copy clusters from the fingerprints stored in a corpus."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.dedup import DedupParams, ParamsMismatch
from copydesk.dedup.order import WindowError, window_us
from copydesk.maintenance import recluster, refingerprint
from storage.clusters import (
    cluster_problems,
    cluster_summary,
    deferred_count,
    rebuild_summaries,
    stale_summaries,
)
from storage.corpus import Corpus, CorpusError

logger = logging.getLogger(__name__)


@cli.command("recluster")
@DB_OPTION
@click.option(
    "--rebuild",
    is_flag=True,
    help="Re-fingerprint every article from its stored text with the current parameters first "
    "(needed after a change of dedup parameters).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Only check cluster consistency and the browse summaries; change nothing.",
)
@click.option(
    "--rebuild-summaries",
    "rebuild_summaries_only",
    is_flag=True,
    help="Only refill the browse summaries (site_days, wire_summaries) from the articles.",
)
@click.option(
    "--window",
    default=None,
    metavar="DURATION",
    help="Slide a dedup index of this publication window (60d, 8w; as COPYDESK_DEDUP_WINDOW) "
    "along the corpus instead of holding every article: memory follows the window. Places "
    "the articles stored with dedup deferred.",
)
@click.option(
    "--jobs",
    type=int,
    default=os.cpu_count() or 1,
    show_default="CPU count",
    help="Worker processes for --rebuild.",
)
def recluster_command(
    db_path: Path | None,
    rebuild: bool,
    check: bool,
    rebuild_summaries_only: bool,
    window: str | None,
    jobs: int,
) -> None:
    """Rebuild all wire-copy clusters in publication order from the stored fingerprints.

    The earliest published article of each cluster becomes its canonical; every copy is
    verified against it. The answer does not depend on the order the crawl met the pages in.
    With --window, the index slides along publication time (memory follows the window) and
    the articles stored with dedup deferred are placed too.
    Prints a JSON summary (clusters, copies, changed rows). With --check, lists rows that break
    the cluster invariants or summary rows that disagree with the articles, and fails if there
    are any.
    """
    params = DedupParams()
    try:
        window_micros = window_us(window)
    except WindowError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from exc
    try:
        with Corpus(resolve_db(db_path), create=False) as corpus:
            if rebuild_summaries_only:
                rebuild_summaries(corpus)
                echo_json({"summaries_rebuilt": True, **cluster_summary(corpus)})
                return
            if check:
                problems = cluster_problems(corpus)
                if problems:
                    lines = "\n".join(
                        f"  {p.id} -> {p.duplicate_of}: {p.problem}" for p in problems
                    )
                    raise click.ClickException(
                        f"{len(problems)} inconsistent rows:\n{lines}\n"
                        "run `copydesk recluster` to rebuild the clusters"
                    )
                stale = stale_summaries(corpus)
                if stale:
                    lines = "\n".join(
                        f"  {s.table} {s.key}: stored {s.stored}, articles say {s.expected}"
                        for s in stale[:20]
                    )
                    raise click.ClickException(
                        f"{len(stale)} summary rows disagree with the articles:\n{lines}\n"
                        "run `copydesk recluster --rebuild-summaries` to refill them"
                    )
                echo_json(
                    {
                        "problems": 0,
                        "summary_problems": 0,
                        **cluster_summary(corpus),
                        "dedup_deferred": deferred_count(corpus),
                    }
                )
                return
            refingerprinted = refingerprint(corpus, params, jobs, progress=True) if rebuild else 0
            result = recluster(corpus, params, window_micros)
            echo_json({"refingerprinted": refingerprinted, **result})
    except ParamsMismatch as exc:
        raise click.ClickException(str(exc)) from exc
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
