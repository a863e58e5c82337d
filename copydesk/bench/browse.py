"""Browse benchmark: a big synthetic corpus served by `copydesk serve`, every page timed.

The corpus is written through the storage layer (`Corpus.bulk_load`: the project's own schema,
with its indexes, search index and summaries built once at the end, as the triggers would keep
them) and has the shape of two years of crawling: 200
sites of very different volume, one article after another in publication order, about 12% wire
copies of an earlier article on other sites (exact, near and cut-down copies), one or two
authors from each site's staff, five languages, texts of a few hundred words drawn from a
Zipf-distributed vocabulary so that full-text search matches what it would match in real text.

The server runs in a child process (`python -m copydesk.cli serve`), the way a user runs it;
each page is fetched once to warm up (reported as ``first_ms``), then ``repeat`` times. While
the pages are timed, a thread writes batches of articles into the same corpus as a crawl does
and reports how long its transactions took (they are deleted again at the end).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.queues
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from storage.corpus import Corpus, NewArticle
from storage.summaries import browse_targets

__all__ = ["build", "default_db", "pages", "run", "search_words", "synthetic_articles"]

SITES = 200
DAYS = 730
COPY_SHARE = 0.12
LANGUAGES = (("en", 70), ("de", 10), ("fr", 8), ("es", 7), ("it", 5))
_END = datetime(2026, 11, 30, tzinfo=UTC)
_WRITE_BATCH = 10_000
_SYLLABLES = (
    "ka ro mi ta ne lu sa vo pe di an el or um is ba co de fa ge hi jo ki la mo nu pa qu re "
    "si to va we xi ya zo ber con dis ent for gra han ist lin mar nor pol ran ster tor ver"
)


def default_db(articles: int) -> Path:
    """Where the corpus of ``articles`` articles is kept between runs."""
    return Path(tempfile.gettempdir()) / f"copydesk-bench-browse-{articles}.db"


def _vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    syllables = _SYLLABLES.split()
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))] = None
    return list(words)


class _Writer:
    """Draws synthetic article text from a Zipf vocabulary.

    Words are drawn by numpy a million at a time (drawing them one by one in Python was most
    of the time a 10-million-article corpus took to build); structure (paragraph and sentence
    lengths) comes from ``rng``.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocab = _vocabulary(rng)
        weights = np.array([1.0 / (rank + 1) ** 1.05 for rank in range(len(self.vocab))])
        self.cum = np.cumsum(weights / weights.sum())
        self._draw = np.random.default_rng(rng.getrandbits(64))
        self._buffer: list[int] = []
        self._at = 0

    def words(self, k: int) -> list[str]:
        if self._at + k > len(self._buffer):
            drawn = np.searchsorted(self.cum, self._draw.random(max(k, 1_000_000)), side="right")
            self._buffer = np.minimum(drawn, len(self.vocab) - 1).tolist()
            self._at = 0
        at, self._at = self._at, self._at + k
        vocab = self.vocab
        return [vocab[i] for i in self._buffer[at : at + k]]

    def title(self) -> str:
        return " ".join(self.words(self.rng.randint(6, 10))).capitalize()

    def text(self) -> str:
        paragraphs = []
        for _ in range(self.rng.randint(4, 9)):
            sentences = []
            for _ in range(self.rng.randint(2, 4)):
                sentences.append(" ".join(self.words(self.rng.randint(8, 18))).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def _sites(rng: random.Random, writer: _Writer) -> list[tuple[str, float, list[str], str, int]]:
    """(host, volume weight, staff, language, UTC offset in hours) of each site."""
    sites: list[tuple[str, float, list[str], str, int]] = []
    names: set[str] = set()
    languages = [code for code, weight in LANGUAGES for _ in range(weight)]
    while len(sites) < SITES:
        host = (
            f"{rng.choice(writer.vocab)}-{rng.choice(('news', 'post', 'herald', 'times'))}.example"
        )
        if host in names:
            continue
        names.add(host)
        staff = [
            f"{w1.capitalize()} {w2.capitalize()}"
            for w1, w2 in zip(writer.words(6), writer.words(6), strict=True)
        ]
        rank = len(sites) + 1
        sites.append(
            (host, 1.0 / rank**0.9, staff, rng.choice(languages), rng.choice((0, 0, 1, 2, -5)))
        )
    return sites


def synthetic_articles(n: int, seed: int = 18) -> Iterator[NewArticle]:
    """``n`` articles in publication order over two years (ids in the same order)."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    sites = _sites(rng, writer)
    cum_sites = list(_accumulate([s[1] for s in sites]))
    start = _END - timedelta(days=DAYS)
    step = DAYS * 86400 / max(n, 1)
    # Wire originals of about the last two days: copies follow within hours or days.
    wire: deque[tuple[int, str, str, str]] = deque(maxlen=max(10, n * 2 // (DAYS * 10)))
    for i in range(1, n + 1):
        when = start + timedelta(seconds=step * i + rng.uniform(0, step))
        host, _, staff, language, offset = rng.choices(sites, cum_weights=cum_sites)[0]
        tz = timezone(timedelta(hours=offset))
        published = when.astimezone(tz).isoformat(timespec="seconds")
        fetched = (when + timedelta(minutes=rng.randint(2, 90))).isoformat(timespec="seconds")
        duplicate_of = relation = similarity = containment = None
        if wire and rng.random() < COPY_SHARE:
            source_id, source_site, title, text = rng.choice(wire)
            while host == source_site:
                host, _, staff, language, offset = rng.choices(sites, cum_weights=cum_sites)[0]
            paragraphs = text.split("\n\n")
            relation = rng.choice(("exact", "near", "near", "contained"))
            if relation == "near":
                paragraphs[-1] = " ".join(writer.words(20)).capitalize() + "."
            elif relation == "contained":
                paragraphs = paragraphs[: max(2, len(paragraphs) * 2 // 3)]
            text = "\n\n".join(paragraphs)
            duplicate_of, similarity, containment = source_id, rng.uniform(0.8, 1.0), 1.0
        else:
            title, text = writer.title(), writer.text()
            if rng.random() < 0.1:
                wire.append((i, host, title, text))
        slug = "-".join(title.lower().split()[:5])
        url = f"https://{host}/{when:%Y/%m/%d}/{slug}-{i}"
        yield NewArticle(
            id=i,
            url=url,
            canonical_url=url,
            site=host,
            source=host.split(".")[0],
            title=title,
            text=text,
            published=published,
            authors=rng.sample(staff, rng.choice((1, 1, 2))),
            language=language,
            site_name=host.split(".")[0].replace("-", " ").title(),
            fetched_at=fetched,
            text_hash=hashlib.blake2b(text.encode(), digest_size=8).hexdigest(),
            duplicate_of=duplicate_of,
            relation=relation,
            similarity=similarity,
            containment=containment,
            extractor_version="bench",
        )


def _produce(n: int, batch: int, out: multiprocessing.queues.Queue[Any]) -> None:
    """Child process of :func:`build`: the synthetic articles in batches, then ``None``."""
    chunk: list[NewArticle] = []
    for article in synthetic_articles(n):
        chunk.append(article)
        if len(chunk) >= batch:
            out.put(chunk)
            chunk = []
    if chunk:
        out.put(chunk)
    out.put(None)


def build(db: Path, n: int, progress: Callable[[str], None] = lambda _: None) -> float:
    """Write ``n`` synthetic articles into a new corpus at ``db``; seconds it took.

    The articles are drawn in a second process while this one stores them with
    `Corpus.bulk_load` (indexes, search index and summaries built once at the end).
    """
    began = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    batches: multiprocessing.queues.Queue[Any] = context.Queue(maxsize=4)
    producer = context.Process(target=_produce, args=(n, _WRITE_BATCH, batches), daemon=True)
    producer.start()
    try:
        with Corpus(db) as corpus:
            corpus.set_cache_mb(1024)
            crawl_id = corpus.start_crawl("bench-browse", {"articles": n})

            def received() -> Iterator[list[NewArticle]]:
                while (chunk := batches.get()) is not None:
                    for article in chunk:
                        article.crawl_id = crawl_id
                    yield chunk

            def report(message: str) -> None:
                progress(f"{message} ({time.perf_counter() - began:.0f} s)")

            stored = corpus.bulk_load(received(), report)
            corpus.finish_crawl(
                crawl_id,
                finish_reason="finished",
                pages_fetched=stored,
                articles_stored=stored,
                duplicates=0,
                dropped={},
                errors=0,
                stats={},
            )
    finally:
        producer.join(timeout=10)
        if producer.is_alive():
            producer.kill()
    return time.perf_counter() - began


def search_words() -> list[str]:
    """Two words the searches look for: the 100th and 150th most frequent of the vocabulary,
    each in about one text in six, both together in a few percent (as a two-word news search)."""
    vocab = _Writer(random.Random(18)).vocab
    return [vocab[100], vocab[150]]


def pages(db: Path) -> dict[str, str]:
    """Name -> URL path of every page a user opens, for the corpus at ``db``."""
    name = urllib.parse.quote(db.stem)
    with Corpus(db, create=False) as corpus:
        targets = browse_targets(corpus.db.conn)
    story = targets.story_id or 1
    site = urllib.parse.quote(targets.site or "")
    q = urllib.parse.urlencode({"q": " ".join(search_words())})
    return {
        "front": "/",
        "database": f"/{name}",
        "articles": f"/{name}/articles",
        "articles_view": f"/{name}/articles_view",
        "articles_by_site": f"/{name}/articles?site={site}",
        "site_days": f"/{name}/site_days",
        "query_wire_stories": f"/{name}/wire_stories",
        "query_article_copies": f"/{name}/article_copies?id={story}",
        "query_search": f"/{name}/search?{q}&since=&until=",
        "query_site_volume": f"/{name}/site_volume",
        "query_latest_crawls": f"/{name}/latest_crawls",
        "search_best": f"/{name}/-/search?{q}&order=best",
        "search_newest": f"/{name}/-/search?{q}&order=newest",
        "article": f"/{name}/-/article/{targets.copy_id or story}",
        "wire_story": f"/{name}/-/wire/{story}",
        "site": f"/{name}/-/site/{site}",
        "articles_json": f"/{name}/articles.json?_shape=array&_size=50",
        "articles_csv": f"/{name}/articles.csv?_size=50",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fetch(url: str) -> tuple[int, float, int, bool]:
    """(status, milliseconds, bytes, timed out) of one GET."""
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body = exc.read()
        status = exc.code
    ms = (time.perf_counter() - began) * 1000
    text = body.decode("utf-8", "replace")
    timed_out = "took too long" in text or "facets timed out" in text
    return status, ms, len(body), timed_out


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return round(ordered[min(rank, len(ordered)) - 1], 1)


class _BackgroundWriter(threading.Thread):
    """Writes small batches of articles while the pages are timed, as a crawl would."""

    def __init__(self, db: Path, first_id: int) -> None:
        super().__init__(name="bench-browse-writer", daemon=True)
        self.db = db
        self.next_id = first_id
        self.stop = threading.Event()
        self.batches_ms: list[float] = []
        self.ids: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Corpus(self.db, create=False) as corpus:
                template = next(synthetic_articles(1, seed=99))
                while not self.stop.wait(0.2):
                    batch = []
                    for _ in range(20):
                        i = self.next_id
                        self.next_id += 1
                        url = f"https://bench-writer.example/{i}"
                        batch.append(
                            NewArticle(
                                **{
                                    **template.__dict__,
                                    "id": i,
                                    "url": url,
                                    "canonical_url": url,
                                    "site": "bench-writer.example",
                                    "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                }
                            )
                        )
                    began = time.perf_counter()
                    corpus.write(batch)
                    self.batches_ms.append((time.perf_counter() - began) * 1000)
                    self.ids.extend(a.id for a in batch)
                if self.ids:
                    corpus.delete_articles(self.ids)
        except BaseException as exc:  # reported by run() below
            self.error = exc


def run(
    db: Path | None,
    articles: int,
    repeat: int = 20,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Build (or reuse) the corpus, serve it, time every page; the figures as a dict."""
    db = db or default_db(articles)
    build_seconds = None
    if db.exists():
        with Corpus(db, create=False) as corpus:
            unfinished = corpus.get_meta(Corpus.BULK_LOAD_MARK) is not None
        if unfinished:
            progress(f"{db} was left half-built by a killed run: building it again")
            for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                leftover.unlink(missing_ok=True)
    if not db.exists():
        progress(f"building {articles:,} articles into {db}")
        build_seconds = round(build(db, articles, progress), 1)
    with Corpus(db, create=False) as corpus:
        stored = corpus.max_article_id()
    paths = pages(db)
    port = _free_port()
    # The server logs to a file, not a pipe: a full pipe would stall it.
    with tempfile.TemporaryFile(mode="w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "copydesk.cli", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        writer = _BackgroundWriter(db, stored + 1)
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=5).close()
                    break
                except OSError as exc:
                    if server.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"copydesk serve exited: {log.read()[-2000:]}") from exc
                    time.sleep(0.1)
            else:
                raise RuntimeError("copydesk serve did not answer within a minute")
            writer.start()
            results: dict[str, Any] = {}
            for name, path in paths.items():
                progress(f"timing {name}")
                first = _fetch(base + path)
                runs = [_fetch(base + path) for _ in range(repeat)]
                times = [r[1] for r in runs]
                failures = sum(1 for r in [first, *runs] if r[0] != 200 or r[3])
                results[name] = {
                    "path": path,
                    "status": sorted({r[0] for r in [first, *runs]}),
                    "first_ms": round(first[1], 1),
                    "p50_ms": _percentile(times, 0.5),
                    "p95_ms": _percentile(times, 0.95),
                    "bytes": runs[-1][2],
                    "failures": failures,
                }
        finally:
            writer.stop.set()
            if writer.is_alive():
                writer.join()
            server.terminate()
            server.wait(timeout=30)
    if writer.error is not None:
        raise RuntimeError(f"the background writer failed: {writer.error}")
    size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    return {
        "articles": stored,
        "db": str(db),
        "db_bytes": size,
        "built_seconds": build_seconds,
        "repeat": repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "failures": sum(r["failures"] for r in results.values()),
        "slowest_p95_ms": max(r["p95_ms"] for r in results.values()),
        "writer_while_serving": {
            "batches": len(writer.batches_ms),
            "articles_per_batch": 20,
            "max_ms": round(max(writer.batches_ms), 1) if writer.batches_ms else None,
            "p50_ms": _percentile(writer.batches_ms, 0.5) if writer.batches_ms else None,
        },
        "pages": results,
    }
