"""`copydesk writer`: the one writer of a multi-machine crawl (see docs/multi-machine.md)."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

import click
import redis

from copydesk.cli import DB_OPTION, cli, echo_json, resolve_db
from copydesk.dedup import DedupParams
from copydesk.dedup.order import WindowError, window_us
from copydesk.handoff import HandoffError, connect
from copydesk.writer import Writer
from crawler import settings as crawl_settings
from crawler.lock import Locked
from storage.corpus import CorpusError

#: EX_TEMPFAIL, as for a crawl: another writer holds the corpus.
EXIT_LOCKED = 75


@cli.command("writer")
@click.option(
    "--redis", "redis_url", required=True, help="The hand-off Redis: redis://HOST:PORT/DB."
)
@DB_OPTION
@click.option("--batch", type=int, default=200, show_default=True, help="Articles per transaction.")
@click.option(
    "--window",
    default=crawl_settings.COPYDESK_DEDUP_WINDOW,
    show_default="COPYDESK_DEDUP_WINDOW: no window",
    help="Publication window of the dedup index (60d, 8w); set it as the crawls set "
    "COPYDESK_DEDUP_WINDOW. Older articles are stored with dedup deferred.",
)
@click.option(
    "--idle-exit",
    type=float,
    default=None,
    help="Exit once no article arrived for this many seconds (default: run until stopped).",
)
def writer_command(
    redis_url: str, db_path: Path | None, batch: int, window: str, idle_exit: float | None
) -> None:
    """Store the articles crawl shards hand off through Redis into the corpus.

    Deduplicates with the corpus's own index, commits in batches, then confirms each article
    to the shard that sent it and acknowledges it. Stops cleanly on SIGTERM or Ctrl-C after
    the batch at hand; restarted after a crash, it first finishes what it had read. Exit
    status 1 when Redis or the corpus cannot be used, 75 when another writer holds the corpus.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    db = resolve_db(db_path)
    stop = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    saved = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        window_micros = window_us(window)
    except WindowError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from exc
    try:
        client = connect(redis_url)
        with Writer(client, db, DedupParams(), batch=batch, window=window_micros) as writer:
            totals = writer.run(idle_exit=idle_exit, should_stop=lambda: stop)
    except Locked as exc:
        click.echo(f"copydesk: {exc}; not starting a second writer", err=True)
        sys.exit(EXIT_LOCKED)
    except (HandoffError, CorpusError) as exc:
        raise click.ClickException(str(exc)) from exc
    except redis.RedisError as exc:
        raise click.ClickException(
            f"lost Redis ({exc}); what was committed is kept: start the writer again once Redis "
            "answers, it first finishes what it had read"
        ) from exc
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    echo_json(
        {
            "read": totals.read,
            "stored": totals.stored,
            "known": totals.known,
            "copies": totals.copies,
        }
    )
