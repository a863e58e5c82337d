"""Scrapy settings of Copydesk: polite defaults for crawling real news sites.

Every Copydesk-specific setting starts with ``COPYDESK_``; the README lists them all.
"""

from __future__ import annotations

import os

from copydesk import __version__

BOT_NAME = "copydesk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- politeness -------------------------------------------------------------------------------
USER_AGENT = (
    f"Copydesk/{__version__} (+https://github.com/copydesk/copydesk; news research crawler)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
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

# -- components -------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SkipStoredArticlesMiddleware": 50,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRecorder": 0,
}
ITEM_PIPELINES = {
    "pipelines.extraction.ExtractionPipeline": 300,
    "pipelines.dedup.DedupPipeline": 400,
    "pipelines.storage.StoragePipeline": 500,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# -- Copydesk ---------------------------------------------------------------------------------
#: Corpus file; the environment variable of the same name overrides the default.
COPYDESK_DB = os.environ.get("COPYDESK_DB", "corpus.db")
#: Extraction worker processes (0: extract in the crawl process; default: one per core).
COPYDESK_EXTRACT_WORKERS = os.cpu_count() or 1
#: Pages sent to a worker at a time.
COPYDESK_EXTRACT_BATCH = 4
#: Pages with less text than this (characters) are dropped as too short.
COPYDESK_MIN_CHARS = 400
#: Articles written per SQLite transaction, and the longest an article waits for its commit.
COPYDESK_COMMIT_BATCH = 200
COPYDESK_COMMIT_INTERVAL = 0.5
