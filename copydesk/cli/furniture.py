"""`copydesk furniture learn|apply`: paragraphs recurring across a site, learned and cut."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.dedup import DedupParams, ParamsMismatch
from copydesk.maintenance import apply_furniture, check_params, learn_furniture, recluster
from storage.corpus import Corpus, CorpusError

logger = logging.getLogger(__name__)


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
