"""Writer benchmark: articles per second and CPU per article of `copydesk writer`."""

from __future__ import annotations

import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import html

from copydesk.bench.procstat import read_cpu_seconds
from copydesk.bench.redisserver import RedisServer
from copydesk.bench.sitegen import generate_web
from copydesk.dedup import DedupParams, fingerprint
from copydesk.handoff import STREAM, Sender, connect
from copydesk.writer import Writer
from storage.corpus import NewArticle

__all__ = ["make_articles", "run"]


def make_articles(root: Path, count: int) -> tuple[list[NewArticle], int]:
    """``count`` articles as a shard hands them off (text, fingerprint, compressed page) from
    the crawl benchmark's generated web, and how many are planted wire copies."""
    web = generate_web(root, count)
    params = DedupParams()
    out = []
    for site in web.sites:
        for path in site.articles:
            raw = (site.root / path.lstrip("/")).read_bytes()
            body = html.fromstring(raw).xpath("//*[@itemprop='articleBody']//p")
            text = "\n\n".join(p.text_content() for p in body)
            url = f"http://{site.slug}.example{path}"
            out.append(
                NewArticle(
                    id=0,
                    url=url,
                    canonical_url=url,
                    site=f"{site.slug}.example",
                    text=text,
                    title=path.rsplit("/", 1)[-1],
                    published=f"{path.split('/')[2]}-{path.split('/')[3]}-{path.split('/')[4]}",
                    fetched_at="2025-10-01T00:00:00+00:00",
                    text_hash=str(hash(text)),
                    fingerprint=fingerprint(text, params).to_bytes(),
                    html_zlib=zlib.compress(raw, 6),
                )
            )
    return out, web.wire_copies


def run(
    articles: int = 2000,
    rounds: int = 3,
    batch: int = 200,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fill a private Redis's stream with ``articles`` articles, then time one writer storing
    them into a fresh corpus; ``rounds`` times. The writer runs in this process."""
    say = progress or (lambda message: None)
    per_round: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="copydesk-bench-writer-") as tmp:
        root = Path(tmp)
        say(f"generating {articles} articles")
        items, wire = make_articles(root / "web", articles)
        message_kb = (
            statistics.mean(
                len(a.text.encode()) + len(a.html_zlib or b"") + len(a.fingerprint or b"")
                for a in items
            )
            / 1024
        )
        with RedisServer() as server:
            url = f"{server.url}/0"
            for r in range(rounds):
                client = connect(url)
                client.flushall()
                sender = Sender(client, "bench", "1/1", maxlen=len(items) + 1)
                say(f"round {r + 1}/{rounds}: handing off {len(items)} articles")
                t0, redis0 = time.perf_counter(), read_cpu_seconds(server.pid) or 0.0
                for a in items:
                    sender.send(a, {"via": "feed"})
                send_s = time.perf_counter() - t0
                say(f"round {r + 1}/{rounds}: writer")
                redis1 = read_cpu_seconds(server.pid) or 0.0
                with Writer(client, root / f"corpus{r}.db", DedupParams(), batch=batch) as w:
                    wall0, cpu0 = time.perf_counter(), time.process_time()
                    while messages := w.read(block=False):
                        w.handle(messages)
                    totals = w.totals
                    wall = time.perf_counter() - wall0
                    cpu = time.process_time() - cpu0
                redis2 = read_cpu_seconds(server.pid) or 0.0
                assert totals.stored == len(items) and client.xlen(STREAM) == 0
                n = len(items)
                per_round.append(
                    {
                        "articles_per_s": n / wall,
                        "writer_cpu_ms_per_article": 1000 * cpu / n,
                        "redis_cpu_ms_per_article_read": 1000 * (redis2 - redis1) / n,
                        "send_ms_per_article": 1000 * send_s / n,
                        "redis_cpu_ms_per_article_send": 1000 * (redis1 - redis0) / n,
                        "copies": totals.copies,
                    }
                )
    median = {k: round(statistics.median(r[k] for r in per_round), 3) for k in per_round[0]}
    return {
        "articles": len(items),
        "wire_copies_planted": wire,
        "message_kb_mean": round(message_kb, 1),
        "batch": batch,
        "rounds": rounds,
        **median,
        "by_round": [{k: round(v, 3) for k, v in r.items()} for r in per_round],
        "definition": (
            "articles_per_s: a writer (this process) reading a full stream, deduplicating "
            "against the corpus's index, committing to SQLite in batches and confirming, "
            "acknowledging and deleting each batch, from its first read to an empty stream; "
            "writer_cpu_ms_per_article: that process's CPU time; redis_cpu_*: the private "
            "redis-server's CPU while the articles were sent (one bounded XADD each, as a "
            "shard does) and while the writer ran; send_ms_per_article: a shard's wall time "
            "per hand-off on loopback."
        ),
    }
