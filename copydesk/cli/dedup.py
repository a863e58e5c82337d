"""`copydesk recluster`: rebuild wire-copy clusters from the fingerprints stored in a corpus."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.dedup import Deduper, DedupParams, ParamsMismatch, fingerprint
from storage.clusters import (
    PARAMS_KEY,
    apply_assignments,
    article_texts,
    cluster_problems,
    cluster_summary,
    rebuild_summaries,
    replace_fingerprints,
    stale_summaries,
)
from storage.corpus import Corpus, CorpusError, Reassignment

logger = logging.getLogger(__name__)


def _fingerprint_rows(
    rows: list[tuple[int, str, str | None]], params: DedupParams
) -> list[tuple[int, bytes]]:
    return [(i, fingerprint(text, params, title=title).to_bytes()) for i, text, title in rows]


def refingerprint(
    corpus: Corpus, params: DedupParams, jobs: int = 1, progress: bool = False
) -> int:
    """Re-fingerprint every article from its stored text; replace fingerprints and params."""
    from tqdm import tqdm

    total = corpus.count_articles()
    out: list[tuple[int, bytes]] = []
    batches = article_texts(corpus, batch=200)
    with tqdm(total=total, unit="article", disable=not progress, desc="fingerprint") as bar:
        if jobs <= 1:
            for rows in batches:
                out.extend(_fingerprint_rows(rows, params))
                bar.update(len(rows))
        else:
            ctx = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
                results: Iterator[list[tuple[int, bytes]]] = pool.map(
                    _fingerprint_rows, batches, _repeat(params)
                )
                for done in results:
                    out.extend(done)
                    bar.update(len(done))
    replace_fingerprints(corpus, out, params.to_json())
    return len(out)


def _repeat(params: DedupParams) -> Iterator[DedupParams]:
    while True:
        yield params


def recluster(corpus: Corpus, params: DedupParams) -> dict[str, Any]:
    """Rebuild every cluster in publication order from the stored fingerprints and write changes.

    Raises ParamsMismatch when the stored fingerprints were made with other parameters.
    """
    stored = corpus.get_meta(PARAMS_KEY)
    if stored is not None:
        params.check_compatible(stored)
    deduper = Deduper(params, lookup=corpus.fingerprint)
    prefix = deduper.stored_prefix
    deduper.load_stored(
        corpus.read_ahead(Corpus.dedup_orders),
        corpus.read_ahead(lambda c: c.fingerprint_batches(prefix)),
    )
    assignments = deduper.recluster()
    changed = apply_assignments(
        corpus,
        (
            Reassignment(a.key, a.duplicate_of, a.relation, a.similarity, a.containment)
            for a in assignments
        ),
    )
    corpus.set_meta(PARAMS_KEY, params.to_json())
    return {"fingerprints": len(deduper), "changed": changed, **cluster_summary(corpus)}


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
    "--jobs",
    type=int,
    default=os.cpu_count() or 1,
    show_default="CPU count",
    help="Worker processes for --rebuild.",
)
def recluster_command(
    db_path: Path | None, rebuild: bool, check: bool, rebuild_summaries_only: bool, jobs: int
) -> None:
    """Rebuild all wire-copy clusters in publication order from the stored fingerprints.

    The earliest published article of each cluster becomes its canonical; every copy is
    verified against it. The answer does not depend on the order the crawl met the pages in.
    Prints a JSON summary (clusters, copies, changed rows). With --check, lists rows that break
    the cluster invariants or summary rows that disagree with the articles, and fails if there
    are any.
    """
    params = DedupParams()
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
                echo_json({"problems": 0, "summary_problems": 0, **cluster_summary(corpus)})
                return
            refingerprinted = refingerprint(corpus, params, jobs, progress=True) if rebuild else 0
            result = recluster(corpus, params)
            echo_json({"refingerprinted": refingerprinted, **result})
    except ParamsMismatch as exc:
        raise click.ClickException(str(exc)) from exc
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
