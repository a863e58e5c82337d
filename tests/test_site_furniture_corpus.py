"""Site furniture learned from a real corpus: `copydesk furniture learn|apply` and reextract."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from copydesk.cli import cli
from copydesk.dedup import DedupParams
from copydesk.extraction.sitefurniture import SiteFurniture, paragraph_key
from copydesk.maintenance import apply_furniture, learn_furniture, reextract
from storage.corpus import Corpus
from storage.pages import load_furniture, site_paragraphs

from .test_reextract import HARBOR, WIRE_ORIGINAL, build_corpus, extracted, fts, rows, url_of

PLANTED = (
    "The Harbor Gazette is an independent newsroom owned by its readers in Calder Bay and "
    "the harbour towns since 1921."
)
SITE = "harbor-gazette.example"


def invoke(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def article_paragraphs(path: str) -> list[str]:
    """The page's paragraphs as the extractor gives them without the planted one."""
    fresh = extracted(path)
    assert fresh.extraction is not None
    paragraphs = fresh.extraction["text"].split("\n\n")
    assert PLANTED not in paragraphs
    return paragraphs


def test_learn_and_apply_cut_the_planted_paragraph_and_keep_the_articles(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, HARBOR, plant=PLANTED)
    build_corpus(db, [WIRE_ORIGINAL], plant=None)  # a site with one page: nothing to learn
    before = rows(db)
    assert all(PLANTED in str(before[url_of(p)]["text"]) for p in HARBOR)
    assert len(fts(db, "newsroom")) == 4

    learned = invoke("furniture", "learn", "--db", str(db))
    sites = learned["sites"]
    assert isinstance(sites, dict)
    assert sites[SITE]["pages"] == 4 and sites[SITE]["paragraphs"] >= 1
    assert sites["valley-ledger.example"]["skipped"] == "too few pages"
    with Corpus(db) as corpus:
        stored = load_furniture(corpus, SITE)
        assert stored is not None and stored.pages == 4
        model = SiteFurniture.from_json(stored.model)
        assert load_furniture(corpus, "valley-ledger.example") is None
    assert model.is_furniture(PLANTED)
    for path in HARBOR:  # no paragraph of an article is furniture
        assert not any(model.is_furniture(p) for p in article_paragraphs(path))

    applied = invoke("furniture", "apply", "--db", str(db))
    assert applied["stripped"] == 4 and applied["checked"] == 4
    after = rows(db)
    for path in HARBOR:
        row, old = after[url_of(path)], before[url_of(path)]
        assert str(row["text"]).split("\n\n") == article_paragraphs(path)
        assert row["fingerprint"] != old["fingerprint"] and row["text_hash"] != old["text_hash"]
        assert row["word_count"] == len(str(row["text"]).split())
    assert after[url_of(WIRE_ORIGINAL)]["text"] == before[url_of(WIRE_ORIGINAL)]["text"]
    assert fts(db, "newsroom") == []

    # Applying again changes nothing; learning again keeps the paragraphs already cut.
    assert invoke("furniture", "apply", "--db", str(db))["stripped"] == 0
    again = invoke("furniture", "learn", "--db", str(db), "--site", SITE)["sites"]
    assert isinstance(again, dict) and again[SITE]["kept"] >= 1
    with Corpus(db) as corpus:
        stored = load_furniture(corpus, SITE)
        assert stored is not None and SiteFurniture.from_json(stored.model).is_furniture(PLANTED)
        reset = learn_furniture(corpus, SITE, reset=True)
        assert reset[SITE]["kept"] == 0


def test_a_paragraph_on_too_few_pages_is_not_furniture(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, HARBOR[:2], plant=PLANTED)
    build_corpus(db, HARBOR[2:])
    with Corpus(db) as corpus:
        report = learn_furniture(corpus, min_pages=3)
        stored = load_furniture(corpus, SITE)
        assert stored is not None
        assert not SiteFurniture.from_json(stored.model).is_furniture(PLANTED)
        assert report[SITE]["pages"] == 4
        assert apply_furniture(corpus, DedupParams())["stripped"] == 0
        # ...but with two pages allowed, it is.
        learn_furniture(corpus, min_pages=2, reset=True)
        assert apply_furniture(corpus, DedupParams())["stripped"] == 2


def test_reextract_cuts_learned_furniture_and_can_undo_it(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    build_corpus(db, HARBOR, plant=PLANTED, version="1")
    with Corpus(db) as corpus:
        learn_furniture(corpus)
        done = reextract(corpus, workers=0)
        assert (done.pages, done.furniture_stripped, done.updated) == (4, 4, 4)
        assert not any(PLANTED in p for ps in site_paragraphs(corpus, SITE) for p in ps)
        texts = {r["url"]: r["text"] for r in rows(db).values()}
        assert all(str(texts[url_of(p)]).split("\n\n") == article_paragraphs(p) for p in HARBOR)

        undone = reextract(corpus, stale_only=False, workers=0, furniture=False)
        assert (undone.updated, undone.furniture_stripped) == (4, 0)
        keys = [{paragraph_key(p) for p in ps} for ps in site_paragraphs(corpus, SITE)]
        assert all(paragraph_key(PLANTED) in k for k in keys)


def test_furniture_commands_have_help() -> None:
    for command in (["furniture"], ["furniture", "learn"], ["furniture", "apply"], ["reextract"]):
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0 and len(result.output.split("\n\n")[1].strip()) > 20
