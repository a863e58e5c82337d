"""Labelled wire-copy sets beyond the dev generator: real news, and the four failure classes.

`real_news` joins the reviewed labels in `data/realnews_labels.json` with the two fetched
ArticleComparisons CSVs (the texts stay outside the repository). `failure_classes` builds,
from real article bodies (WCXB dev ground truth), stories with copies plus compilation pages,
teasers, chrome-heavy junk pages, write-throughs, three edits the dev set never makes and
independent stories quoting one statement. Both split into halves: real news by event, the
synthetic set by story group (shared statements by site).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "EVENTS",
    "failure_classes",
    "half_of",
    "load_bodies",
    "real_news",
    "write_sets",
]

Doc = dict[str, Any]

LABELS = Path(__file__).parent / "data" / "realnews_labels.json"
#: The two real scrapes and the half each one belongs to (parameters are chosen on "a").
EVENTS = {"census": "a", "spotify": "b"}

_WORD = re.compile(r"\w+")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


# ---- real news ------------------------------------------------------------------------------
def real_news(csv_dir: Path) -> list[Doc]:
    """The 68 labelled articles of the two CSVs in `csv_dir`, in scrape order.

    Paragraph markers (" ### ") become blank lines; `half` is the event's half.
    """
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["articles"]
    docs: list[tuple[str, Doc]] = []
    for event in EVENTS:
        path = Path(csv_dir) / f"{event}_articles.csv"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing; copy data/{event}_articles.csv out of the fetched "
                "asprout/ArticleComparisons repository into that directory"
            )
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                key = f"{event}-{row['id']}"
                label = labels[key]
                scraped = datetime.fromisoformat(row["scrape_time"])
                doc: Doc = {
                    "id": key,
                    "title": None,
                    "text": row["text"].replace(" ### ", "\n\n").strip(),
                    "cluster": label["cluster"],
                    "kind": label["kind"],
                    "outlet": row["publisher"],
                    "half": EVENTS[event],
                }
                docs.append((scraped.isoformat(), doc))
    missing = set(labels) - {d["id"] for _, d in docs}
    if missing:
        raise ValueError(f"labelled articles not in the CSVs: {sorted(missing)[:5]}")
    docs.sort(key=lambda t: (datetime.fromisoformat(t[0]).timestamp(), t[1]["id"]))
    return [d for _, d in docs]


# ---- failure classes ------------------------------------------------------------------------
def load_bodies(wcxb_dir: Path, min_words: int = 400) -> tuple[list[list[str]], list[str]]:
    """(article bodies as paragraph lists, boilerplate lines) from WCXB dev ground truth.

    Bodies: pages typed "article" with at least `min_words` words in six or more paragraphs.
    Boilerplate: the annotators' "without" strings (real page chrome) of every page.
    """
    bodies, chrome, _ = _load_sited_bodies(wcxb_dir, min_words)
    return bodies, chrome


def _load_sited_bodies(
    wcxb_dir: Path, min_words: int = 400
) -> tuple[list[list[str]], list[str], list[str]]:
    """`load_bodies` and the site (host name) each body comes from."""
    bodies: list[list[str]] = []
    sites: list[str] = []
    chrome: set[str] = set()
    for f in sorted((Path(wcxb_dir) / "ground-truth").glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        gt = d.get("ground_truth") or {}
        chrome.update(s.strip() for s in gt.get("without") or [] if 0 < _words(s) <= 12)
        kind = (d.get("_internal") or {}).get("page_type", {}).get("primary")
        paras = [p.strip() for p in (gt.get("main_content") or "").split("\n\n") if p.strip()]
        if kind == "article" and len(paras) >= 6 and sum(map(_words, paras)) >= min_words:
            bodies.append(paras)
            sites.append(urlsplit(d.get("url") or "").hostname or f.stem)
    if not bodies:
        raise FileNotFoundError(f"no article bodies under {wcxb_dir}/ground-truth")
    return bodies, sorted(chrome), sites


_WIDGETS = (
    "Enter City and State or Zip Code",
    "Print",
    "Next",
    "Previous",
    "Share",
    "Tweet",
    "Email",
    "Comments",
    "Advertisement",
    "Close",
    "Back to Gallery",
    "Now Playing:",
    "Read more",
    "Related Content",
    "Subscribe",
    "72°F Partly Cloudy",
    "Hi 75° Lo 58°",
    "Weather Alerts",
)
_BYLINES = ("By The Associated Press", "Associated Press", "From Reuters", "By staff and wires")
_CAPTION = (
    "FILE - In this {month} {day}, {year} file photo, {who} speaks during a news conference. "
    "(AP Photo/{photog}, File)"
)
_NAMES = ("Evan Vucci", "Susan Walsh", "Jae C. Hong", "Mark Lennihan", "Charlie Riedel")
_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "Sept.", "Oct.")


def _chrome_lines(rng: random.Random, chrome: Sequence[str], n: int) -> list[str]:
    out = []
    for _ in range(n):
        pick = rng.random()
        if pick < 0.4:
            out.append(rng.choice(_WIDGETS))
        elif pick < 0.55:
            total = rng.randint(5, 30)
            out.append(f"{rng.randint(1, total)} / {total}")
        else:
            out.append(rng.choice(chrome))
    return out


def _take_words(paras: Sequence[str], lo: int, hi: int) -> list[str] | None:
    """The first paragraphs totalling lo..hi words, or None when no prefix fits."""
    total = 0
    for i, p in enumerate(paras):
        total += _words(p)
        if lo <= total <= hi:
            return list(paras[: i + 1])
        if total > hi:
            return None
    return None


def _who(rng: random.Random, paras: Sequence[str], default: str) -> str:
    """Two capitalised words from a body's first paragraphs (a made-up name), or `default`."""
    names = [w for w in _WORD.findall(" ".join(paras[:3])) if w[:1].isupper() and len(w) > 3]
    return " ".join(rng.sample(names, 2)) if len(names) >= 2 else default


def _caption(rng: random.Random, paras: Sequence[str]) -> str:
    who = _who(rng, paras, "an official")
    return _CAPTION.format(
        month=rng.choice(_MONTHS),
        day=rng.randint(1, 28),
        year=rng.randint(2015, 2024),
        who=who,
        photog=rng.choice(_NAMES),
    )


def _copy(rng: random.Random, paras: Sequence[str], chrome: Sequence[str]) -> list[str]:
    """An ordinary syndicated copy: a byline, maybe trimmed from the bottom, some chrome."""
    out = [rng.choice(_BYLINES), *paras]
    if rng.random() < 0.5:
        keep = max(4, int(len(paras) * rng.uniform(0.5, 0.9)))
        out = out[: keep + 1]
    if rng.random() < 0.5:
        out.insert(rng.randint(2, len(out)), rng.choice(_WIDGETS))
    return out


_NUMBER = re.compile(r"\b\d+\b")


def _update_numbers(rng: random.Random, text: str) -> str:
    return _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), text, count=2)


def _write_through(rng: random.Random, paras: Sequence[str], new_top: str) -> list[str]:
    """A later version of one story: a new top, two paragraphs moved, numbers updated."""
    body = list(paras[1:])
    if len(body) > 4:
        i, j = rng.sample(range(1, len(body)), 2)
        body.insert(j, body.pop(i))
    k = rng.randrange(len(body))
    body[k] = _update_numbers(rng, body[k])
    return [new_top, paras[0], *body]


#: Lead-ins of a quoted statement (`{who}`: its speaker).
_LEAD_INS = (
    "In a blog post, {who} wrote:",
    "{who} said in a statement:",
    "In a statement posted on its website, {who} said:",
    "In an email to staff, {who} wrote:",
    "{who} wrote in a post on Monday:",
)
#: How a page sets a statement: curly or straight quotation marks (a paragraph opens with the
#: mark, only the last one closes), a blockquote (extracted text carries no mark for it), or
#: the first paragraph quoted inline ("..., Name wrote.").
QUOTE_STYLES = ("curly", "straight", "blockquote", "inline")
_INNER = str.maketrans({"“": "‘", "”": "’", '"': "'"})


#: Who makes a statement.
_SPEAKERS = (
    "the company",
    "its chief executive",
    "a spokeswoman",
    "a spokesman",
    "the agency",
    "the foundation's president",
    "the mayor",
)
_SENTENCE = re.compile(r"[.!?]$")


def _statement(rng: random.Random, paras: Sequence[str]) -> list[str] | None:
    """A run of 1-4 consecutive prose paragraphs (15 words or more, one line, ending a
    sentence) of a body, 80-300 words in all, or None."""
    prose = [_words(p) >= 15 and "\n" not in p and bool(_SENTENCE.search(p)) for p in paras]
    for _ in range(40):
        n = rng.randint(1, min(4, len(paras)))
        start = rng.randrange(len(paras) - n + 1)
        run = list(paras[start : start + n])
        if all(prose[start : start + n]) and 80 <= sum(map(_words, run)) <= 300:
            return run
    return None


def _quoted(rng: random.Random, statement: Sequence[str], who: str, style: str) -> list[str]:
    """The paragraphs that set `statement` as a quotation in `style` (see `QUOTE_STYLES`)."""
    if style == "blockquote":
        lead = rng.choice(_LEAD_INS).format(who=who)
        return [lead[0].upper() + lead[1:], *statement]
    inner = [p.translate(_INNER) for p in statement]  # quotes inside a quotation turn single
    o, c = ("“", "”") if style in ("curly", "inline") else ('"', '"')
    marked = [f"{o}{p}" for p in inner]
    marked[-1] += c
    if style == "inline":
        first = inner[0].rstrip(".!?")
        tail = f"{c} {who} wrote." if len(inner) > 1 else f",{c} {who} wrote."
        return [f"{o}{first}{',' if len(inner) > 1 else ''}{tail}", *marked[1:]]
    lead = rng.choice(_LEAD_INS).format(who=who)
    return [lead[0].upper() + lead[1:], *marked]


def _carrier(
    rng: random.Random, paras: Sequence[str], quotation: Sequence[str]
) -> tuple[list[str], int]:
    """An article of its own (the first paragraphs of a body, 60-300 words) that sets a
    quotation after its first or second paragraph, and the index of the paragraph after the
    quotation."""
    target = rng.randint(60, 300)
    own: list[str] = []
    for p in paras:
        own.append(p)
        if sum(map(_words, own)) >= target:
            break
    at = rng.randint(1, min(2, len(own)))
    return [*own[:at], *quotation, *own[at:]], at + len(quotation)


def _quoting_copy(rng: random.Random, page: Sequence[str], end: int) -> list[str]:
    """A syndicated copy of a page whose quotation ends before paragraph `end`: a byline,
    maybe trimmed from the bottom but keeping the quotation and a paragraph after it (a copy
    carries the prose around the quotation too), maybe a widget line."""
    out = [rng.choice(_BYLINES), *page]
    if rng.random() < 0.5:
        keep = max(end + 1, int(len(page) * rng.uniform(0.5, 0.9)))
        out = out[: keep + 1]
    if rng.random() < 0.5:
        out.insert(rng.randint(2, len(out)), rng.choice(_WIDGETS))
    return out


def _shared_statement(
    gid: str, rng: random.Random, stories: list[list[str]], chrome: Any
) -> list[tuple[str, str, list[str], list[str]]]:
    """(cluster, kind, paragraphs, ops) of a shared-statement group: story A quoting a long
    statement (a run of a third body's paragraphs) and two copies of A (ordinary, and with its
    quotation marks straightened); one or two independent stories quoting the same statement
    (or most of it), each set its own way: separate."""
    del chrome  # the copies here carry widget lines only
    a, b, c, source = stories
    statement = _statement(rng, source)
    if statement is None:
        return []
    who = rng.choice(_SPEAKERS)

    def carry(paras: Sequence[str], run: Sequence[str]) -> tuple[list[str], int]:
        return _carrier(rng, paras, _quoted(rng, run, who, rng.choice(QUOTE_STYLES)))

    def most(run: list[str]) -> list[str]:
        if len(run) > 1 and rng.random() < 0.5:
            return run[1:] if rng.random() < 0.5 else run[:-1]
        return run

    page, end = carry(a, statement)
    straight = [p.replace("“", '"').replace("”", '"') for p in page]
    out = [
        (f"{gid}-a", "orig", page, []),
        (f"{gid}-a", "copy", _quoting_copy(rng, page, end), ["byline"]),
        (f"{gid}-a", "copy", [rng.choice(_BYLINES), *straight], ["quote_marks", "byline"]),
        (f"{gid}-b", "statement", carry(b, most(statement))[0], []),
    ]
    if rng.random() < 0.5:
        out.append((f"{gid}-c", "statement", carry(c, most(statement))[0], []))
    return out


def _group_docs(
    gid: str, rng: random.Random, kind: str, stories: list[list[str]], chrome: Any
) -> list[Doc]:
    """One group of documents of one failure class (story clusters plus the class's pages)."""
    docs: list[Doc] = []

    def add(cluster: str, doc_kind: str, paras: Iterable[str], ops: list[str]) -> None:
        docs.append(
            {
                "id": f"{gid}-d{len(docs)}",
                "title": None,
                "text": "\n\n".join(paras),
                "cluster": cluster,
                "kind": doc_kind,
                "ops": ops,
                "group": gid,
                "class": kind,
            }
        )

    a = stories[0]
    if kind == "compilation":
        b = stories[1]
        add(f"{gid}-a", "orig", a, [])
        add(f"{gid}-a", "copy", _copy(rng, a, chrome), ["byline"])
        add(f"{gid}-b", "orig", b, [])
        add(f"{gid}-b", "copy", _copy(rng, b, chrome), ["byline"])
        top = a[: max(3, len(a) // rng.choice((1, 2)))]
        page = [
            *_chrome_lines(rng, chrome, 4),
            *top,
            *_chrome_lines(rng, chrome, 3),
            *b,
            *_chrome_lines(rng, chrome, 4),
        ]
        add(f"{gid}-page", "compilation", page, [])
    elif kind == "teaser":
        add(f"{gid}-a", "orig", a, [])
        add(f"{gid}-a", "copy", _copy(rng, a, chrome), ["byline"])
        lead = _take_words(a, 80, 150)
        if lead is None:
            return []
        add(f"{gid}-a", "teaser", [*lead, "Read more"], ["teaser"])
        half = max(4, len(a) // 2)
        add(f"{gid}-a", "copy", [rng.choice(_BYLINES), *a[:half]], ["truncate"])
    elif kind == "junk":
        add(f"{gid}-a", "orig", a, [])
        add(f"{gid}-a", "copy", _copy(rng, a, chrome), ["byline"])
        first = " ".join(a[0].split()[: rng.randint(12, 35)])
        page = [*_chrome_lines(rng, chrome, 8), first, *_chrome_lines(rng, chrome, 10)]
        add(f"{gid}-junk1", "junk", page, [])
        b = stories[1]
        other = " ".join(b[0].split()[: rng.randint(12, 35)])
        page2 = [*_chrome_lines(rng, chrome, 8), other, *_chrome_lines(rng, chrome, 10)]
        add(f"{gid}-junk2", "junk", page2, [])
    elif kind == "write_through":
        new_top = stories[1][0]
        add(f"{gid}-a", "orig", a[: max(5, len(a) * 2 // 3)], [])
        add(f"{gid}-a", "copy", _write_through(rng, a, new_top), ["write_through"])
        add(
            f"{gid}-a",
            "copy",
            _copy(rng, _write_through(rng, a, new_top), chrome),
            ["write_through", "byline"],
        )
        # "The Latest" live file: snapshot 2 has new items on top and drops the oldest.
        items = stories[2]
        cut = max(3, len(items) // 3)
        add(f"{gid}-live", "orig", ["The Latest", *items[cut:]], [])
        add(f"{gid}-live", "copy", ["The Latest", *items[:cut], *items[cut:-2]], ["snapshot"])
    elif kind == "edits":
        add(f"{gid}-a", "orig", a, [])
        swapped = list(a)
        i = rng.randrange(1, len(a) - 1)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        add(f"{gid}-a", "copy", [rng.choice(_BYLINES), *swapped], ["swap_paragraphs"])
        captioned = list(a)
        captioned.insert(rng.randint(1, len(a) - 1), _caption(rng, a))
        add(f"{gid}-a", "copy", captioned, ["caption"])
        hour = rng.randint(1, 11)
        stamp = f"Updated {hour}:{rng.randint(0, 59):02d} {rng.choice(('a.m.', 'p.m.'))} ET"
        add(f"{gid}-a", "copy", [stamp, *_copy(rng, a, chrome)], ["updated_line", "byline"])
    elif kind == "shared_statement":
        for cluster, doc_kind, paras, ops in _shared_statement(gid, rng, stories, chrome):
            add(cluster, doc_kind, paras, ops)
    else:
        raise ValueError(f"unknown failure class {kind!r}")
    return docs


#: Failure classes and how many stories each group of that class uses.
CLASSES = {
    "compilation": 2,
    "teaser": 1,
    "junk": 2,
    "write_through": 3,
    "edits": 1,
    "shared_statement": 4,
}
#: Classes whose groups take all their bodies from English pages of sites of one half (by a
#: hash of the host name) and alternate between the halves; the others split by group id.
_BY_SITE = ("shared_statement",)
_ENGLISH = frozenset(("the", "and", "of", "to"))


def _english(paras: Sequence[str]) -> bool:
    words = _WORD.findall(" ".join(paras).lower())
    return sum(w in _ENGLISH for w in words) > 0.05 * len(words)


def failure_classes(wcxb_dir: Path, groups_per_class: int = 40, seed: int = 16) -> list[Doc]:
    """Labelled documents of the failure classes, built from WCXB dev article bodies.

    Every WCXB body is used in at most one group, so groups never share a story. Groups are
    shuffled (seeded), and within a group the order is shuffled too: a compilation page, a
    teaser or a junk page is sometimes the first one published. `half` is "a" or "b" by a hash
    of the group id.
    """
    bodies, chrome, sites = _load_sited_bodies(wcxb_dir)
    rng = random.Random(seed)
    order = list(range(len(bodies)))
    rng.shuffle(order)
    pool = iter(order)
    by_site: dict[str, list[int]] = {}
    groups: list[list[Doc]] = []
    for kind, need in CLASSES.items():
        made = 0
        while made < groups_per_class:
            half = "ab"[made % 2] if kind in _BY_SITE else None
            if half is not None and not by_site:  # the bodies left, by their site's half
                for i in pool:
                    if _english(bodies[i]):
                        by_site.setdefault(half_of(sites[i]), []).append(i)
            queue = by_site.get(half, []) if half is not None else None
            try:
                stories = [
                    bodies[queue.pop(0) if queue is not None else next(pool)] for _ in range(need)
                ]
            except (StopIteration, IndexError):
                break
            gid = f"{kind}{made:03d}"
            docs = _group_docs(gid, random.Random(f"{seed}-{gid}"), kind, stories, chrome)
            if docs:
                for d in docs:
                    d["half"] = half or half_of(gid)
                rng.shuffle(docs)
                groups.append(docs)
                made += 1
    rng.shuffle(groups)
    return [d for g in groups for d in g]


def half_of(name: str) -> str:
    """ "a" or "b" from a hash of a group id or a site: a group is all on one side."""
    return "a" if hashlib.sha256(name.encode()).digest()[0] < 128 else "b"


def write_sets(out_dir: Path, csv_dir: Path | None, wcxb_dir: Path | None) -> dict[str, int]:
    """Write realnews-{a,b,all}.jsonl and failures-{a,b,all}.jsonl; returns docs per file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    sets: dict[str, list[Doc]] = {}
    if csv_dir is not None:
        sets["realnews"] = real_news(csv_dir)
    if wcxb_dir is not None:
        sets["failures"] = failure_classes(wcxb_dir)
    for name, docs in sets.items():
        for part in ("a", "b", "all"):
            chosen = [d for d in docs if part in ("all", d["half"])]
            path = out_dir / f"{name}-{part}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for d in chosen:
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
            written[path.name] = len(chosen)
    return written
