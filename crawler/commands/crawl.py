"""``scrapy crawl`` with a corpus lock and exit codes that tell cron what happened."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from copydesk.handoff import HandoffError, connect
from crawler.extensions import EXIT_BROKEN_SOURCE, EXIT_FAILED, EXIT_OK
from crawler.lock import Locked
from crawler.sources import SourcesError
from crawler.spiders.news import check_settings
from crawler.window import WindowError
from storage.corpus import CorpusError, check_corpus, default_db_path

__all__ = ["EXIT_LOCKED", "EXIT_USAGE", "Command"]

logger = logging.getLogger(__name__)

EXIT_USAGE = 2
#: EX_TEMPFAIL from sysexits.h: another crawl holds the corpus; try again later.
EXIT_LOCKED = 75

EXIT_CODES = f"""
Exit status: {EXIT_OK} the crawl finished and every source is healthy; {EXIT_FAILED} the crawl
failed (could not start: a corrupt corpus, a COPYDESK_DB folder that cannot be made, the
COPYDESK_HANDOFF Redis unreachable; or ended for another reason than finishing); {EXIT_USAGE}
bad arguments or settings; {EXIT_BROKEN_SOURCE} the crawl finished but a source is broken (its
feed, sitemap or page callbacks raised, it yields nothing, answers with challenge or consent
pages, or dropped sharply below its usual volume);
{EXIT_LOCKED} another crawl of the same corpus is running (nothing was done).
"""


class Command(ScrapyCrawl):
    """Run a spider; hold ``<corpus>.lock``; exit with a status a cron job can act on."""

    def long_desc(self) -> str:
        return "Run a Copydesk spider (news, topic) against the corpus COPYDESK_DB.\n" + EXIT_CODES

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: news or topic")
        assert self.crawler_process is not None and self.settings is not None
        spidercls = self.crawler_process.spider_loader.load(args[0])
        try:  # argument and setting errors are usage errors, reported before anything starts
            spidercls(**opts.spargs)
            check_settings(self.settings)
        except (SourcesError, WindowError) as exc:
            raise UsageError(str(exc), print_help=False) from exc
        try:  # a corrupt corpus or a folder that cannot be made: one line, before the lock
            check_corpus(default_db_path(self.settings.get("COPYDESK_DB")))
        except (CorpusError, OSError) as exc:
            sys.stderr.write(f"copydesk: {exc}\n")
            self.exitcode = EXIT_FAILED
            return
        handoff = self.settings.get("COPYDESK_HANDOFF")
        if handoff:  # an unreachable hand-off Redis is reported before anything starts
            try:
                connect(handoff).close()
            except HandoffError as exc:
                sys.stderr.write(f"copydesk: {exc}\n")
                self.exitcode = EXIT_FAILED
                return
        # The corpus extension takes the corpus lock as the crawl starts, before any request.
        locked: list[BaseException] = []

        def note_locked(failure: Failure) -> Failure | None:
            if failure.check(Locked):
                locked.append(failure.value)
                return None
            return failure

        def task_done(task: asyncio.Future[Any]) -> None:
            error = None if task.cancelled() else task.exception()
            if isinstance(error, Locked):
                locked.append(error)
            elif error is not None:  # retrieved here, so logged here
                logger.error("The crawl could not start", exc_info=error)

        crawler = self._create_crawler(spidercls)
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, Deferred):
            started.addErrback(note_locked)
        elif isinstance(started, asyncio.Future):
            started.add_done_callback(task_done)
        self.crawler_process.start()
        if locked:
            sys.stderr.write(f"copydesk: {locked[0]}; not starting a second one\n")
            self.exitcode = EXIT_LOCKED
            return
        status = crawler.stats.get_value("copydesk/exit_status") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or status is None:
            self.exitcode = EXIT_FAILED
        else:
            self.exitcode = int(status)
