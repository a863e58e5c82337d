"""What the crawler refuses to fetch: other schemes than http(s), and non-public addresses.

Two layers, because a URL's host can be a name or an address:

* :class:`RefuseUnsafeRequestsMiddleware` refuses, before download, a request whose scheme is
  not ``http``/``https`` or whose host is an IP literal outside the public internet. It sees
  every request, including robots.txt and every redirect hop.
* :class:`PublicAddressResolver` (``TWISTED_DNS_RESOLVER``) refuses a host name whose answer is
  such an address. The address it hands on is the one connected to, so a name that answers
  with a public address first and a private one later (DNS rebinding) is refused the second
  time. A refused name's later requests are refused by the middleware without a lookup.

``COPYDESK_ALLOW_NETWORKS`` (a list of CIDR ranges) allows named ranges; the demo, the bench
crawl and the tests allow ``127.0.0.0/8``.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.statscollectors import StatsCollector
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

__all__ = [
    "ALLOWED_SCHEMES",
    "AddressPolicy",
    "NetworkSettingError",
    "PublicAddressResolver",
    "RefuseUnsafeRequestsMiddleware",
    "RefusedAddress",
    "address_refusal",
    "parse_networks",
]

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class NetworkSettingError(ValueError):
    """``COPYDESK_ALLOW_NETWORKS`` holds something that is not a CIDR range."""


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDR ranges (``127.0.0.0/8``, ``10.1.2.3``, ``fd00::/8``) as networks."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise NetworkSettingError(
                f"COPYDESK_ALLOW_NETWORKS: {value!r} is not an address range; give CIDR ranges "
                "separated by commas, e.g. -s COPYDESK_ALLOW_NETWORKS=127.0.0.0/8,10.1.0.0/16"
            ) from exc
    return tuple(networks)


def address_refusal(address: str, allowed: Sequence[Network] = ()) -> str | None:
    """Why a connection to ``address`` is refused (``loopback``, ``private``, ...), or None.

    Only addresses of the public internet are fetched, unless a range in ``allowed`` holds
    the address. An IPv4 address written as IPv6 (``::ffff:10.0.0.1``) is judged as IPv4.
    Anything that is not an address is refused as ``not_an_address``.
    """
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return "not_an_address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == net.version and ip in net for net in allowed):
        return None
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non_public"  # shared address space (100.64/10), documentation ranges, ...
    return None


class AddressPolicy:
    """The allowed ranges, and the host names refused so far in this process."""

    def __init__(self, allowed: Sequence[Network] = ()) -> None:
        self.allowed = tuple(allowed)
        #: Host names whose answer was refused, with the reason.
        self.refused_names: dict[str, str] = {}

    def refusal(self, address: str) -> str | None:
        return address_refusal(address, self.allowed)


class RefusedAddress(DNSLookupError):
    """A host name resolved to an address the crawler does not connect to."""


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers outside the public internet.

    Twisted connects to exactly the address ``getHostByName`` returns, so this check is on
    the address actually connected to, every time a request is made (cached answers too).
    """

    def __init__(
        self, reactor: Any, cache_size: int, timeout: float, policy: AddressPolicy
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicAddressResolver:
        # Scrapy builds the resolver from the crawler process: settings, but no stats.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        policy = AddressPolicy(parse_networks(settings.getlist("COPYDESK_ALLOW_NETWORKS")))
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), policy)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        def check(address: str) -> str:
            why = self.policy.refusal(address)
            if why is not None:
                self.policy.refused_names[name.lower()] = why
                raise RefusedAddress(f"{name} resolves to {address} ({why})")
            return address

        return super().getHostByName(name, timeout).addCallback(check)


class RefuseUnsafeRequestsMiddleware:
    """Refuse requests the crawler must not make, before they are downloaded.

    Counted as ``copydesk/refused/<why>`` (``scheme``, ``loopback``, ``private``,
    ``link_local``, ...); the first refusal of each kind is logged in full, later ones only
    counted.
    """

    def __init__(self, policy: AddressPolicy, stats: StatsCollector) -> None:
        self.policy = policy
        self.stats = stats
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefuseUnsafeRequestsMiddleware:
        from twisted.internet import reactor

        resolver = getattr(reactor, "resolver", None)
        if not isinstance(resolver, PublicAddressResolver):
            raise RuntimeError(
                "Copydesk refuses non-public addresses through its DNS resolver: set "
                "TWISTED_DNS_RESOLVER = 'crawler.safety.PublicAddressResolver' (the project "
                "settings do) instead of "
                f"{type(resolver).__module__}.{type(resolver).__qualname__}"
            )
        assert crawler.stats is not None
        return cls(resolver.policy, crawler.stats)

    def refuse(self, request: Request, why: str, detail: str) -> NoReturn:
        self.stats.inc_value(f"copydesk/refused/{why}")
        message = f"refused {request.url}: {detail}"
        if why not in self._logged:
            self._logged.add(why)
            logger.warning("%s; further refusals (%s) are counted in stats", message, why)
        else:
            logger.debug("%s", message)
        raise IgnoreRequest(message)

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            self.refuse(request, "scheme", f"only http and https are fetched, not {scheme}:")
        host = (parts.hostname or "").lower()
        if not host:
            self.refuse(request, "no_host", "the URL has no host")
        if _is_ip_literal(host):
            why = self.policy.refusal(host)
            if why is not None:
                self.refuse(request, why, _address_detail(host, why))
        elif host in self.policy.refused_names:
            why = self.policy.refused_names[host]
            self.refuse(request, why, _address_detail(host, why))

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A lookup the resolver refused (and the retry middleware did not retry)."""
        if isinstance(exception, (CannotResolveHostError, DNSLookupError)):
            host = (urlsplit(request.url).hostname or "").lower()
            why = self.policy.refused_names.get(host)
            if why is not None:
                self.refuse(request, why, _address_detail(host, why))


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _address_detail(host: str, why: str) -> str:
    return (
        f"{host} is a {why.replace('_', '-')} address; allow its range with "
        "-s COPYDESK_ALLOW_NETWORKS=CIDR[,CIDR...] if you mean to crawl it"
    )
