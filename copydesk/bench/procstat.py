"""Per-process CPU time and peak memory of a process tree, sampled from /proc (Linux)."""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field

__all__ = ["ProcessSample", "TreeSampler", "current_rss_mb", "peak_rss_mb", "read_cpu_seconds"]

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read().decode("latin-1")
    except OSError:
        return None
    return data[data.rfind(")") + 2 :].split()


def read_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process, or None once it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _status_mb(pid: int | str, field: str) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory (VmHWM) of a process in MB, or None once it is gone."""
    return _status_mb(pid, "VmHWM:")


def current_rss_mb(pid: int | str = "self") -> float | None:
    """Resident memory (VmRSS) of a process in MB now, or None once it is gone."""
    return _status_mb(pid, "VmRSS:")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


@dataclass
class ProcessSample:
    """What was seen of one process: parent, command line, CPU timeline and peak memory."""

    pid: int
    ppid: int
    cmdline: str
    cpu: list[tuple[float, float]] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds spent between two wall-clock times, interpolated between samples."""
        return self._cpu_at(end) - self._cpu_at(start)

    def _cpu_at(self, when: float) -> float:
        points = self.cpu
        if not points or when <= points[0][0]:
            # Not seen yet: the process started after `when`, or CPU before is in the first point.
            return 0.0 if not points or points[0][0] - when > 0.5 else points[0][1]
        for (t0, c0), (t1, c1) in itertools.pairwise(points):
            if t0 <= when <= t1:
                return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c1
        return points[-1][1]


class TreeSampler:
    """Sample a process and all its descendants every ``interval`` seconds in a thread."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self.root = root
        self.interval = interval
        self.processes: dict[int, ProcessSample] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        now = time.time()
        parents: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                fields = _stat_fields(int(name))
                if fields is not None:
                    parents[int(name)] = int(fields[1])
        tree = {self.root} if self.root in parents else set()
        grew = True
        while grew:
            grew = False
            for pid, ppid in parents.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        for pid in tree:
            cpu = read_cpu_seconds(pid)
            peak = peak_rss_mb(pid)
            if cpu is None:
                continue
            seen = self.processes.get(pid)
            if seen is None:
                seen = self.processes[pid] = ProcessSample(pid, parents[pid], _cmdline(pid))
            seen.cpu.append((now, cpu))
            seen.peak_rss_mb = max(seen.peak_rss_mb, peak or 0.0)

    def roles(self) -> dict[int, str]:
        """Name each process: main, forkserver, worker, resource_tracker or other."""
        forkservers = {
            p.pid
            for p in self.processes.values()
            if "forkserver" in p.cmdline and p.pid != self.root
        }
        names: dict[int, str] = {}
        for p in self.processes.values():
            if p.pid == self.root:
                names[p.pid] = "main"
            elif p.ppid in forkservers:
                names[p.pid] = "worker"
            elif p.pid in forkservers:
                names[p.pid] = "forkserver"
            elif "resource_tracker" in p.cmdline:
                names[p.pid] = "resource_tracker"
            else:
                names[p.pid] = "other"
        return names
