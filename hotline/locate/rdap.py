"""Who holds an IP address, asked over RDAP with our own thin HTTP client and cached per network.

ipwhois's own lookups are never called: they query Team Cymru over the system DNS, fall back
to whois and sleep two minutes on a 429. We fetch /ip/<addr> ourselves (from the configured
base URL, or the registry the shipped bootstrap data names) and let ipwhois only parse.

Caching is per network: a response is stored under the IP asked and under every CIDR it covers,
and a lookup first tries the IP, then each containing network, so 10,000 URLs on one host or one
network cost one query.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from typing import Any, Literal

import requests
from ipwhois.exceptions import IPDefinedError

from hotline.locate.bootstrap import bootstrap_base_url, registry_of
from hotline.locate.cache import MemoryRdapCache, RdapCache
from hotline.locate.rdap_parse import IpOwner, parse_rdap_response

__all__ = ["IpOwner", "MemoryRdapCache", "RdapCache", "RdapClient", "RdapLookupError"]

FailureKind = Literal["not-public", "no-server", "not-found", "timeout", "unreachable", "rate-limited",
                      "http", "invalid"]

_ACCEPT = {"Accept": "application/rdap+json, application/json;q=0.9"}
_DAY = 86_400.0
_PARSED_MEMO_SIZE = 4096


class RdapLookupError(Exception):
    """An RDAP lookup that gave no owner; `kind` says why, str() is one line for a user."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _ip_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return f"rdap:ip:{address}"


def _net_key(network: str) -> str:
    return f"rdap:net:{ipaddress.ip_network(network, strict=False)}"


class RdapClient:
    """Looks up IP owners over RDAP; thread-safe as far as its session and cache are."""

    def __init__(
        self,
        base_url: str | None,
        timeout: float = 5.0,
        cache: RdapCache | None = None,
        session: requests.Session | None = None,
        ttl_seconds: float = 7 * _DAY,
        not_found_ttl_seconds: float = _DAY,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.cache: RdapCache = cache if cache is not None else MemoryRdapCache()
        self.session = session if session is not None else self._new_session()
        self.ttl_seconds = ttl_seconds
        self.not_found_ttl_seconds = not_found_ttl_seconds
        self.queries = 0  # HTTP requests sent, for statistics and tests
        # Parsed owners by cache entry: a cached hit then costs a dict lookup, not an ipwhois parse.
        self._parsed: OrderedDict[tuple[Any, ...], IpOwner] = OrderedDict()
        self._parsed_lock = threading.Lock()

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxy or netrc from the environment: go where we are told
        session.max_redirects = 5  # registries redirect for space another registry holds
        return session

    def lookup_ip(self, ip: str) -> IpOwner:
        """The owner of `ip`'s network; raises RdapLookupError when there is none to give."""
        address = self._public_address(ip)
        cached = self._from_cache(address)
        if cached is not None:
            return self._owner_from_entry(str(address), cached, cached_hit=True)
        url = self._url_for(address)
        entry = self._fetch(address, url)
        owner = self._owner_from_entry(str(address), entry, cached_hit=False)
        self._store(address, owner, entry)
        return owner

    # --- steps -----------------------------------------------------------------------------

    @staticmethod
    def _public_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        try:
            address = ipaddress.ip_address(ip.strip().strip("[]"))
        except ValueError:
            raise RdapLookupError("invalid", f"{ip!r} is not an IP address") from None
        if not address.is_global:
            raise RdapLookupError("not-public", f"{address} is not a public address: no registry holds it")
        return address

    def _url_for(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
        base = self.base_url or bootstrap_base_url(str(address))
        if base is None:
            raise RdapLookupError("no-server", f"no RDAP server is known for {address} (unallocated space?)")
        return f"{base.rstrip('/')}/ip/{address}"

    def _fetch(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, url: str) -> dict[str, Any]:
        self.queries += 1
        try:
            response = self.session.get(url, headers=_ACCEPT, timeout=self.timeout)
        except requests.Timeout:
            raise RdapLookupError("timeout", f"RDAP {url}: no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise RdapLookupError("unreachable", f"RDAP {url}: {type(exc).__name__}") from None
        if response.status_code == 404:
            self.cache.put(_ip_key(address), {"not_found": True, "url": url}, self.not_found_ttl_seconds)
            raise RdapLookupError("not-found", f"RDAP {url}: the registry has no network for {address}")
        if response.status_code == 429:
            raise RdapLookupError("rate-limited", f"RDAP {url}: rate limited (HTTP 429); try again later")
        if response.status_code != 200:
            raise RdapLookupError("http", f"RDAP {url}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise RdapLookupError("invalid", f"RDAP {url}: the answer is not JSON") from None
        return {"url": response.url or url, "fetched_at": time.time(), "response": body}

    def _owner_from_entry(self, ip: str, entry: dict[str, Any], cached_hit: bool) -> IpOwner:
        url = entry.get("url")
        if entry.get("not_found"):
            raise RdapLookupError("not-found", f"RDAP {url}: the registry has no network for {ip} (cached)")
        response = entry.get("response")
        if not isinstance(response, dict):
            raise RdapLookupError("invalid", f"RDAP {url}: the answer is not a JSON object")
        memo_key = (url, entry.get("fetched_at"), response.get("handle"), response.get("startAddress"),
                    response.get("endAddress"))
        with self._parsed_lock:
            template = self._parsed.get(memo_key)
        if template is None:
            template = self._parse(ip, url, response)
            with self._parsed_lock:
                self._parsed[memo_key] = template
                if len(self._parsed) > _PARSED_MEMO_SIZE:
                    self._parsed.popitem(last=False)
        return template.model_copy(update={"ip": ip, "cached": cached_hit})

    def _parse(self, ip: str, url: str | None, response: dict[str, Any]) -> IpOwner:
        registry = None if self.base_url else registry_of(url)
        try:
            return parse_rdap_response(ip, response, url=url, registry=registry)
        except (ValueError, KeyError, TypeError, IPDefinedError) as exc:
            raise RdapLookupError("invalid", f"RDAP {url}: unusable answer ({exc})") from None

    def _from_cache(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> dict[str, Any] | None:
        """The entry for the address itself, else for the most specific cached network holding it."""
        entry = self.cache.get(_ip_key(address))
        if entry is not None:
            return entry
        keys = [_net_key(f"{address}/{length}") for length in range(address.max_prefixlen, -1, -1)]
        get_many = getattr(self.cache, "get_many", None)
        if get_many is not None:  # one round trip for a database-backed cache
            found: dict[str, dict[str, Any]] = get_many(keys)
            return next((found[key] for key in keys if key in found), None)
        for key in keys:
            entry = self.cache.get(key)
            if entry is not None:
                return entry
        return None

    def _store(
        self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, owner: IpOwner, entry: dict[str, Any]
    ) -> None:
        self.cache.put(_ip_key(address), entry, self.ttl_seconds)
        networks = []
        for cidr in owner.cidrs:
            try:
                networks.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                continue
        # A response whose range does not cover the address asked must not answer for others.
        if any(address in network for network in networks):
            for network in networks:
                self.cache.put(_net_key(str(network)), entry, self.ttl_seconds)
