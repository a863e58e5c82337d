"""The reading pages in headless Chromium: rendered, screenshotted, highlights present."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: ./dev test installs it (APT_PACKAGES)")
    pytest.skip("chromium is not installed (./dev test installs it)", allow_module_level=True)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(demo_corpus: Path) -> Iterator[str]:
    yield from serve(demo_corpus)


@pytest.fixture(scope="module")
def served_big(browse_corpus: Path) -> Iterator[str]:
    yield from serve(browse_corpus)


def serve(db: Path) -> Iterator[str]:
    """`copydesk serve` of ``db`` in a child process; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copydesk.cli",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a loaded machine takes a while to import datasette
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("copydesk serve did not answer")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wire_story_page_in_chromium(served: str, demo_corpus: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(demo_corpus)
    canonical = conn.execute(
        "SELECT duplicate_of FROM articles WHERE duplicate_of IS NOT NULL"
    ).fetchone()[0]
    conn.close()
    url = f"{served}/corpus/-/wire/{canonical}"
    dom = chromium(tmp_path, "--dump-dom", url).stdout
    assert dom.count('<th class="outlet') == 4
    assert "<ins>" in dom and "<del>" in dom
    assert 'class="para added"' in dom and 'class="para removed"' in dom
    shot = tmp_path / "wire.png"
    chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.exists()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a rendered page, not a blank one
    keep = os.environ.get("COPYDESK_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "wire-story.png")


def screenshot(tmp_path: Path, url: str, name: str) -> bytes:
    """A PNG of the page at ``url`` (kept in $COPYDESK_SCREENSHOT_DIR when set)."""
    shot = tmp_path / name
    chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.exists()
    data = shot.read_bytes()
    keep = os.environ.get("COPYDESK_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / name)
    return data


def test_reading_pages_in_chromium(served_big: str, browse_corpus: Path, tmp_path: Path) -> None:
    from copydesk.bench.browse import search_words
    from storage.summaries import browse_targets

    conn = sqlite3.connect(browse_corpus)
    targets = browse_targets(conn)
    conn.close()
    article = f"{served_big}/corpus/-/article/{targets.copy_id}"
    dom = chromium(tmp_path, "--dump-dom", article).stdout
    assert "<h1>" in dom and "Also ran at" in dom and 'class="original"' in dom
    word = search_words()[0]
    search = f"{served_big}/corpus/-/search?q={word}"
    dom = chromium(tmp_path, "--dump-dom", search).stdout
    assert dom.count(f"<mark>{word}</mark>") >= 10
    site = f"{served_big}/corpus/-/site/{targets.site}"
    dom = chromium(tmp_path, "--dump-dom", site).stdout
    assert "<svg" in dom and "Latest articles" in dom
    front = f"{served_big}/corpus"
    dom = chromium(tmp_path, "--dump-dom", front).stdout
    assert "other sites" in dom and "Articles per week" in dom
    for url, name in (
        (article, "article.png"),
        (search, "search.png"),
        (site, "site.png"),
        (front, "charts.png"),
    ):
        data = screenshot(tmp_path, url, name)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000, name  # a rendered page, not a blank one
