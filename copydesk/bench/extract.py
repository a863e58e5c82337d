"""Score the extractor (or plain trafilatura) on a WCXB-layout directory of annotated pages.

Layout read: ``html/ID.html.gz``, ``ground-truth/ID.json`` (``url``, ``ground_truth.main_content``,
``title``, ``author``, ``publish_date``, ``with``, ``without``, ``_internal.page_type.primary``).

Metrics (text metrics over article pages, ``page_type.primary == "article"``):

- ``token_precision`` / ``token_recall`` / ``token_f1``: the scrapinghub
  article-extraction-benchmark metric. Texts are split with ``\\w+`` (case kept), turned into
  multisets of 4-word shingles; per page tp/fp/fn are normalised to sum 1; precision is the mean
  over pages with output (tp + fp > 0), recall the mean over pages with a ground truth
  (tp + fn > 0), F1 their harmonic mean. A page the extractor rejects counts as empty output.
- ``bow_f1``: per-page F1 of lower-cased ``\\w+`` word bags (multiset intersection), averaged
  over article pages; empty output scores 0 (both empty scores 1).
- ``with_found``: share of all ``with`` snippets found in the output; ``without_leaked``: share of
  all ``without`` snippets found in the output; ``pages_without_leak``: share of article pages
  with no ``without`` snippet in the output. Matching compares lower-cased ``\\w+`` token strings:
  a ``with`` snippet may start or end mid-word (plain substring); a ``without`` snippet must match
  whole words.
- ``title_accuracy``: over pages with a true title, token-normalised equality with the extracted
  title or with a prefix of it cut at a separator (``|``, `` - ``, ``—``...), i.e. after
  stripping a site suffix. ``author_accuracy``: over pages with a true author, the name sets
  (split on ``,;&`` and "and") intersect. ``date_accuracy``: over pages with a true date, the
  same YYYY-MM-DD. ``date_stated_or_guessed_accuracy``: the same with Copydesk's
  ``published_guess`` standing in where it states no ``published`` (trafilatura, which keeps
  the days its text search finds, gets the same figure twice).
- ``median_ms`` / ``p90_ms``: wall time of the extraction call per page, in this process.
- With ``compare_speed`` (not with ``baseline``): each page is also extracted by plain
  ``trafilatura.extract(html, url=url)`` in the same worker, right before or after ours
  (alternating by page), giving ``baseline_median_ms``, ``speed_ratio`` (``median_ms`` /
  ``baseline_median_ms``) and ``median_page_ratio`` (median over pages of ours / plain).
  It roughly doubles the run time, hence opt-in.
- ``article_gate_precision`` / ``article_gate_recall``: over all pages, "is an article" =
  the extractor returned something (baseline: non-empty text) vs ``page_type == "article"``.
- ``heldout``: the same object over the pages of the sites that
  :func:`copydesk.bench.split.site_split` holds out of block-classifier training (None when
  there are none), so figures on pages the shipped model never saw can be quoted separately;
  with ``beside``, ``trafilatura`` has its own ``heldout`` over the same pages.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copydesk.bench.split import site_split
from copydesk.extract import NotAnArticle, extract
from copydesk.extraction.cleanup import strip_invisible
from copydesk.maintenance import read_html

__all__ = [
    "bow_f1",
    "load_page_ids",
    "run",
    "score_pages",
    "shingle_tp_fp_fn",
    "token_scores",
]

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»•]\s+|\s*[|·»•]\s*|\s+::\s+")
_AUTHOR_SPLIT = re.compile(r"[,;&/]|\band\b|\bund\b|\bet\b|\by\b", re.I)
_BYLINE_PREFIX = re.compile(r"^(by|von|par|por|di)\s+", re.I)


@dataclass
class PageResult:
    """What one extraction produced for one page, before scoring."""

    page_id: str
    page_type: str
    accepted: bool
    text: str
    title: str | None
    authors: list[str]
    published: str | None
    ms: float
    reason: str | None = None
    baseline_ms: float | None = None
    language: str | None = None
    #: trafilatura's own result for the same page, measured in the same worker (``beside``)
    plain: PageResult | None = None
    #: Copydesk's guessed day when it states no ``published`` (trafilatura's guesses are in
    #: its ``published``: it searches the page's text by default)
    published_guess: str | None = None


# ---------------------------------------------------------------- scoring primitives


def _tokens(text: str | None) -> list[str]:
    # soft hyphens and zero-width characters split no word, in the truth or the output
    return _WORD.findall(strip_invisible(text or ""))


def _shingles(text: str | None, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _tokens(text)
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def shingle_tp_fp_fn(true: str | None, pred: str | None, n: int = 4) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) over 4-word shingle multisets, as the scrapinghub benchmark."""
    true_sh, pred_sh = _shingles(true, n), _shingles(pred, n)
    tp = fp = fn = 0.0
    for key in true_sh.keys() | pred_sh.keys():
        t, p = true_sh.get(key, 0), pred_sh.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    if total > 0:
        return tp / total, fp / total, fn / total
    return tp, fp, fn


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def token_scores(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, float]:
    """Benchmark precision/recall/F1 over (true, predicted) text pairs."""
    counts = [shingle_tp_fp_fn(true, pred) for true, pred in pairs]
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"token_precision": precision, "token_recall": recall, "token_f1": f1}


def bow_f1(true: str | None, pred: str | None) -> float:
    """F1 of lower-cased word bags (multiset overlap)."""
    t = Counter(w.lower() for w in _tokens(true))
    p = Counter(w.lower() for w in _tokens(pred))
    if not t and not p:
        return 1.0
    overlap = sum((t & p).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def _norm(text: str | None) -> str:
    return " ".join(w.lower() for w in _tokens(text))


def _title_ok(true: str, pred: str | None) -> bool:
    if not pred:
        return False
    goal = _norm(true)
    parts = _TITLE_SEPARATORS.split(pred)
    return any(_norm(" ".join(parts[:k])) == goal for k in range(1, len(parts) + 1)) or (
        _norm(pred) == goal
    )


def _names(value: str | Sequence[str] | None) -> set[str]:
    if not value:
        return set()
    raw = [value] if isinstance(value, str) else list(value)
    out: set[str] = set()
    for item in raw:
        for part in _AUTHOR_SPLIT.split(item):
            name = _norm(_BYLINE_PREFIX.sub("", part.strip()))
            if len(name) > 2:
                out.add(name)
    return out


def _date(value: str | None) -> str | None:
    match = _DATE.search(value or "")
    return match.group(0) if match else None


# ---------------------------------------------------------------- running


def load_page_ids(directory: Path) -> list[str]:
    """Ids of the pages that have both an HTML file and a ground truth, sorted."""
    return sorted(
        p.name.removesuffix(".json")
        for p in (directory / "ground-truth").glob("*.json")
        if (directory / "html" / f"{p.name.removesuffix('.json')}.html.gz").exists()
    )


def _ground_truth(directory: Path, page_id: str) -> dict[str, Any]:
    with (directory / "ground-truth" / f"{page_id}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _plain_trafilatura(html: bytes, url: str | None) -> tuple[str, float]:
    import trafilatura

    start = time.perf_counter()
    text = trafilatura.extract(html, url=url) or ""
    return text, (time.perf_counter() - start) * 1000


def _trafilatura_page(html: bytes, url: str | None, page_id: str, page_type: str) -> PageResult:
    """trafilatura's text and metadata for the page (``bare_extraction`` with metadata)."""
    import trafilatura

    start = time.perf_counter()
    doc: Any = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, output_format="python"
    )
    ms = (time.perf_counter() - start) * 1000
    if doc is None:
        return PageResult(page_id, page_type, False, "", None, [], None, ms)
    text = doc.text or ""
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return PageResult(
        page_id,
        page_type,
        bool(text.strip()),
        text,
        doc.title,
        authors,
        doc.date,
        ms,
        language=doc.language,
    )


def _ours(html: bytes, url: str | None, page_id: str, page_type: str) -> PageResult:
    start = time.perf_counter()
    try:
        result = extract(html, url=url)
    except NotAnArticle as exc:
        ms = (time.perf_counter() - start) * 1000
        return PageResult(page_id, page_type, False, "", None, [], None, ms, exc.reason)
    ms = (time.perf_counter() - start) * 1000
    return PageResult(
        page_id,
        page_type,
        True,
        result.text,
        result.title,
        result.authors,
        result.published,
        ms,
        language=result.language,
        published_guess=result.published_guess,
    )


def _run_one(args: tuple[Path, str, bool, bool, int, bool]) -> PageResult:
    directory, page_id, baseline, compare_speed, position, beside = args
    truth = _ground_truth(directory, page_id)
    url = truth.get("url") or None
    page_type = truth.get("_internal", {}).get("page_type", {}).get("primary", "")
    html = read_html(directory / "html" / f"{page_id}.html.gz")
    if baseline:
        return _trafilatura_page(html, url, page_id, page_type)
    if beside:
        result = _ours(html, url, page_id, page_type)
        result.plain = _trafilatura_page(html, url, page_id, page_type)
        return result
    if not compare_speed:
        return _ours(html, url, page_id, page_type)
    if position % 2:  # alternate the order so neither side always runs on a warm cache
        result = _ours(html, url, page_id, page_type)
        result.baseline_ms = _plain_trafilatura(html, url)[1]
    else:
        plain_ms = _plain_trafilatura(html, url)[1]
        result = _ours(html, url, page_id, page_type)
        result.baseline_ms = plain_ms
    return result


def score_pages(
    directory: Path, results: Sequence[PageResult], baseline: bool = False
) -> dict[str, Any]:
    """Turn per-page results into the benchmark's JSON object (see the module docstring)."""
    articles = [r for r in results if r.page_type == "article"]
    truths = {r.page_id: _ground_truth(directory, r.page_id)["ground_truth"] for r in articles}
    # Body metrics over the articles whose whole text is given (some sets give snippets only).
    pairs = [(truths[r.page_id]["main_content"], r.text) for r in articles if _has_body(truths, r)]
    out: dict[str, Any] = {
        "pages": len(results),
        "articles": len(articles),
        "articles_with_body": len(pairs),
        "baseline": baseline,
    }
    out.update(token_scores(pairs))
    out["bow_f1"] = statistics.mean(bow_f1(t, p) for t, p in pairs) if pairs else 0.0

    with_total = with_found = without_total = without_leaked = clean_pages = 0
    for r in articles:
        gt = truths[r.page_id]
        flat = _norm(r.text)
        padded = f" {flat} "
        snippets = [_norm(s) for s in gt.get("with") or []]
        with_total += len(snippets)
        with_found += sum(1 for s in snippets if s and s in flat)
        leaks = [s for s in (_norm(s) for s in gt.get("without") or []) if s and f" {s} " in padded]
        without_total += len(gt.get("without") or [])
        without_leaked += len(leaks)
        clean_pages += not leaks
    out["with_found"] = with_found / with_total if with_total else 0.0
    out["without_leaked"] = without_leaked / without_total if without_total else 0.0
    out["pages_without_leak"] = clean_pages / len(articles) if articles else 0.0
    out.update(_field_scores(truths, articles))

    def accuracy(checks: list[bool]) -> float | None:
        return sum(checks) / len(checks) if checks else None

    out["title_accuracy"] = accuracy(
        [
            _title_ok(truths[r.page_id]["title"], r.title)
            for r in articles
            if truths[r.page_id].get("title")
        ]
    )
    out["author_accuracy"] = accuracy(
        [
            bool(_names(truths[r.page_id]["author"]) & _names(r.authors))
            for r in articles
            if _names(truths[r.page_id].get("author"))
        ]
    )
    out["date_accuracy"] = accuracy(
        [
            _date(truths[r.page_id]["publish_date"]) == _date(r.published)
            for r in articles
            if _date(truths[r.page_id].get("publish_date"))
        ]
    )
    out["date_pages"] = sum(1 for r in articles if _date(truths[r.page_id].get("publish_date")))
    # the stated date, else the guess: what a reader gets who also trusts the guessed days
    out["date_stated_or_guessed_accuracy"] = accuracy(
        [
            _date(truths[r.page_id]["publish_date"]) == _date(r.published or r.published_guess)
            for r in articles
            if _date(truths[r.page_id].get("publish_date"))
        ]
    )

    times = sorted(r.ms for r in results)
    out["median_ms"] = statistics.median(times) if times else 0.0
    out["p90_ms"] = times[min(len(times) - 1, int(0.9 * len(times)))] if times else 0.0
    paired = [r for r in results if r.baseline_ms is not None]
    if paired:
        plain = statistics.median(r.baseline_ms or 0.0 for r in paired)
        out["baseline_median_ms"] = plain
        out["speed_ratio"] = out["median_ms"] / plain if plain else None
        out["median_page_ratio"] = statistics.median(
            r.ms / r.baseline_ms for r in paired if r.baseline_ms
        )

    accepted_articles = sum(1 for r in articles if r.accepted)
    accepted = sum(1 for r in results if r.accepted)
    out["article_gate_precision"] = accepted_articles / accepted if accepted else 0.0
    out["article_gate_recall"] = accepted_articles / len(articles) if articles else 0.0
    out["rejections"] = dict(Counter(r.reason for r in results if r.reason))
    return out


def run(
    directory: Path,
    baseline: bool = False,
    limit: int | None = None,
    ids: list[str] | None = None,
    jobs: int = 1,
    compare_speed: bool = False,
    beside: bool = False,
    split: str | None = None,
    misses: Path | None = None,
) -> dict[str, Any]:
    """Run the extractor (plain trafilatura with ``baseline``) over ``directory``; score it.

    ``compare_speed`` also times plain trafilatura on the same pages in the same processes.
    ``beside`` also extracts every page with trafilatura (text and metadata) in the same run
    and scores it under the ``"trafilatura"`` key. ``split`` keeps the pages whose
    ``index.json`` entry has that ``split`` (the dev sets' ``tune``/``report`` halves).
    ``misses`` names a JSON Lines file to write every article's title/author/date miss to
    (see :func:`field_misses`), for Copydesk and, with ``beside``, for trafilatura.
    """
    directory = Path(directory)
    if not (directory / "ground-truth").is_dir() or not (directory / "html").is_dir():
        raise FileNotFoundError(f"{directory} needs html/ and ground-truth/ subdirectories")
    page_ids = list(ids) if ids is not None else load_page_ids(directory)
    if split is not None:
        page_ids = [i for i in page_ids if _split_of(directory).get(i) == split]
    if limit is not None:
        page_ids = page_ids[:limit]
    tasks = [
        (directory, page_id, baseline, compare_speed and not baseline, i, beside and not baseline)
        for i, page_id in enumerate(page_ids)
    ]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_run_one, tasks, chunksize=8))
    else:
        results = [_run_one(task) for task in tasks]
    logger.info("extracted %d pages from %s", len(results), directory)
    out = _with_heldout(directory, results, baseline)
    plain = [r.plain for r in results if r.plain is not None]
    if plain:
        out["trafilatura"] = _with_heldout(directory, plain, True)
    if misses is not None:
        rows = field_misses(directory, results, "copydesk" if not baseline else "trafilatura")
        rows += field_misses(directory, plain, "trafilatura")
        with Path(misses).open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return out


def _with_heldout(directory: Path, results: Sequence[PageResult], baseline: bool) -> dict[str, Any]:
    """`score_pages` over all ``results``, with a ``heldout`` block over the held-out sites'."""
    out = score_pages(directory, results, baseline=baseline)
    heldout = [
        r
        for r in results
        if site_split(_ground_truth(directory, r.page_id).get("url")) == "heldout"
    ]
    out["heldout"] = score_pages(directory, heldout, baseline=baseline) if heldout else None
    return out


def field_misses(
    directory: Path, results: Sequence[PageResult], system: str
) -> list[dict[str, Any]]:
    """One row per article field scored wrong by :func:`_field_scores` or ``date_accuracy``:
    ``{"system", "page_id", "url", "field", "true", "got", "accepted", "reason"}``."""
    rows: list[dict[str, Any]] = []
    for r in results:
        if r.page_type != "article":
            continue
        page = _ground_truth(directory, r.page_id)
        truth = page["ground_truth"]
        checks: list[tuple[str, Any, Any, bool]] = []
        if truth.get("title"):
            ok = _norm(truth["title"]) == _norm(r.title)
            checks.append(("title", truth["title"], r.title, ok))
        names = _true_authors(truth)
        if names is not None:
            ok = {_norm(a) for a in r.authors if _norm(a)} == names
            checks.append(("author", truth.get("authors", truth.get("author")), r.authors, ok))
        if _date(truth.get("publish_date")):
            ok = _date(truth["publish_date"]) == _date(r.published)
            checks.append(("date", truth["publish_date"], r.published, ok))
        for field, true, got, ok in checks:
            if not ok:
                rows.append(
                    {
                        **({"guess": r.published_guess} if field == "date" else {}),
                        "system": system,
                        "page_id": r.page_id,
                        "url": page.get("url"),
                        "field": field,
                        "true": true,
                        "got": got,
                        "accepted": r.accepted,
                        "reason": r.reason,
                    }
                )
    return rows


def _split_of(directory: Path) -> dict[str, str]:
    """Page id -> ``split`` from ``index.json`` (empty when there is none)."""
    path = directory / "index.json"
    if not path.exists():
        return {}
    index = json.loads(path.read_text(encoding="utf-8"))
    return {k: v.get("split", "") for k, v in index.items() if isinstance(v, dict)}


def _has_body(truths: dict[str, dict[str, Any]], result: PageResult) -> bool:
    return bool((truths[result.page_id].get("main_content") or "").strip())


def _true_authors(truth: dict[str, Any]) -> set[str] | None:
    """The true author names, or None when the page's authors are not stated."""
    listed = truth.get("authors")
    if isinstance(listed, list):
        return {_norm(_BYLINE_PREFIX.sub("", a.strip())) for a in listed if _norm(a)}
    names = _names(truth.get("author"))
    return names or None


def _language(value: str | None) -> str:
    return (value or "").strip().lower().replace("_", "-").split("-")[0]


def _field_scores(
    truths: dict[str, dict[str, Any]], articles: Sequence[PageResult]
) -> dict[str, float | None]:
    """Exact-match accuracy of each metadata field over the articles that state it.

    ``title_exact``: token-normalised equality with the whole headline (no site affix allowed);
    ``author_exact``: the set of names equals the true set (each of ours one name; a page stated
    to have none must get none); ``date_accuracy`` (same day); ``language_accuracy`` (primary
    subtag).
    """

    def share(checks: list[bool]) -> float | None:
        return sum(checks) / len(checks) if checks else None

    title, author, language = [], [], []
    for r in articles:
        truth = truths[r.page_id]
        if truth.get("title"):
            title.append(_norm(truth["title"]) == _norm(r.title))
        names = _true_authors(truth)
        if names is not None:
            author.append({_norm(a) for a in r.authors if _norm(a)} == names)
        if truth.get("language"):
            language.append(_language(truth["language"]) == _language(r.language))
    return {
        "title_exact": share(title),
        "title_pages": len(title),
        "author_exact": share(author),
        "author_pages": len(author),
        "language_accuracy": share(language),
        "language_pages": len(language),
    }
