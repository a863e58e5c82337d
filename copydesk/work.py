"""CPU-heavy page work (extraction, fingerprinting, compression) run in worker processes."""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import threading
import time
import traceback
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from copydesk.budget import PageBudget, PageTimeout, die_with, limit_memory, time_limit
from copydesk.dedup import DedupParams, fingerprint
from copydesk.extract import ExtractOptions, NotAnArticle, extract
from copydesk.reasons import Reason

__all__ = [
    "ERROR_REASON",
    "WORKER_DIED",
    "PagePool",
    "PageResult",
    "PageTask",
    "process_page",
    "tune_malloc",
]

#: A page whose worker died twice while it was in it (the pool replaced the worker each time).
WORKER_DIED = Reason.WORKER_DIED
#: A page on which extraction raised an unexpected error (the detail holds the traceback).
ERROR_REASON = Reason.EXTRACT_ERROR

#: glibc ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Allocations below this come from the heap, so they are reused instead of mapped afresh.
MMAP_THRESHOLD = 8 << 20
#: Free memory at the top of the heap kept for the next page instead of returned to the kernel.
TRIM_THRESHOLD = 32 << 20


@dataclass(frozen=True)
class PageTask:
    """One fetched page to process."""

    url: str
    body: bytes
    encoding: str | None = None


@dataclass
class PageResult:
    """The outcome for one page: an extraction with its fingerprint, or a rejection reason."""

    url: str
    extraction: dict[str, Any] | None = None
    reason: str | None = None
    detail: str = ""
    text_hash: str | None = None
    fingerprint: bytes | None = None
    html_zlib: bytes = b""
    cpu_ms: float = 0.0


def _decode(body: bytes, encoding: str | None) -> str | bytes:
    if encoding:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return body  # let trafilatura detect the encoding


def process_page(
    task: PageTask,
    options: ExtractOptions,
    params: DedupParams,
    budget: PageBudget | None = None,
    *,
    timed: bool = False,
) -> PageResult:
    """Extract, fingerprint and compress one page; never raises for a bad page.

    A page over ``budget`` is refused (``page_too_large``, ``too_many_elements``, and in a
    worker ``page_timeout`` when ``timed``, ``page_memory``); any other error on the page
    becomes its result (:data:`ERROR_REASON`, with the traceback as detail), so one page
    never fails the pages it was sent with.
    """
    started = time.process_time()
    result = PageResult(url=task.url)
    budget = budget or PageBudget()
    try:
        over = budget.refusal(task.body)
        if over is not None:
            reason, detail = over
            raise NotAnArticle(reason, detail)
        with time_limit(budget.max_seconds if timed else 0):
            extraction = extract(_decode(task.body, task.encoding), task.url, options)
            fp = fingerprint(extraction.text, params, title=extraction.title)
    except NotAnArticle as exc:
        result.reason, result.detail = exc.reason, exc.detail
    except PageTimeout as exc:
        result.reason, result.detail = Reason.PAGE_TIMEOUT, str(exc)
    except MemoryError:
        result.reason, result.detail = Reason.PAGE_MEMORY, "over the worker's memory budget"
    except Exception:
        result.reason, result.detail = ERROR_REASON, traceback.format_exc()
    else:
        result.extraction = extraction.to_dict()
        result.text_hash = fp.text_hash
        result.fingerprint = fp.to_bytes()
        result.html_zlib = zlib.compress(task.body, 6)
    result.cpu_ms = (time.process_time() - started) * 1000
    return result


def tune_malloc() -> bool:
    """Keep the memory one page's work frees for the next page instead of refaulting it.

    With glibc's default, adaptive thresholds a process that parses page after page hands
    large freed blocks (lxml trees, text buffers) back to the kernel (``munmap``, heap
    trimming) and faults them in again for the next page. On the benchmark web that cost
    200 to 2,700 minor page faults and 0.5 to 5 ms of kernel CPU a page, depending on the
    order the pages arrived in, so extraction cost more in the crawl's workers than in a
    plain loop over the same pages. Fixed thresholds bring it to about 30 faults a page
    and keep at most ``TRIM_THRESHOLD`` of free heap; peak memory is unchanged.

    Call it in a process that does page work (the pool's workers do). Returns False, and
    changes nothing, where the C library has no ``mallopt`` (musl, macOS, Windows).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Setting either threshold also switches off glibc's adaptive adjustment of both.
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


# Per-worker configuration, set once by the pool initializer (configuration only, no state
# that depends on which pages a worker saw).
_OPTIONS: ExtractOptions | None = None
_PARAMS: DedupParams | None = None
_BUDGET: PageBudget | None = None


def _init_worker(
    options: ExtractOptions,
    params: DedupParams,
    malloc: bool = True,
    budget: PageBudget | None = None,
    owner: int = 0,
) -> None:
    global _OPTIONS, _PARAMS, _BUDGET
    _OPTIONS, _PARAMS, _BUDGET = options, params, budget or PageBudget()
    if owner:
        die_with(owner)  # the worker's parent is the fork server: watch the pool's owner
    if malloc:
        tune_malloc()
    # One page first, so the memory cap is measured with every import and cache in place.
    _run_batch([PageTask("http://warm.invalid/page", _WARM_PAGE, "utf-8")])
    limit_memory(_BUDGET.max_memory)


def _run_batch(tasks: list[PageTask]) -> list[PageResult]:
    assert _OPTIONS is not None and _PARAMS is not None, "worker not initialised"
    return [process_page(task, _OPTIONS, _PARAMS, _BUDGET, timed=True) for task in tasks]


#: A small article that exercises extraction, fingerprinting and compression once.
_WARM_PAGE = (
    "<html lang='en'><head><title>Warm-up</title>"
    "<meta property='article:published_time' content='2025-01-01'></head><body><article>"
    "<h1>Warm-up</h1>"
    + "".join(
        f"<p>Paragraph {i} of the page that starts each worker before the crawl begins, "
        "so the first pages of a crawl do not pay for imports and first-call caches.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
).encode()


def _warm(_: int) -> int:
    _run_batch([PageTask("http://warm.invalid/page", _WARM_PAGE, "utf-8")])
    return os.getpid()


class PagePool:
    """A pool of worker processes for :func:`process_page`; ``workers=0`` runs inline.

    Workers call :func:`tune_malloc` unless ``tune_malloc=False``, hold each page to
    ``budget``, and exit when the process that made the pool ends. A worker that dies (killed,
    crashed) breaks the whole executor: the pool replaces it with a fresh one and sends the
    pages that were in it again, one page a batch; a page in a worker that dies again gets
    the result :data:`WORKER_DIED`. ``replacements`` counts the executors replaced.
    """

    def __init__(
        self,
        options: ExtractOptions,
        params: DedupParams,
        workers: int | None = None,
        *,
        tune_malloc: bool = True,
        budget: PageBudget | None = None,
    ) -> None:
        self.options = options
        self.params = params
        self.budget = budget or PageBudget()
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.replacements = 0
        self._lock = threading.Lock()
        self._initargs = (options, params, tune_malloc, self.budget, os.getpid())
        self._executor: ProcessPoolExecutor | None = None
        if self.workers > 0:
            self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        # forkserver: never fork a process that runs the reactor's threads.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["copydesk.work"])
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=self._initargs,
        )

    def submit(self, tasks: list[PageTask]) -> Future[list[PageResult]]:
        """Process a batch of pages; the future resolves to one result per task, in order."""
        future: Future[list[PageResult]] = Future()
        if self._executor is None:
            future.set_result(
                [process_page(t, self.options, self.params, self.budget) for t in tasks]
            )
            return future
        self._send(tasks, future, retry=True)
        return future

    def _send(self, tasks: list[PageTask], future: Future[list[PageResult]], retry: bool) -> None:
        with self._lock:
            executor = self._executor
        if executor is None:  # closed
            future.cancel()
            return
        try:
            inner = executor.submit(_run_batch, tasks)
        except BrokenProcessPool as exc:
            self._broken(executor, exc, tasks, future, retry)
            return

        def done(inner: Future[list[PageResult]]) -> None:
            if inner.cancelled():
                future.cancel()
                return
            error = inner.exception()
            if isinstance(error, BrokenProcessPool):
                self._broken(executor, error, tasks, future, retry)
            elif error is not None:
                future.set_exception(error)  # a bug: the pool itself failed
            else:
                future.set_result(inner.result())

        inner.add_done_callback(done)

    def _broken(
        self,
        executor: ProcessPoolExecutor,
        error: BrokenProcessPool,
        tasks: list[PageTask],
        future: Future[list[PageResult]],
        retry: bool,
    ) -> None:
        """A worker died while these pages were in the pool: replace it, retry them once."""
        with self._lock:
            if self._executor is executor:  # the first batch to notice replaces it
                self._executor = self._new_executor()
                self.replacements += 1
                executor.shutdown(wait=False, cancel_futures=True)
        if not retry:
            future.set_result(
                [PageResult(url=t.url, reason=WORKER_DIED, detail=str(error)) for t in tasks]
            )
            return
        # One page a batch, so a page that kills its worker again costs only itself.
        results: list[PageResult | None] = [None] * len(tasks)
        left = [len(tasks)]

        def collect(index: int, single: Future[list[PageResult]]) -> None:
            if single.cancelled():
                future.cancel()
                return
            error = single.exception()
            if error is not None:
                if not future.done():
                    future.set_exception(error)
                return
            results[index] = single.result()[0]
            with self._lock:
                left[0] -= 1
                last = left[0] == 0
            if last and not future.done():
                future.set_result([r for r in results if r is not None])

        for index, task in enumerate(tasks):
            single: Future[list[PageResult]] = Future()
            single.add_done_callback(functools.partial(collect, index))
            self._send([task], single, retry=False)

    def start(self, timeout: float = 120) -> None:
        """Start every worker and run one page through it, so failures show up at once.

        Blocks until done: call it before the crawl starts.
        """
        if self._executor is None:
            return
        futures = [self._executor.submit(_warm, n) for n in range(self.workers)]
        for future in futures:
            future.result(timeout=timeout)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
