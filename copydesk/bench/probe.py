"""A Scrapy extension for the crawl benchmark: the crawl window, main-process CPU and stats."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

__all__ = ["BenchProbe"]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class BenchProbe:
    """Write the crawl's stats, wall-clock window and main-process CPU to a JSON file.

    Enabled only by the benchmark, through the ``COPYDESK_BENCH_STATS_FILE`` setting.
    """

    def __init__(self, path: Path, stats: StatsCollector) -> None:
        self.path = path
        self.stats = stats
        self.opened = (0.0, 0.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BenchProbe:
        path = crawler.settings.get("COPYDESK_BENCH_STATS_FILE")
        if not path:
            raise NotConfigured("COPYDESK_BENCH_STATS_FILE is not set")
        assert crawler.stats is not None
        probe = cls(Path(path), crawler.stats)
        crawler.signals.connect(probe.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(probe.spider_closed, signal=signals.spider_closed)
        return probe

    def spider_opened(self) -> None:
        self.opened = (time.time(), _cpu_seconds())

    def spider_closed(self, reason: str) -> None:
        now, cpu = time.time(), _cpu_seconds()
        report: dict[str, Any] = {
            "reason": reason,
            "opened_at": self.opened[0],
            "closed_at": now,
            "main_cpu_s": cpu - self.opened[1],
            "stats": self.stats.get_stats(),
        }
        self.path.write_text(json.dumps(report, default=str), encoding="utf-8")
