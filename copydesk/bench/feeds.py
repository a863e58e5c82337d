"""Feed and sitemap parser speed on synthetic feeds, beside an older parser in the same run.

``python -m copydesk.bench.feeds [OLD_DISCOVERY_PY]``: milliseconds of CPU per document
(the best of 7 rounds); with the path of an older ``crawler/discovery.py`` (for example
``git show main:crawler/discovery.py > /tmp/old.py``) both are timed and their ratio printed.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import timeit
from collections.abc import Callable
from functools import partial
from types import ModuleType

from crawler import discovery

BASE = "http://a.test/f.xml"
SUMMARY = "Some summary text. " * 20


def rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Story {i} &amp; more</title><link>http://a.test/2025/10/{i}.html</link>"
        f"<guid>http://a.test/2025/10/{i}.html</guid>"
        f"<pubDate>Thu, 02 Oct 2025 09:{i % 60:02d}:00 +0200</pubDate>"
        f"<description>{SUMMARY}</description></item>"
        for i in range(n)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{items}</channel></rss>".encode()


def atom(n: int) -> bytes:
    entries = "".join(
        f'<entry><title>Story {i}</title><link rel="alternate" type="text/html" '
        f'href="/2025/10/{i}.html"/><id>tag:a.test,2025:{i}</id>'
        "<updated>2025-10-03T10:00:00Z</updated><published>2025-10-02T09:00:00Z</published>"
        f"<summary>{SUMMARY}</summary></entry>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>T</title>{entries}</feed>"
    ).encode()


def sitemap(n: int) -> bytes:
    urls = "".join(
        f"<url><loc>http://a.test/2025/10/{i}.html</loc>"
        "<lastmod>2025-10-02T09:00:00+00:00</lastmod></url>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>"
    ).encode()


def load(path: str) -> ModuleType:
    """A module from a file (an older discovery.py), under a name of its own."""
    spec = importlib.util.spec_from_file_location("copydesk_old_discovery", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}: give the path of a discovery.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def cpu_ms(function: Callable[[], object], size: int) -> float:
    number = max(3, 2000 // max(1, size // 10000))
    best = min(timeit.repeat(function, number=number, repeat=7, timer=time.process_time))
    return best / number * 1000


def main(argv: list[str]) -> None:
    modules = [discovery] + ([load(argv[0])] if argv else [])
    cases = [
        ("rss, 100 items", rss(100), "parse_feed"),
        ("atom, 100 entries", atom(100), "parse_feed"),
        ("rss, 2000 items", rss(2000), "parse_feed"),
        ("sitemap, 10000 urls", sitemap(10000), "parse_sitemap"),
    ]
    header = f"{'document':22} {'bytes':>9} {'ms':>8}"
    print(header + (f" {'old ms':>8} {'new/old':>8}" if len(modules) > 1 else ""))
    for label, body, name in cases:
        times = [cpu_ms(partial(getattr(m, name), body, BASE), len(body)) for m in modules]
        line = f"{label:22} {len(body):9d} {times[0]:8.3f}"
        if len(times) > 1:
            line += f" {times[1]:8.3f} {times[0] / times[1]:8.2f}"
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
