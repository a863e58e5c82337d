"""Labelled wire-copy sets beyond the dev generator: real news, and the four failure classes.

`real_news` joins the reviewed labels in `data/realnews_labels.json` with the two fetched
ArticleComparisons CSVs (the texts stay outside the repository). `failure_classes` builds,
from real article bodies (WCXB dev ground truth), stories with copies plus compilation pages,
teasers, chrome-heavy junk pages, write-throughs and three edits the dev set never makes.
Both split into halves: real news by event, the synthetic set by story group.
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
    bodies: list[list[str]] = []
    chrome: set[str] = set()
    for f in sorted((Path(wcxb_dir) / "ground-truth").glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        gt = d.get("ground_truth") or {}
        chrome.update(s.strip() for s in gt.get("without") or [] if 0 < _words(s) <= 12)
        kind = (d.get("_internal") or {}).get("page_type", {}).get("primary")
        paras = [p.strip() for p in (gt.get("main_content") or "").split("\n\n") if p.strip()]
        if kind == "article" and len(paras) >= 6 and sum(map(_words, paras)) >= min_words:
            bodies.append(paras)
    if not bodies:
        raise FileNotFoundError(f"no article bodies under {wcxb_dir}/ground-truth")
    return bodies, sorted(chrome)


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


def _caption(rng: random.Random, paras: Sequence[str]) -> str:
    names = [w for w in _WORD.findall(" ".join(paras[:3])) if w[:1].isupper() and len(w) > 3]
    who = " ".join(rng.sample(names, 2)) if len(names) >= 2 else "an official"
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
    else:
        raise ValueError(f"unknown failure class {kind!r}")
    return docs


#: Failure classes and how many stories each group of that class uses.
CLASSES = {"compilation": 2, "teaser": 1, "junk": 2, "write_through": 3, "edits": 1}


def failure_classes(wcxb_dir: Path, groups_per_class: int = 40, seed: int = 16) -> list[Doc]:
    """Labelled documents of the failure classes, built from WCXB dev article bodies.

    Every WCXB body is used in at most one group, so groups never share a story. Groups are
    shuffled (seeded), and within a group the order is shuffled too: a compilation page, a
    teaser or a junk page is sometimes the first one published. `half` is "a" or "b" by a hash
    of the group id.
    """
    bodies, chrome = load_bodies(wcxb_dir)
    rng = random.Random(seed)
    order = list(range(len(bodies)))
    rng.shuffle(order)
    pool = iter(order)
    groups: list[list[Doc]] = []
    for kind, need in CLASSES.items():
        made = 0
        while made < groups_per_class:
            try:
                stories = [bodies[next(pool)] for _ in range(need)]
            except StopIteration:
                break
            gid = f"{kind}{made:03d}"
            docs = _group_docs(gid, random.Random(f"{seed}-{gid}"), kind, stories, chrome)
            if docs:
                rng.shuffle(docs)
                groups.append(docs)
                made += 1
    rng.shuffle(groups)
    out = [d for g in groups for d in g]
    for d in out:
        d["half"] = half_of(d["group"])
    return out


def half_of(group: str) -> str:
    """ "a" or "b" from a hash of a group id: a group is all on one side."""
    return "a" if hashlib.sha256(group.encode()).digest()[0] < 128 else "b"


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
