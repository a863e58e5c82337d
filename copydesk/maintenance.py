"""Operations on a stored corpus: recluster, re-fingerprint, re-extract, site furniture.

The ``copydesk`` subcommands parse their options, call these and report their errors; the
functions raise :class:`storage.corpus.CorpusError` or
:class:`copydesk.dedup.ParamsMismatch`, never exit.
"""

from __future__ import annotations

import gzip
import logging
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copydesk.dedup import Deduper, DedupParams, fingerprint
from copydesk.extract import EXTRACTOR_VERSION, ExtractOptions, NotAnArticle, extract
from copydesk.extraction.sitefurniture import SiteFurniture, learn
from copydesk.work import PagePool, PageResult, PageTask
from storage.clusters import (
    PARAMS_KEY,
    apply_assignment_stream,
    apply_assignments,
    article_texts,
    cluster_summary,
    deferred_count,
    replace_fingerprints,
)
from storage.corpus import Corpus, CorpusError, Reassignment
from storage.pages import (
    ExtractionUpdate,
    StoredPage,
    TextUpdate,
    count_pages,
    furniture_models,
    load_furniture,
    save_furniture,
    site_paragraphs,
    site_texts,
    sites,
    stored_pages,
    update_extractions,
    update_texts,
)

__all__ = [
    "Reextraction",
    "apply_furniture",
    "check_params",
    "extract_file",
    "learn_furniture",
    "load_models",
    "read_html",
    "recluster",
    "reextract",
    "refingerprint",
    "strip_text",
]

logger = logging.getLogger(__name__)


# -- one saved page -------------------------------------------------------------------------------


def read_html(path: Path) -> bytes:
    """The bytes of a saved page, gunzipped when gzipped."""
    data = Path(path).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def extract_file(path: Path, url: str | None = None) -> dict[str, Any]:
    """Extraction of one HTML file (``.gz`` accepted) as a JSON-ready dict."""
    html = read_html(Path(path))
    try:
        result = extract(html, url=url)
    except NotAnArticle as exc:
        return {"article": False, "reason": exc.reason, "detail": exc.detail}
    return {"article": True, **result.to_dict()}


# -- wire-copy clusters ---------------------------------------------------------------------------


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


def recluster(corpus: Corpus, params: DedupParams, window: int | None = None) -> dict[str, Any]:
    """Rebuild every cluster in publication order from the stored fingerprints and write changes.

    With a ``window`` (microseconds) the index slides along publication time, holding only
    the articles within the window before the one placed, and deferred articles are placed
    too (their flag is cleared). Raises ParamsMismatch when the stored fingerprints were made
    with other parameters.
    """
    stored = corpus.get_meta(PARAMS_KEY)
    if stored is not None:
        params.check_compatible(stored)
    if window is not None:
        return _recluster_window(corpus, params, window)
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


def _recluster_window(corpus: Corpus, params: DedupParams, window: int) -> dict[str, Any]:
    deduper = Deduper(params, lookup=corpus.fingerprint, window=window)
    deferred = deferred_count(corpus)
    assignments = deduper.recluster_window(
        corpus.read_ahead(Corpus.dedup_orders), corpus.fingerprints_of
    )
    changed = apply_assignment_stream(
        corpus,
        (
            Reassignment(a.key, a.duplicate_of, a.relation, a.similarity, a.containment)
            for a in assignments
        ),
    )
    corpus.set_meta(PARAMS_KEY, params.to_json())
    return {
        "fingerprints": len(deduper) + deduper.evicted,
        "changed": changed,
        "window_days": window / 86_400_000_000,
        "undeferred": deferred,
        "held_at_end": len(deduper),
        **cluster_summary(corpus),
    }


# -- site furniture ------------------------------------------------------------------------------


def strip_text(text: str, model: SiteFurniture) -> str | None:
    """``text`` without the model's furniture paragraphs, or None when nothing changes.

    A text made only of furniture is left alone (None): that is a page for the extractor's gate,
    not something to empty silently.
    """
    paragraphs = text.split("\n\n")
    kept = model.strip(paragraphs)
    if len(kept) == len(paragraphs) or not kept:
        return None
    return "\n\n".join(kept)


def load_models(corpus: Corpus, site: str | None = None) -> dict[str, SiteFurniture]:
    """The stored furniture models (of one site, or all), by site."""
    try:
        if site is not None:
            stored = load_furniture(corpus, site)
            return {site: SiteFurniture.from_json(stored.model)} if stored else {}
        return {s: SiteFurniture.from_json(m.model) for s, m in furniture_models(corpus).items()}
    except ValueError as exc:
        raise CorpusError(f"unreadable site furniture model: {exc}") from exc


def learn_furniture(
    corpus: Corpus,
    site: str | None = None,
    min_pages: int = 3,
    min_share: float = 0.3,
    reset: bool = False,
) -> dict[str, dict[str, Any]]:
    """Learn and store each site's furniture from its stored article texts.

    Paragraphs already cut by ``furniture apply`` are no longer in the stored texts, so a new
    model keeps the old one's paragraphs unless ``reset`` (then run ``copydesk reextract --all
    --no-furniture`` first so the stored texts are whole again). Sites with fewer than
    ``min_pages`` articles are skipped.
    """
    report: dict[str, dict[str, Any]] = {}
    counts = dict(sites(corpus))
    chosen = [site] if site is not None else sorted(counts)
    old = {} if reset else load_models(corpus, site)
    for name in chosen:
        pages = counts.get(name, 0)
        if pages < min_pages:
            report[name] = {"pages": pages, "paragraphs": 0, "skipped": "too few pages"}
            continue
        model = learn(site_paragraphs(corpus, name), min_pages=min_pages, min_share=min_share)
        previous = old.get(name)
        kept = previous.keys - model.keys if previous else frozenset()
        merged = SiteFurniture(keys=model.keys | kept, pages=model.pages)
        save_furniture(corpus, name, merged.to_json(), merged.pages)
        report[name] = {"pages": pages, "paragraphs": len(merged.keys), "kept": len(kept)}
        logger.info("Site %s: %d furniture paragraphs from %d pages", name, len(merged.keys), pages)
    return report


def apply_furniture(
    corpus: Corpus, params: DedupParams, site: str | None = None, batch: int = 200
) -> dict[str, int]:
    """Cut the learned furniture from the stored texts; re-fingerprint the changed articles.

    The raw HTML is untouched: ``copydesk reextract --all`` rebuilds every text from it.
    """
    models = load_models(corpus, site)
    checked = changed = 0
    for name, model in models.items():
        if not model.keys:
            continue
        for rows in site_texts(corpus, name, batch=batch):
            updates = []
            for article_id, text, title in rows:
                checked += 1
                stripped = strip_text(text, model)
                if stripped is None:
                    continue
                fp = fingerprint(stripped, params, title=title)
                updates.append(TextUpdate(article_id, stripped, fp.text_hash, fp.to_bytes()))
            update_texts(corpus, updates)
            changed += len(updates)
    return {"sites": len(models), "checked": checked, "stripped": changed}


def check_params(corpus: Corpus, params: DedupParams) -> None:
    """Refuse to write fingerprints made with other parameters than the stored ones."""
    stored = corpus.get_meta(PARAMS_KEY)
    if stored is not None:
        params.check_compatible(stored)


# -- re-extraction -------------------------------------------------------------------------------


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
        published_guess=extraction["published_guess"],
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
