"""One crawl per corpus at a time: an exclusive, non-blocking ``flock`` on ``<corpus>.lock``."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["CorpusLock", "Locked", "lock_path"]


class Locked(RuntimeError):
    """Another process holds the corpus lock: a crawl of this corpus is already running."""


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(db_path)}.lock")


class CorpusLock:
    """Held from :meth:`acquire` until :meth:`release` or the process ends (even on SIGKILL).

    The lock belongs to the open file, so a second :meth:`acquire` fails even in the same
    process: a crawl takes it once (:class:`crawler.extensions.CorpusExtension`)."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self) -> CorpusLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise Locked(f"another crawl is using {self.path.with_suffix('')}{who}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
