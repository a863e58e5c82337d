"""`copydesk furniture learn|apply`: paragraphs recurring across a site, learned and cut."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.dedup import DedupParams, ParamsMismatch, fingerprint
from copydesk.extraction.sitefurniture import SiteFurniture, learn
from storage.clusters import PARAMS_KEY
from storage.corpus import Corpus, CorpusError
from storage.pages import (
    TextUpdate,
    furniture_models,
    load_furniture,
    save_furniture,
    site_paragraphs,
    site_texts,
    sites,
    update_texts,
)

__all__ = ["apply_furniture", "learn_furniture", "load_models", "strip_text"]

logger = logging.getLogger(__name__)


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


@cli.group()
def furniture() -> None:
    """Site furniture: paragraphs that recur on many pages of one site (boilerplate).

    `learn` finds them in the stored articles of each site; `apply` cuts them from the stored
    texts. `copydesk reextract` also cuts them. The raw HTML is kept, so `copydesk reextract
    --all --no-furniture` undoes everything.
    """


@furniture.command("learn")
@DB_OPTION
@click.option("--site", default=None, help="Only this site (as in the articles' site column).")
@click.option(
    "--min-pages",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    help="A paragraph must appear on at least this many pages of the site.",
)
@click.option(
    "--min-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.3,
    show_default=True,
    help="...and on at least this share of the site's pages.",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Forget the paragraphs learned before instead of keeping them.",
)
def learn_command(
    db_path: Path | None, site: str | None, min_pages: int, min_share: float, reset: bool
) -> None:
    """Learn each site's furniture from its stored articles and save it in the corpus.

    Prints, per site, the pages learned from and the number of furniture paragraphs. Run
    `copydesk furniture apply` (or `copydesk reextract`) to cut them from the stored texts.
    """
    try:
        with Corpus(resolve_db(db_path), create=False) as corpus:
            echo_json({"sites": learn_furniture(corpus, site, min_pages, min_share, reset)})
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc


@furniture.command("apply")
@DB_OPTION
@click.option("--site", default=None, help="Only this site (as in the articles' site column).")
def apply_command(db_path: Path | None, site: str | None) -> None:
    """Cut the learned furniture paragraphs from the stored article texts.

    Changed articles get a new text hash and fingerprint, then the wire-copy clusters are
    rebuilt. Prints a JSON summary (stripped articles, changed cluster assignments).
    """
    from copydesk.cli.dedup import recluster

    params = DedupParams()
    try:
        with Corpus(resolve_db(db_path), create=False) as corpus:
            check_params(corpus, params)
            result = apply_furniture(corpus, params, site)
            changed = recluster(corpus, params)["changed"] if result["stripped"] else 0
            echo_json({**result, "changed_assignments": changed})
    except ParamsMismatch as exc:
        raise click.ClickException(str(exc)) from exc
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
