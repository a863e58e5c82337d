"""Scrapy settings of Copydesk: polite defaults for crawling real news sites.

Every Copydesk-specific setting starts with ``COPYDESK_``; docs/settings.md lists them all.
This module is their one home: components read them without fallback defaults.
"""

from __future__ import annotations

import os

from copydesk import __version__

BOT_NAME = "copydesk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
#: ``scrapy crawl`` with a corpus lock and cron-friendly exit codes (crawler/commands/crawl.py).
COMMANDS_MODULE = "crawler.commands"

# -- politeness -------------------------------------------------------------------------------
USER_AGENT = (
    f"Copydesk/{__version__} (+https://github.com/copydesk/copydesk; news research crawler)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy runs this many tasks per response to handle its callback's output; our callbacks
# yield one item (or a list of requests), and the default 100 costs ~2 ms of CPU a page.
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# -- safety (crawler/safety.py) ---------------------------------------------------------------
#: Only http and https: no file://, data:, ftp:// or s3:// download handlers.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
#: Host names answering with a non-public address are refused (and so is a DNS rebind).
TWISTED_DNS_RESOLVER = "crawler.safety.PublicAddressResolver"

# -- components -------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "crawler.safety.RefuseUnsafeRequestsMiddleware": 10,
    # robots.txt answered with 5xx reads as disallow-all (RFC 9309)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.politeness.RobotsTxtUnavailableMiddleware": 100,
    # after the retry middleware (550), so its response is seen first
    "crawler.politeness.RetryAfterMiddleware": 555,
    "crawler.middlewares.SkipStoredArticlesMiddleware": 50,
    "crawler.middlewares.ConditionalGetMiddleware": 60,
}
EXTENSIONS = {
    "crawler.extensions.CorpusExtension": -10,
    "crawler.extensions.CrawlRecorder": 0,
    "crawler.extensions.GarbageCollectorTuning": 1000,
}
ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 300,
    "pipelines.topic.TopicPipeline": 350,
    "pipelines.dedup.DedupPipeline": 400,
    # only with COPYDESK_HANDOFF (multi-machine crawls): replaces dedup and storage
    "pipelines.handoff.HandoffPipeline": 450,
    "pipelines.storage.StoragePipeline": 500,
}

#: Scrapy's memory stats collector without its per-call deprecation wrapper (~5 µs a call).
STATS_CLASS = "crawler.stats.CrawlStatsCollector"

#: Quiet by default: warnings, and one summary line per crawl (``-s LOG_LEVEL=INFO`` for more).
LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"

# -- Copydesk ---------------------------------------------------------------------------------
#: Corpus file; the environment variable of the same name overrides the default.
COPYDESK_DB = os.environ.get("COPYDESK_DB", "corpus.db")
#: A 429 or 503 is retried after the wait its Retry-After asks, when that is at most this many
#: seconds (the site's other requests wait too); a longer wait is not retried in this run.
COPYDESK_RETRY_AFTER_MAX = 120.0
#: Address ranges fetched although not public (CIDR, e.g. ``["10.1.0.0/16"]``); loopback,
#: private, link-local, multicast and reserved addresses are refused otherwise.
COPYDESK_ALLOW_NETWORKS: list[str] = []
#: Extraction worker processes (0: extract in the crawl process; default: one per core).
COPYDESK_EXTRACT_WORKERS = os.cpu_count() or 1
#: Pages sent to a worker at a time.
COPYDESK_EXTRACT_BATCH = 4
#: Workers keep the memory a page frees for the next page (glibc malloc thresholds; see
#: copydesk.work.tune_malloc): fewer page faults, same peak memory.
COPYDESK_MALLOC_TUNING = True
#: What one page may cost an extraction worker (0: no limit): bytes of HTML and opening tags
#: (checked before parsing), seconds, and bytes of memory (address space) a worker may use
#: above its size at start-up. A page over budget is dropped (``page_too_large``,
#: ``too_many_elements``, ``page_timeout``, ``page_memory``); the worker carries on.
COPYDESK_PAGE_MAX_BYTES = 8 * 1024 * 1024
COPYDESK_PAGE_MAX_ELEMENTS = 30_000
COPYDESK_PAGE_TIMEOUT = 30.0
COPYDESK_WORKER_MAX_MEMORY = 512 * 1024 * 1024
#: Pages with less text than this (characters) are dropped as too short.
COPYDESK_MIN_CHARS = 400
#: Pages with more text than this (characters) are dropped as too long (0: no limit).
COPYDESK_MAX_CHARS = 200_000
#: Articles written per SQLite transaction, and the longest an article waits for its commit.
COPYDESK_COMMIT_BATCH = 200
COPYDESK_COMMIT_INTERVAL = 0.1
#: Sections: crawl a site's homepage and section pages for article links when it has no feed
#: or sitemap (``auto``), ``always``, or ``never``; how many links deep from the homepage
#: (the next page of a section is as deep as the section), how many section pages per site,
#: and the highest page number of a paginated section followed.
COPYDESK_SECTIONS = "auto"
COPYDESK_SECTION_DEPTH = 2
COPYDESK_SECTION_PAGES = 50
COPYDESK_SECTION_MAX_PAGE = 10
#: Bounds of a run (0: none): article requests per source, sitemap indexes nested in
#: sitemap indexes, and links taken from one homepage or section page; each counted in the
#: stats (``copydesk/bounds/...``) when it bites.
COPYDESK_MAX_PAGES_PER_SOURCE = 5000
COPYDESK_SITEMAP_DEPTH = 3
COPYDESK_MAX_LINKS_PER_PAGE = 1000
#: URLs rejected for good (not HTML, 404, not an article, outside the window) are not asked
#: for again for this many days.
COPYDESK_RETRY_REJECTED_DAYS = 7
#: Topic crawls keep articles whose relevance to the query reaches this score (0 to 1.5).
COPYDESK_TOPIC_MIN_SCORE = 0.5
#: The dedup index holds the articles published within this window of the newest one
#: (``60d``, ``8w``, ``12h``); an older article is stored with dedup deferred until
#: ``copydesk recluster --window``. Empty: no window (every stored article is compared).
COPYDESK_DEDUP_WINDOW = ""
#: Multi-machine crawls (docs/multi-machine.md): a Redis URL (``redis://HOST:PORT/DB``) to
#: hand articles to a ``copydesk writer`` instead of storing them; COPYDESK_DB is then this
#: crawl shard's own state database. Empty: store articles in COPYDESK_DB (one machine).
COPYDESK_HANDOFF = ""
#: The hand-off stream holds at most this many articles (~60 KB each); crawlers wait when full.
COPYDESK_HANDOFF_MAXLEN = 5000
#: At its end, a crawl waits this long (seconds) for the writer to confirm its last articles.
COPYDESK_HANDOFF_CONFIRM_WAIT = 60.0
