"""Serve fixture web sites over real HTTP on loopback, one free port per site.

Each site is a directory. Requests map to files under it (``/`` and directories serve
``index.html``); nothing outside the directory is ever served. Text files (.html .xml .txt
.json .rss .atom .toml) go through placeholder substitution: ``{{base}}`` becomes this site's
base URL (``http://127.0.0.1:PORT``) and ``{{base:SLUG}}`` another served site's base URL, so
feeds and sitemaps can hold absolute URLs although ports are dynamic. A request for ``X.gz``
that has no file but whose ``X`` exists gets gzip(substituted X) as ``application/x-gzip``.

Responses are HTTP/1.1 with Content-Length, a strong ETag (hash of the served bytes) and
Last-Modified (the file's mtime); ``If-None-Match`` / ``If-Modified-Since`` give 304. HEAD works.

An optional ``_routes.toml`` in a site directory (never served itself) adds special responses,
one table per path::

    ["/moved"]
    status = 301                 # any status; 3xx needs `location`
    location = "/news/x.html"    # relative to the site, or absolute

    ["/broken"]
    status = 500                 # body defaults to the reason phrase; or set `body = "..."`

    ["/news/slow.html"]
    delay = 0.5                  # seconds to sleep before answering (file served as usual)
    content_type = "text/plain"  # override the Content-Type

A route with no `status` (or 200) serves the file at that path (or `body`) with the overrides.

With ``virtual_hosts=True`` the sites share one port instead and are told apart by host name:
each site is ``http://SLUG.example`` and the server, at :attr:`SiteServer.proxy_url`, answers
as an HTTP proxy would (absolute-URI requests, or the ``Host`` header). URLs then stay the same
from one run to the next, which the demo needs to show that a second crawl stores nothing twice.
"""

from __future__ import annotations

import collections
import email.utils
import gzip
import hashlib
import http.server
import logging
import mimetypes
import posixpath
import re
import threading
import time
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".html", ".htm", ".xml", ".txt", ".json", ".rss", ".atom", ".toml"})
ROUTES_FILE = "_routes.toml"

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
    ".toml": "text/plain; charset=utf-8",
    ".gz": "application/x-gzip",
    ".css": "text/css",
    ".js": "application/javascript",
}
_PLACEHOLDER = re.compile(r"\{\{base(?::([A-Za-z0-9_.-]+))?\}\}")


class SiteServerError(Exception):
    """A fixture site is misconfigured (missing directory, bad _routes.toml, unknown slug)."""


def content_type_for(path: str) -> str:
    """Content-Type for a served path, chosen by its file name."""
    name = posixpath.basename(path)
    if name == "feed.json":
        return "application/feed+json"
    suffix = posixpath.splitext(name)[1].lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(name)[0]
    return guessed if guessed and guessed.startswith("image/") else "application/octet-stream"


@dataclass(frozen=True)
class Route:
    """A special response configured in a site's _routes.toml."""

    status: int = 200
    location: str | None = None
    content_type: str | None = None
    delay: float = 0.0
    body: str | None = None


def load_routes(site_dir: Path) -> dict[str, Route]:
    """Read a site's optional _routes.toml into path -> Route."""
    path = site_dir / ROUTES_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SiteServerError(f"{path}: invalid TOML: {exc}") from exc
    routes: dict[str, Route] = {}
    allowed = {"status", "location", "content_type", "delay", "body"}
    for key, spec in data.items():
        if not key.startswith("/") or not isinstance(spec, dict):
            raise SiteServerError(f'{path}: expected tables like ["/path"], got {key!r}')
        unknown = set(spec) - allowed
        if unknown:
            raise SiteServerError(f"{path}: {key}: unknown keys {sorted(unknown)}")
        route = Route(
            status=int(spec.get("status", 200)),
            location=spec.get("location"),
            content_type=spec.get("content_type"),
            delay=float(spec.get("delay", 0.0)),
            body=spec.get("body"),
        )
        if 300 <= route.status < 400 and route.status != 304 and not route.location:
            raise SiteServerError(f"{path}: {key}: status {route.status} needs a location")
        routes[key] = route
    return routes


class _Site:
    """One served site: its directory, routes and the running HTTP server."""

    def __init__(self, slug: str, root: Path, owner: SiteServer) -> None:
        self.slug = slug
        self.root = root.resolve()
        self.owner = owner
        self.routes = load_routes(self.root)
        self.httpd: http.server.ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.base = ""


class _Handler(http.server.BaseHTTPRequestHandler):
    """Request handler; the site it serves is attached to the server object."""

    protocol_version = "HTTP/1.1"
    server_version = "CopydeskFixture/1.0"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    @property
    def site(self) -> _Site | None:
        site: _Site | None = self.server.site  # type: ignore[attr-defined]
        if site is not None:
            return site
        # Virtual hosts: the host of an absolute-URI (proxy) request, else the Host header.
        host = urllib.parse.urlsplit(self.path).hostname or self.headers.get("Host") or ""
        hosts: dict[str, _Site] = self.server.hosts  # type: ignore[attr-defined]
        return hosts.get(host.split(":")[0].lower())

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    # -- response building -------------------------------------------------

    def _serve(self, head: bool) -> None:
        site = self.site
        if site is None:
            self._error(HTTPStatus.BAD_GATEWAY, head)
            return
        path = urllib.parse.urlsplit(self.path).path or "/"
        self._counted: tuple[_Site, str, bool] | None = (site, path, head)
        self._respond(site, path, head)

    def send_response(self, code: int, message: str | None = None) -> None:
        # Count before any byte of the response leaves, so a client that has read its
        # response always finds its request in ``hits``.
        counted = getattr(self, "_counted", None)
        if counted is not None and not counted[2]:
            site, path, _ = counted
            site.owner._count(site.slug, path, code)
        self._counted = None
        super().send_response(code, message)

    def _respond(self, site: _Site, path: str, head: bool) -> int:
        route = site.routes.get(path)
        if route is not None:
            if route.delay > 0:
                time.sleep(route.delay)
            if route.status != 200:
                return self._special(site, route, head)
        found = self._resolve(site, path)
        if found is None:
            if route is not None and route.body is not None:
                body = route.body.encode("utf-8")
                ctype = route.content_type or "text/plain; charset=utf-8"
                return self._send(200, body, ctype, head, last_modified=None)
            return self._error(HTTPStatus.NOT_FOUND, head)
        body, ctype, mtime = found
        if route is not None:
            if route.body is not None:
                body = route.body.encode("utf-8")
            ctype = route.content_type or ctype
        return self._send(200, body, ctype, head, last_modified=mtime)

    def _special(self, site: _Site, route: Route, head: bool) -> int:
        headers: dict[str, str] = {}
        if route.location:
            loc = route.location
            headers["Location"] = site.base + loc if loc.startswith("/") else loc
        if route.body is not None:
            body = route.body.encode("utf-8")
        else:
            try:
                body = HTTPStatus(route.status).phrase.encode("ascii")
            except ValueError:
                body = b""
        ctype = route.content_type or "text/plain; charset=utf-8"
        self._write(route.status, body, ctype, head, headers)
        return route.status

    def _resolve(self, site: _Site, path: str) -> tuple[bytes, str, float] | None:
        """Body, Content-Type and mtime for a path, or None when it must be a 404."""
        rel = urllib.parse.unquote(path)
        if "\x00" in rel or "\\" in rel:
            return None
        parts = [p for p in rel.split("/") if p]
        if any(p in ("..", ".") for p in parts) or ROUTES_FILE in parts:
            return None
        target = site.root.joinpath(*parts).resolve() if parts else site.root
        if not target.is_relative_to(site.root):
            return None
        if target.is_dir():
            target = target / "index.html"
        if target.is_file():
            data = target.read_bytes()
            if target.suffix.lower() in TEXT_SUFFIXES:
                data = self._substitute(site, data)
            return data, content_type_for(target.name), target.stat().st_mtime
        if target.suffix == ".gz":
            plain = target.with_suffix("")
            if plain.is_file() and plain.is_relative_to(site.root):
                data = plain.read_bytes()
                if plain.suffix.lower() in TEXT_SUFFIXES:
                    data = self._substitute(site, data)
                gz = gzip.compress(data, mtime=0)
                return gz, "application/x-gzip", plain.stat().st_mtime
        return None

    def _substitute(self, site: _Site, data: bytes) -> bytes:
        bases = site.owner.bases

        def repl(match: re.Match[str]) -> str:
            slug = match.group(1)
            if slug is None:
                return site.base
            if slug not in bases:
                logger.warning("%s: unknown site %r in placeholder", site.slug, slug)
                return match.group(0)
            return bases[slug]

        text = data.decode("utf-8", errors="surrogateescape")
        return _PLACEHOLDER.sub(repl, text).encode("utf-8", errors="surrogateescape")

    def _send(
        self, status: int, body: bytes, ctype: str, head: bool, last_modified: float | None
    ) -> int:
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag}
        if last_modified is not None:
            headers["Last-Modified"] = email.utils.formatdate(last_modified, usegmt=True)
        if self._not_modified(etag, last_modified):
            self._write(304, b"", None, True, headers)
            return 304
        self._write(status, body, ctype, head, headers)
        return status

    def _not_modified(self, etag: str, last_modified: float | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is not None and last_modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return int(last_modified) <= since
        return False

    def _error(self, status: HTTPStatus, head: bool) -> int:
        body = f"{status.value} {status.phrase}\n".encode("ascii")
        self._write(status.value, body, "text/plain; charset=utf-8", head, {})
        return status.value

    def _write(
        self,
        status: int,
        body: bytes,
        ctype: str | None,
        head: bool,
        headers: Mapping[str, str],
    ) -> None:
        self.send_response(status)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients hanging up mid-response are normal in tests and crawls: keep stderr quiet
        logger.debug("fixture server: error serving %s", client_address, exc_info=True)


class SiteServer:
    """Serve several fixture sites on 127.0.0.1, one free port (port 0) per site, in background
    threads."""

    def __init__(
        self, sites: Mapping[str, Path], host: str = "127.0.0.1", *, virtual_hosts: bool = False
    ) -> None:
        if not sites:
            raise SiteServerError("SiteServer needs at least one site (slug -> directory)")
        for slug, root in sites.items():
            if not Path(root).is_dir():
                raise SiteServerError(f"site {slug!r}: {root} is not a directory")
        self.host = host
        self.virtual_hosts = virtual_hosts
        self._proxy: _Server | None = None
        self._sites = {slug: _Site(slug, Path(root), self) for slug, root in sites.items()}
        self._lock = threading.Lock()
        self.hits: collections.Counter[tuple[str, str]] = collections.Counter()
        self.statuses: collections.Counter[tuple[str, str, int]] = collections.Counter()
        self._started = False

    def _count(self, slug: str, path: str, status: int) -> None:
        with self._lock:
            self.hits[(slug, path)] += 1
            self.statuses[(slug, path, status)] += 1

    def start(self) -> None:
        """Bind every site to a free port and serve it in a daemon thread."""
        if self._started:
            return
        if self.virtual_hosts:
            self._start_virtual_hosts()
            return
        try:
            for site in self._sites.values():
                httpd = _Server((self.host, 0), _Handler)
                httpd.site = site  # type: ignore[attr-defined]
                site.httpd = httpd
                port = httpd.server_address[1]
                site.base = f"http://{self.host}:{port}"
        except OSError:
            self._close_all()
            raise
        for site in self._sites.values():
            assert site.httpd is not None
            site.thread = threading.Thread(
                target=site.httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"site-server-{site.slug}",
                daemon=True,
            )
            site.thread.start()
        self._started = True
        logger.info("serving %d fixture sites: %s", len(self._sites), self.bases)

    def _start_virtual_hosts(self) -> None:
        proxy = _Server((self.host, 0), _Handler)
        proxy.site = None  # type: ignore[attr-defined]
        proxy.hosts = {f"{slug}.example": site for slug, site in self._sites.items()}  # type: ignore[attr-defined]
        for slug, site in self._sites.items():
            site.base = f"http://{slug}.example"
        self._proxy = proxy
        threading.Thread(
            target=proxy.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="site-server-proxy",
            daemon=True,
        ).start()
        self._started = True
        logger.info("serving %d fixture sites through %s", len(self._sites), self.proxy_url)

    @property
    def proxy_url(self) -> str:
        """With ``virtual_hosts``, the proxy URL to send requests through."""
        if self._proxy is None:
            raise SiteServerError("proxy_url needs SiteServer(..., virtual_hosts=True), started")
        return f"http://{self.host}:{self._proxy.server_address[1]}"

    def stop(self) -> None:
        """Stop every site's server and free the ports."""
        if not self._started:
            return
        if self._proxy is not None:
            self._proxy.shutdown()
            self._proxy.server_close()
            self._proxy = None
            self._started = False
            return
        for site in self._sites.values():
            if site.httpd is not None:
                site.httpd.shutdown()
        for site in self._sites.values():
            if site.thread is not None:
                site.thread.join(timeout=5)
        self._close_all()
        self._started = False

    def _close_all(self) -> None:
        for site in self._sites.values():
            if site.httpd is not None:
                site.httpd.server_close()
                site.httpd = None
            site.thread = None

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def base_url(self, slug: str) -> str:
        """Base URL of a site, e.g. ``http://127.0.0.1:43817`` (no trailing slash)."""
        try:
            site = self._sites[slug]
        except KeyError:
            raise SiteServerError(f"unknown site {slug!r}; known: {sorted(self._sites)}") from None
        if not site.base:
            raise SiteServerError("SiteServer is not started; call start() or use `with`")
        return site.base

    @property
    def bases(self) -> dict[str, str]:
        """Slug -> base URL for every site."""
        return {slug: site.base for slug, site in self._sites.items() if site.base}

    def url(self, slug: str, path: str = "/") -> str:
        """Absolute URL of a path on a site."""
        return self.base_url(slug) + (path if path.startswith("/") else "/" + path)
