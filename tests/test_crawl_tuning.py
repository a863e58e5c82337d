"""Crawl-process tuning that must not change what a crawl does: the garbage collector."""

from __future__ import annotations

import gc

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.extensions import GarbageCollectorTuning
from crawler.sources import site_of
from crawler.stats import CrawlStatsCollector
from crawler.urls import canonicalize


def test_gc_tuning_freezes_startup_objects_and_restores_everything() -> None:
    before = gc.get_threshold()
    tuning = GarbageCollectorTuning(threshold=4321)
    tuning.spider_opened()
    try:
        assert gc.get_threshold() == (4321, *before[1:])
        assert gc.get_freeze_count() > 1000  # modules, functions, this test's objects
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # cycles made during the crawl are still collected
    finally:
        tuning.spider_closed()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    tuning.spider_closed()  # a second close is harmless
    assert gc.get_threshold() == before


def test_canonicalize_is_memoised_and_unchanged() -> None:
    url = "HTTP://WWW.Example.COM:80/a/b.html?utm_source=x&b=2&a=1#frag"
    first = canonicalize(url)
    hits = canonicalize.cache_info().hits
    assert canonicalize(url) == first
    assert canonicalize.cache_info().hits == hits + 1
    assert canonicalize.cache_info().maxsize is not None  # bounded
    assert canonicalize.__wrapped__(url) == first


def test_crawl_stats_collector_counts_like_scrapys() -> None:
    assert settings.STATS_CLASS == "crawler.stats.CrawlStatsCollector"
    collected = []
    for cls in (MemoryStatsCollector, CrawlStatsCollector):
        stats = cls(get_crawler())
        stats.open_spider()
        stats.inc_value("a")
        stats.inc_value("a", 2)
        stats.inc_value("b", start=10)
        stats.set_value("c", "x")
        stats.max_value("m", 3)
        stats.max_value("m", 1)
        stats.min_value("n", 3)
        stats.min_value("n", 1)
        assert stats.get_value("a") == 3 and stats.get_value("zz", 7) == 7
        collected.append(dict(stats.get_stats()))
    assert collected[0] == collected[1] == {"a": 3, "b": 11, "c": "x", "m": 3, "n": 1}


def test_site_of_is_memoised_and_unchanged() -> None:
    url = "https://www.Example.com:8443/news/a.html"
    assert site_of(url) == site_of.__wrapped__(url) == "example.com:8443"
    hits = site_of.cache_info().hits
    assert site_of(url) == "example.com:8443"
    assert site_of.cache_info().hits == hits + 1
    assert site_of.cache_info().maxsize is not None  # bounded
