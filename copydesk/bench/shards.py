"""`copydesk bench crawl --shards N`: N shard processes and a writer against one process."""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from copydesk.bench.crawl import CRAWL_SETTINGS, run_crawl
from copydesk.bench.redisserver import RedisServer
from copydesk.bench.server import BenchServer
from copydesk.bench.sitegen import generate_web, sources_toml
from copydesk.handoff import connect, status

__all__ = ["run"]


def _env() -> dict[str, str]:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    env.pop("http_proxy", None)
    return env


def _last_stats(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return json.loads(row[0]) if row and row[0] else {}


def _count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(DISTINCT url) FROM articles").fetchone()[0])
    finally:
        conn.close()


def run_sharded(
    sources: Path, shards: int, workdir: Path, settings: dict[str, str]
) -> dict[str, Any]:
    """One sharded crawl: a private redis-server, a writer and ``shards`` crawl processes
    started together; timed from their start to the last one's exit (each waits for the
    writer's confirmations, so every article is committed by then)."""
    central = workdir / "central.db"
    with RedisServer() as server:
        url = f"{server.url}/0"
        env = _env()
        writer = subprocess.Popen(
            [sys.executable, "-m", "copydesk.cli", "writer", "--redis", url, "--db", str(central)],
            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            started = time.perf_counter()
            children = []
            for k in range(1, shards + 1):
                command = [sys.executable, "-m", "scrapy", "crawl", "news",
                           "-a", f"sources={sources}", "-a", f"shard={k}/{shards}"]  # fmt: skip
                merged = {
                    **CRAWL_SETTINGS,
                    **settings,
                    "COPYDESK_DB": str(workdir / f"shard{k}.db"),
                    "COPYDESK_HANDOFF": url,
                }
                for key, value in merged.items():
                    command += ["-s", f"{key}={value}"]
                log = open(workdir / f"shard{k}.log", "w", encoding="utf-8")  # noqa: SIM115
                children.append(
                    (subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log), log)
                )
            codes = []
            for child, log in children:
                codes.append(child.wait())
                log.close()
            seconds = time.perf_counter() - started
            handoff = status(connect(url))
        finally:
            writer.terminate()
            writer.wait(60)
    if any(codes):
        raise RuntimeError(
            f"a shard crawl failed (exit statuses {codes}); see {workdir}/shard*.log"
        )
    per_shard = [_last_stats(workdir / f"shard{k}.db") for k in range(1, shards + 1)]
    pages = sum(int(s.get("copydesk/pages/fetched", 0)) for s in per_shard)
    # the first spider opened to the last closed (after its final confirmations), as the
    # one-process figure is timed from spider opened to closed
    window = (
        max(datetime.fromisoformat(s["finish_time"]) for s in per_shard)
        - min(datetime.fromisoformat(s["start_time"]) for s in per_shard)
    ).total_seconds()
    return {
        "pages": pages,
        "seconds": window,
        "processes_seconds": seconds,
        "pages_per_s": pages / window,
        "pages_by_shard": [int(s.get("copydesk/pages/fetched", 0)) for s in per_shard],
        "articles_stored": _count(central),
        "left_in_stream": handoff["stream_length"] + handoff["pending"],
    }


def run(
    pages: int = 1000,
    rounds: int = 3,
    shards: int = 2,
    settings: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Generate and serve a local news web; per round, crawl it with one process, then with
    ``shards`` shard processes and a writer, all on this machine."""
    say = progress or (lambda message: None)
    cores = len(os.sched_getaffinity(0))
    # the shards share this machine's cores: their extraction workers too
    shard_settings = {"COPYDESK_EXTRACT_WORKERS": str(max(1, cores // shards)), **(settings or {})}
    single: list[dict[str, Any]] = []
    sharded: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="copydesk-bench-shards-") as tmp:
        root = Path(tmp)
        say(f"generating {pages} pages")
        web = generate_web(root / "web", pages)
        with BenchServer({s.slug: s.root for s in web.sites}) as server:
            sources = root / "sources.toml"
            sources.write_text(sources_toml(web, server.bases), encoding="utf-8")
            for r in range(rounds):
                say(f"round {r + 1}/{rounds}: one process")
                one = root / f"one{r}"
                one.mkdir()
                single.append(run_crawl(sources, one / "corpus.db", settings=settings, workdir=one))
                say(f"round {r + 1}/{rounds}: {shards} shards and a writer")
                many = root / f"shards{r}"
                many.mkdir()
                sharded.append(run_sharded(sources, shards, many, shard_settings))
    one_rate = [s["pages_per_s"] for s in single]
    many_rate = [s["pages_per_s"] for s in sharded]
    return {
        "pages": web.article_count,
        "cores": cores,
        "shards": shards,
        "rounds": rounds,
        "one_process_pages_per_s": round(statistics.median(one_rate), 1),
        "sharded_pages_per_s": round(statistics.median(many_rate), 1),
        "ratio": round(
            statistics.median(m / o for m, o in zip(many_rate, one_rate, strict=True)), 3
        ),
        "by_round": [
            {
                "one_process_pages_per_s": round(o["pages_per_s"], 1),
                "one_process_articles_stored": o["stats"].get("copydesk/articles/stored", 0),
                "sharded_pages_per_s": round(m["pages_per_s"], 1),
                "sharded_articles_stored": m["articles_stored"],
                "pages_by_shard": m["pages_by_shard"],
                "left_in_stream": m["left_in_stream"],
            }
            for o, m in zip(single, sharded, strict=True)
        ],
        "shard_settings": shard_settings,
        "definition": (
            "one process: `scrapy crawl news` with the full pipeline, pages/s from spider "
            "opened to closed; sharded: SHARDS `scrapy crawl news -a shard=K/N` processes with "
            "COPYDESK_HANDOFF and COPYDESK_EXTRACT_WORKERS = cores // shards, plus one "
            "`copydesk writer` and a private redis-server, all on this machine, pages/s from "
            "the first shard's spider opened to the last one's closed (after the writer "
            "confirmed all its articles, so the final wait is included); ratio = sharded / one "
            "process, per round, median. Sites are split by rendezvous hashing, so shards "
            "may get unequal shares (pages_by_shard)."
        ),
    }
