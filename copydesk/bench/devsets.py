"""Build news dev sets in the WCXB layout from the test suites of other extraction projects.

The pages stay outside the repository (their publishers' copyright): the builder reads the
projects' test data from where ``fetch`` put them (``<dir>/<owner>+<name>/tests``, e.g. a
``fetched/`` folder beside the repository) and writes ``html/ID.html.gz``,
``ground-truth/ID.json`` and ``index.json`` under ``OUT/<set>``.
What each project asserts becomes the ground truth (body where it gives one, title, authors,
date, language); the answers we reviewed by reading the pages and found wrong are corrected
from ``devset_corrections.json`` (ids and values only, committed beside this module).

Every page gets a ``split`` of ``"tune"`` or ``"report"`` from a hash of its site, so a rule can
be chosen on one half and reported on the other (``copydesk bench extract --split``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copydesk.bench.split import site_of
from copydesk.extraction.cleanup import strip_invisible

__all__ = ["BUILDERS", "DevPage", "build", "clean_answer", "corrections", "half_of"]

_DAY = re.compile(r"(\d{4})-(\d{2})[-.](\d{2})")
_ID_CHARS = re.compile(r"[^A-Za-z0-9]+")
_SYNTHETIC = re.compile(r"^https?://(www\.)?(example|exemple)\.com/", re.I)
CORRECTIONS = Path(__file__).with_name("devset_corrections.json")


@dataclass
class DevPage:
    """One page of a dev set, with what its source project asserts about it."""

    page_id: str
    url: str
    html: bytes
    title: str | None = None
    authors: list[str] | None = None  # None: not asserted; []: asserted to have none
    date: str | None = None  # YYYY-MM-DD
    language: str | None = None
    body: str | None = None
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)
    page_type: str = "article"


def half_of(url: str | None) -> str:
    """``"tune"`` or ``"report"`` from a hash of the URL's site (a site is all on one side)."""
    digest = hashlib.sha256(site_of(url).encode("utf-8")).hexdigest()
    return "tune" if int(digest[:8], 16) % 2 == 0 else "report"


def clean_answer(text: str) -> str:
    """A title or a name as the reader sees it: NFC, no soft hyphens, zero-width characters or
    BOMs, runs of whitespace as one space, none at the ends (the same headline copied from two
    suites or pages then reads the same)."""
    return " ".join(strip_invisible(unicodedata.normalize("NFC", text)).split())


def _clean(page: DevPage) -> None:
    if page.title is not None:
        page.title = clean_answer(page.title) or None
    if page.authors is not None:
        page.authors = [name for name in map(clean_answer, page.authors) if name]


def _day(value: Any) -> str | None:
    match = _DAY.search(str(value or ""))
    return "-".join(match.groups()) if match else None


def _page_id(name: str) -> str:
    return _ID_CHARS.sub("_", name).strip("_")[:80]


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


# ---------------------------------------------------------------- one reader per project


def newspaper4k(root: Path) -> Iterator[DevPage]:
    """newspaper4k ``tests/data``: html/, metadata/ (title, authors, date, language), txt/."""
    data = root / "AndyTheFactory+newspaper4k" / "tests" / "data"
    for meta_path in sorted((data / "metadata").glob("*.json")):
        html_path = data / "html" / f"{meta_path.stem}.html"
        if not html_path.exists():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        txt = data / "txt" / f"{meta_path.stem}.txt"
        yield DevPage(
            page_id=_page_id(meta_path.stem),
            url=meta.get("url") or "",
            html=html_path.read_bytes(),
            title=meta.get("title") or None,
            authors=list(meta.get("authors") or []),
            date=_day(meta.get("publish_date")),
            language=meta.get("language") or meta.get("meta_lang") or None,
            body=txt.read_text(encoding="utf-8") if txt.exists() else None,
        )


def goose3(root: Path) -> Iterator[DevPage]:
    """goose3 ``tests/data/content``: the body's start (a ``with`` snippet), title, language."""
    data = root / "goose3+goose3" / "tests" / "data" / "content"
    for meta_path in sorted(data.glob("*.json")):
        html_path = meta_path.with_suffix(".html")
        if not html_path.exists():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        expected = meta.get("expected", {})
        start = (expected.get("cleaned_text") or "").strip()
        url = meta.get("url") or expected.get("final_url") or ""
        yield DevPage(
            page_id=_page_id(meta_path.stem.removeprefix("test_")),
            url=url,
            html=html_path.read_bytes(),
            title=expected.get("title") or None,
            language=expected.get("meta_lang") or None,
            # goose3 checks that its text starts with these characters: the first sentence-ish
            with_snippets=[start[:200]] if len(start) >= 20 else [],
            # goose3's hand-made markup tests (example.com) are not news pages
            page_type="synthetic" if _SYNTHETIC.search(url) else "article",
        )


def trafilatura_eval(root: Path) -> Iterator[DevPage]:
    """trafilatura ``tests/evaldata.json``: with/without snippets, title, author, date."""
    tests = root / "adbar+trafilatura" / "tests"
    evaldata = json.loads((tests / "evaldata.json").read_text(encoding="utf-8"))
    for url, item in sorted(evaldata.items()):
        path = tests / "eval" / item["file"]
        if not path.exists():
            continue
        author = item.get("author")
        authors: list[str] | None
        if isinstance(author, list):
            authors = [a for a in author if a]
        elif author is None:
            authors = None
        else:
            authors = [a.strip() for a in author.split(";") if a.strip()]
        date = _day(item.get("date"))
        yield DevPage(
            page_id=_page_id(Path(item["file"]).stem),
            url=url,
            html=_read(path),
            title=item.get("title") or None,
            authors=authors if "author" in item else None,
            date=date,
            with_snippets=list(item.get("with") or []),
            without_snippets=list(item.get("without") or []),
            # Its pages are of every kind; those with a stated date are news or blog posts.
            page_type="article" if date and item.get("title") else "other",
        )


def htmldate_eval(root: Path) -> Iterator[DevPage]:
    """htmldate ``tests/eval_*.json``: the publication day of each page."""
    tests = root / "adbar+htmldate" / "tests"
    for name, folders in (
        ("eval_mediacloud_2020.json", ("test_set",)),
        ("eval_default.json", ("cache", "eval")),
    ):
        evaldata = json.loads((tests / name).read_text(encoding="utf-8"))
        for url, item in sorted(evaldata.items()):
            path = next(
                (tests / f / item["file"] for f in folders if (tests / f / item["file"]).exists()),
                None,
            )
            date = _day(item.get("date"))
            if path is None or not date:
                continue
            yield DevPage(
                page_id=_page_id(Path(item["file"]).stem), url=url, html=_read(path), date=date
            )


BUILDERS: dict[str, Callable[[Path], Iterator[DevPage]]] = {
    "newspaper4k": newspaper4k,
    "goose3": goose3,
    "trafilatura-eval": trafilatura_eval,
    "htmldate": htmldate_eval,
}


# ---------------------------------------------------------------- writing


def corrections(path: Path = CORRECTIONS) -> dict[str, dict[str, dict[str, Any]]]:
    """Reviewed corrections: ``{set: {page id: {field: value}}}`` (fields of `DevPage`)."""
    raw: dict[str, dict[str, dict[str, Any]]] = json.loads(path.read_text(encoding="utf-8"))
    return {name: pages for name, pages in raw.items() if not name.startswith("_")}


def _ground_truth(page: DevPage, set_name: str) -> dict[str, Any]:
    return {
        "schema_version": "2.0",
        "url": page.url,
        "file_id": page.page_id,
        "_internal": {"page_type": {"primary": page.page_type}, "source": set_name},
        "ground_truth": {
            "title": page.title,
            "author": "; ".join(page.authors) if page.authors else None,
            "authors": page.authors,
            "publish_date": page.date,
            "language": page.language,
            "main_content": page.body,
            "with": page.with_snippets,
            "without": page.without_snippets,
        },
    }


def build(set_name: str, source: Path, out: Path) -> dict[str, Any]:
    """Write the dev set ``set_name`` from the fetched projects under ``source`` into ``out``.

    Returns a summary (pages written, corrections applied). Raises ``FileNotFoundError`` when
    the project's test data is not under ``source``.
    """
    if set_name not in BUILDERS:
        raise ValueError(f"unknown dev set {set_name!r}; choose one of {', '.join(BUILDERS)}")
    fixes = corrections().get(set_name, {})
    (out / "html").mkdir(parents=True, exist_ok=True)
    (out / "ground-truth").mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, Any]] = {}
    applied = 0
    for page in BUILDERS[set_name](source):
        if page.page_id in index:
            continue
        for key, value in fixes.get(page.page_id, {}).items():
            if key == "note":
                continue
            if not hasattr(page, key):
                raise ValueError(f"correction of {set_name}/{page.page_id}: no field {key!r}")
            setattr(page, key, value)
            applied += 1
        _clean(page)
        (out / "html" / f"{page.page_id}.html.gz").write_bytes(gzip.compress(page.html, mtime=0))
        (out / "ground-truth" / f"{page.page_id}.json").write_text(
            json.dumps(_ground_truth(page, set_name), ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        index[page.page_id] = {
            "page_type": page.page_type,
            "split": half_of(page.url),
            "url": page.url,
        }
    (out / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    return {
        "set": set_name,
        "pages": len(index),
        "corrections": applied,
        # reviewed pages the fetched copy lacks (an older or newer snapshot of the project)
        "corrections_unmatched": sorted(set(fixes) - set(index)),
        "out": str(out),
    }
