"""Page work in worker processes: extraction, fingerprint and compression, in order."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from copydesk.bench.sitegen import generate_web
from copydesk.dedup import DedupParams, Fingerprint
from copydesk.extract import ExtractOptions
from copydesk.work import PagePool, PageTask, process_page

from .conftest import REPO


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    web = generate_web(tmp_path_factory.mktemp("web"), 6, sites=1)
    site = web.sites[0]
    return [(site.root / p.lstrip("/")).read_bytes() for p in site.articles]


def test_process_page_extracts_fingerprints_and_compresses(pages: list[bytes]) -> None:
    result = process_page(
        PageTask("http://a.test/1", pages[0], "utf-8"), ExtractOptions(), DedupParams()
    )
    assert result.reason is None and result.extraction is not None
    assert len(result.extraction["text"]) > 400
    assert result.extraction["title"]
    assert zlib.decompress(result.html_zlib) == pages[0]
    assert result.fingerprint is not None and result.text_hash
    Fingerprint.from_bytes(result.fingerprint)  # a valid fingerprint


def test_process_page_rejects_a_non_article() -> None:
    page = b"<html><body><nav><a href='/'>Home</a></nav><p>Short.</p></body></html>"
    result = process_page(PageTask("http://a.test/x", page), ExtractOptions(), DedupParams())
    assert result.extraction is None and result.reason
    assert result.html_zlib == b"" and result.fingerprint is None


@pytest.mark.parametrize("workers", [0, 1])
def test_pool_returns_one_result_per_task_in_order(pages: list[bytes], workers: int) -> None:
    tasks = [PageTask(f"http://a.test/{n}", body, "utf-8") for n, body in enumerate(pages)]
    tasks.insert(2, PageTask("http://a.test/empty", b"   "))
    pool = PagePool(ExtractOptions(), DedupParams(), workers=workers)
    try:
        pool.start()
        results = pool.submit(tasks).result(timeout=120)
    finally:
        pool.close()
    assert [r.url for r in results] == [t.url for t in tasks]
    assert results[2].reason == "empty"
    inline = [process_page(t, ExtractOptions(), DedupParams()) for t in tasks]
    assert [r.text_hash for r in results] == [r.text_hash for r in inline]


def test_pool_start_runs_every_worker_once() -> None:
    pool = PagePool(ExtractOptions(), DedupParams(), workers=2)
    try:
        pool.start()
        assert pool._executor is not None
        pids = set(pool._executor._processes)
        assert len(pids) == 2 and os.getpid() not in pids
    finally:
        pool.close()


def test_pages_from_the_generator_are_realistic(tmp_path: Path) -> None:
    web = generate_web(tmp_path, 12, sites=2)
    assert web.article_count == 12
    sizes = [(s.root / p.lstrip("/")).stat().st_size for s in web.sites for p in s.articles]
    assert min(sizes) > 40_000 and max(sizes) < 120_000
    for site in web.sites:
        for name in ("feed.xml", "sitemap.xml", "robots.txt", "index.html"):
            assert (site.root / name).is_file()


def _has_glibc_mallopt() -> bool:
    try:
        return ctypes.CDLL(None).mallopt is not None
    except (AttributeError, OSError):
        return False


@pytest.mark.skipif(not _has_glibc_mallopt(), reason="needs glibc mallopt")
def test_tuned_malloc_keeps_freed_blocks_in_the_heap() -> None:
    # A fresh interpreter: a 2 MB block is mmap'd by default, taken from the heap once tuned,
    # and a freed 6 MB block stays in the heap instead of being trimmed away.
    probe = (
        "import ctypes, sys\n"
        "from copydesk.work import tune_malloc\n"
        "class Info(ctypes.Structure):\n"
        "    _fields_ = [(n, ctypes.c_size_t) for n in ('arena', 'ordblks', 'smblks', 'hblks',"
        " 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost')]\n"
        "libc = ctypes.CDLL(None); libc.mallinfo2.restype = Info\n"
        "tuned = tune_malloc() if sys.argv[1] == 'tuned' else None\n"
        "before = libc.mallinfo2().hblks\n"
        "block = bytearray(2 << 20); mapped = libc.mallinfo2().hblks - before; del block\n"
        "big = bytearray(6 << 20); del big\n"
        "print(tuned, mapped, libc.mallinfo2().fordblks >= 6 << 20)\n"
    )
    outputs = {
        mode: subprocess.run(
            [sys.executable, "-c", probe, mode],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for mode in ("default", "tuned")
    }
    assert outputs["default"] == ["None", "1", "False"]
    assert outputs["tuned"] == ["True", "0", "True"]
