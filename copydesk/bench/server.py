"""A lean HTTP/1.1 keep-alive file server for benchmarks, run in a process of its own."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

__all__ = ["BenchServer"]

_TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".xml": b"application/xml",
    ".txt": b"text/plain; charset=utf-8",
}


class _Site:
    """One outlet: its directory and its small text files with ``{{base}}`` filled in."""

    def __init__(self, root: Path, base: str) -> None:
        self.root = root.resolve()
        self.cache: dict[str, bytes] = {}
        for path in self.root.rglob("*"):
            if path.suffix in (".xml", ".txt") or path.name == "index.html":
                rel = "/" + path.relative_to(self.root).as_posix()
                self.cache[rel] = path.read_bytes().replace(b"{{base}}", base.encode())
        self.cache["/"] = self.cache.get("/index.html", b"")

    def get(self, path: str) -> bytes | None:
        cached = self.cache.get(path)
        if cached is not None:
            return cached
        if ".." in path or not path.startswith("/"):
            return None
        try:
            with open(self.root / path[1:], "rb") as fh:
                return fh.read()
        except OSError:
            return None


class _Protocol(asyncio.Protocol):
    def __init__(self, site: _Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        assert self.transport is not None
        request_line, _, headers = head.partition(b"\r\n")
        parts = request_line.split()
        if len(parts) < 2:
            self.transport.close()
            return
        method, target = parts[0], parts[1].decode("latin-1")
        path = target.split("?", 1)[0]
        if path.startswith("http://"):  # absolute-form request target
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        body = self.site.get(path)
        close = b"connection: close" in headers.lower()
        if body is None:
            status, body, ctype = b"404 Not Found", b"not found", b"text/plain"
        else:
            status = b"200 OK"
            ctype = _TYPES.get(os.path.splitext(path)[1], b"text/html; charset=utf-8")
        self.transport.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: "
            + ctype
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + (b"\r\nConnection: close" if close else b"")
            + b"\r\n\r\n"
        )
        if method != b"HEAD":
            self.transport.write(body)
        if close:
            self.transport.close()


async def _serve(roots: dict[str, Path], conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    servers = []
    bases: dict[str, str] = {}
    sockets = {}
    for slug in roots:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets[slug] = sock
        bases[slug] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for slug, root in roots.items():
        site = _Site(root, bases[slug])
        sock = sockets[slug]
        sock.listen(128)
        servers.append(await loop.create_server(lambda s=site: _Protocol(s), sock=sock))  # type: ignore[misc]
    conn.send(bases)
    await stop.wait()
    for server in servers:
        server.close()


def _main(roots: dict[str, Path], conn: Connection) -> None:
    asyncio.run(_serve(roots, conn))


class BenchServer:
    """Serve each ``{slug: directory}`` on its own loopback port from a separate process.

    Pages are read from disk on each request (feeds, sitemaps and ``robots.txt`` come from
    memory with ``{{base}}`` replaced by the outlet's base URL), so the server's CPU cost per
    page stays small and its memory does not grow with the site. ``pid`` lets a caller
    measure it; ``bases`` maps each slug to ``http://127.0.0.1:PORT``.
    """

    def __init__(self, roots: dict[str, Path]) -> None:
        self.roots = roots
        self.bases: dict[str, str] = {}
        self._process: multiprocessing.process.BaseProcess | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None and self._process.pid is not None, "not started"
        return self._process.pid

    def start(self) -> BenchServer:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=_main, args=(self.roots, child), daemon=True)
        self._process.start()
        deadline = time.monotonic() + 60
        while not parent.poll(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("benchmark server did not start")
        self.bases = parent.recv()
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
