"""Workers that survive: page budgets, one page's error, killed workers, orphans."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest

from copydesk.bench.sitegen import generate_web
from copydesk.budget import PageBudget
from copydesk.dedup import DedupParams
from copydesk.extract import ExtractOptions
from copydesk.work import ERROR_REASON, WORKER_DIED, PagePool, PageTask, process_page


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    web = generate_web(tmp_path_factory.mktemp("web"), 6, sites=1)
    site = web.sites[0]
    return [(site.root / p.lstrip("/")).read_bytes() for p in site.articles]


def paragraphs_page(n: int) -> bytes:
    """``n`` tiny paragraphs: cheap to send, costly to extract without a budget."""
    return (
        b"<html><head><title>Many</title></head><body><article>"
        + b"<p>w</p>" * n
        + b"</article></body></html>"
    )


def one_line_page(size: int) -> bytes:
    return b"<html><body><p>" + b"word " * (size // 5) + b"</p></body></html>"


def test_pages_over_the_cheap_budgets_are_refused_before_parsing() -> None:
    budget = PageBudget(max_bytes=8 << 20, max_elements=30_000)
    options, params = ExtractOptions(), DedupParams()
    big = process_page(
        PageTask("http://a.test/big", one_line_page(9 << 20)), options, params, budget
    )
    many = process_page(
        PageTask("http://a.test/many", paragraphs_page(100_000)), options, params, budget
    )
    assert (big.reason, many.reason) == ("page_too_large", "too_many_elements")
    assert "elements" in many.detail


def test_a_page_over_its_time_budget_is_stopped() -> None:
    budget = PageBudget(max_seconds=1.0)
    page = PageTask("http://a.test/slow", paragraphs_page(29_000))  # ~6 s of extraction
    result = process_page(page, ExtractOptions(), DedupParams(), budget, timed=True)
    assert result.reason == "page_timeout", result.reason


def test_an_unexpected_error_fails_only_its_page(pages: list[bytes]) -> None:
    tasks = [
        PageTask("http://a.test/1", pages[0], "utf-8"),
        PageTask("http://a.test/bad", None),  # type: ignore[arg-type]
        PageTask("http://a.test/2", pages[1], "utf-8"),
    ]
    pool = PagePool(ExtractOptions(), DedupParams(), workers=1)
    try:
        results = pool.submit(tasks).result(timeout=120)
    finally:
        pool.close()
    assert [r.reason for r in results] == [None, ERROR_REASON, None]
    assert "Traceback" in results[1].detail and "NoneType" in results[1].detail


def test_a_page_over_the_memory_budget_fails_alone(pages: list[bytes]) -> None:
    # 29,000 paragraphs pass the element budget; extracting them takes more than 128 MiB over
    # a warm worker (extractor 11; 10,000 took ~60 MiB, too near this budget to fail surely)
    budget = PageBudget(max_elements=30_000, max_memory=96 << 20)
    tasks = [
        PageTask("http://a.test/hog", paragraphs_page(29_000)),
        PageTask("http://a.test/1", pages[0], "utf-8"),
    ]
    pool = PagePool(ExtractOptions(), DedupParams(), workers=1, budget=budget)
    try:
        results = pool.submit(tasks).result(timeout=300)
        again = pool.submit(tasks[1:]).result(timeout=120)
    finally:
        pool.close()
    assert results[0].reason == "page_memory", results[0].detail[-500:]
    assert results[1].reason is None and again[0].reason is None
    assert pool.replacements == 0


def _workers(pool: PagePool) -> list[int]:
    executor = pool._executor
    processes = getattr(executor, "_processes", None) or {}
    return [pid for pid in list(processes) if pid]


def test_a_killed_worker_is_replaced_and_its_pages_retried(pages: list[bytes]) -> None:
    tasks = [PageTask(f"http://a.test/{n}", body, "utf-8") for n, body in enumerate(pages)]
    pool = PagePool(ExtractOptions(), DedupParams(), workers=1)
    try:
        pool.start()
        (worker,) = _workers(pool)
        future = pool.submit(tasks * 4)
        os.kill(worker, signal.SIGKILL)
        results = future.result(timeout=300)
        assert pool.replacements == 1
        assert [r.url for r in results] == [t.url for t in tasks * 4]
        assert all(r.reason is None for r in results)
        assert pool.submit(tasks[:1]).result(timeout=120)[0].reason is None
    finally:
        pool.close()


def test_a_page_whose_worker_dies_twice_is_counted_and_the_pool_goes_on(
    pages: list[bytes],
) -> None:
    tasks = [PageTask(f"http://a.test/{n}", body, "utf-8") for n, body in enumerate(pages[:2])]
    pool = PagePool(ExtractOptions(), DedupParams(), workers=1)
    stop = threading.Event()

    def killer() -> None:  # kill every worker the pool starts until the batch is answered
        while not stop.is_set():
            for pid in _workers(pool):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    try:
        pool.start()
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        results = pool.submit(tasks).result(timeout=300)
        stop.set()
        thread.join()
        assert [r.reason for r in results] == [WORKER_DIED, WORKER_DIED]
        assert pool.replacements >= 2
        assert pool.submit(tasks[:1]).result(timeout=120)[0].reason is None
    finally:
        stop.set()
        pool.close()
