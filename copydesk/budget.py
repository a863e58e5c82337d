"""Limits on what one page may cost a worker process, and workers that die with their parent.

A page is refused before parsing when its body is too large or holds too many elements (the
cheap checks), stopped when it runs too long, and a worker's address space is capped so a
page that needs more memory fails with ``MemoryError`` instead of taking the worker (or the
machine) down.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import select
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

from copydesk.reasons import Reason

__all__ = [
    "PageBudget",
    "PageTimeout",
    "address_space",
    "die_with",
    "limit_memory",
    "time_limit",
]

#: An opening tag: what the parser turns into an element.
_OPENING_TAG = re.compile(rb"<[A-Za-z]")


class PageTimeout(BaseException):
    """The page ran past its wall-time budget.

    A ``BaseException``, so the ``except Exception`` clauses of the libraries it interrupts
    do not swallow it.
    """


@dataclass(frozen=True)
class PageBudget:
    """What one page may cost; 0 switches a limit off."""

    #: Bytes of HTML.
    max_bytes: int = 0
    #: Opening tags in the HTML, counted before it is parsed.
    max_elements: int = 0
    #: Wall-clock seconds for extraction and fingerprinting.
    max_seconds: float = 0.0
    #: Bytes of address space a worker may use above its size after start-up.
    max_memory: int = 0

    def refusal(self, body: bytes) -> tuple[Reason, str] | None:
        """``(reason, detail)`` when the page is over the cheap budgets, before any parsing."""
        if self.max_bytes and len(body) > self.max_bytes:
            return Reason.PAGE_TOO_LARGE, f"{len(body):,} bytes > {self.max_bytes:,}"
        if self.max_elements:
            elements = len(_OPENING_TAG.findall(body))
            if elements > self.max_elements:
                return Reason.TOO_MANY_ELEMENTS, f"{elements:,} elements > {self.max_elements:,}"
        return None


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`PageTimeout` in the block after ``seconds`` (main thread only; 0: none).

    Uses ``SIGALRM``, so it interrupts Python code, not a single long call into C.
    """
    if seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise PageTimeout(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def address_space() -> int:
    """This process's current address space (virtual memory) in bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_memory(extra: int) -> int | None:
    """Cap this process's address space at its current size plus ``extra`` bytes.

    Returns the limit, or None where it cannot be set (no /proc, or ``extra`` is 0).
    """
    if extra <= 0:
        return None
    try:
        limit = address_space() + extra
    except OSError:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


def die_with(pid: int, poll: float = 1.0) -> threading.Thread:
    """Exit this process as soon as process ``pid`` has ended (a daemon thread watches it).

    A worker's parent may be a fork server rather than the process that owns the pool, so
    the owner's pid is watched, through a pidfd where the kernel has them (Linux 5.3+),
    else by polling every ``poll`` seconds.
    """

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = -1
        if fd >= 0:
            select.select([fd], [], [])
        else:
            while _alive(pid):
                time.sleep(poll)
        os._exit(1)

    thread = threading.Thread(target=watch, name=f"die-with-{pid}", daemon=True)
    thread.start()
    return thread


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
