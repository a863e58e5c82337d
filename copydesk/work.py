"""CPU-heavy page work (extraction, fingerprinting, compression) run in worker processes."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import time
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from copydesk.dedup import DedupParams, fingerprint
from copydesk.extract import ExtractOptions, NotAnArticle, extract

__all__ = ["PagePool", "PageResult", "PageTask", "process_page", "tune_malloc"]

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


def process_page(task: PageTask, options: ExtractOptions, params: DedupParams) -> PageResult:
    """Extract, fingerprint and compress one page; never raises for a bad page."""
    started = time.process_time()
    result = PageResult(url=task.url)
    try:
        extraction = extract(_decode(task.body, task.encoding), task.url, options)
    except NotAnArticle as exc:
        result.reason, result.detail = exc.reason, exc.detail
    else:
        fp = fingerprint(extraction.text, params, title=extraction.title)
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


def _init_worker(options: ExtractOptions, params: DedupParams, malloc: bool = True) -> None:
    global _OPTIONS, _PARAMS
    _OPTIONS, _PARAMS = options, params
    if malloc:
        tune_malloc()


def _run_batch(tasks: list[PageTask]) -> list[PageResult]:
    assert _OPTIONS is not None and _PARAMS is not None, "worker not initialised"
    return [process_page(task, _OPTIONS, _PARAMS) for task in tasks]


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

    Workers call :func:`tune_malloc` unless ``tune_malloc=False``.
    """

    def __init__(
        self,
        options: ExtractOptions,
        params: DedupParams,
        workers: int | None = None,
        *,
        tune_malloc: bool = True,
    ) -> None:
        self.options = options
        self.params = params
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None
        if self.workers > 0:
            # forkserver: never fork a process that runs the reactor's threads.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["copydesk.work"])
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(options, params, tune_malloc),
            )

    def submit(self, tasks: list[PageTask]) -> Future[list[PageResult]]:
        """Process a batch of pages; the future resolves to one result per task, in order."""
        if self._executor is None:
            future: Future[list[PageResult]] = Future()
            future.set_result([process_page(t, self.options, self.params) for t in tasks])
            return future
        return self._executor.submit(_run_batch, tasks)

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
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
