"""The address guard: resolves a host once with the product's DNS servers and judges the answer.

One guard lives for one batch (one worker crawl). Its answers are cached, so the address checked
before a request is exactly the address the connection later uses: a DNS server that changes its
answer between two queries (rebinding) is asked only once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import dns.exception
import dns.nameserver
import dns.resolver

from hotline.capture.ranges import IPNetwork
from hotline.capture.ssrf import HostError, as_ip, check_address, parse_host, within


@dataclass(frozen=True)
class Verdict:
    host: str
    addresses: tuple[str, ...] = ()
    reason: str | None = None
    refused: bool = False  # True: policy said no; False with a reason: lookup failed

    @property
    def allowed(self) -> bool:
        return self.reason is None and bool(self.addresses)


def _nameserver(spec: str) -> dns.nameserver.Do53Nameserver:
    host, _, port = spec.strip().rpartition(":") if spec.count(":") == 1 else (spec.strip(), "", "")
    return dns.nameserver.Do53Nameserver(host.strip("[]") or spec, int(port) if port else 53)


@dataclass
class AddressGuard:
    nameservers: list[str]
    allow: list[IPNetwork] = field(default_factory=list)
    direct_only: list[IPNetwork] = field(default_factory=list)
    proxy_hosts: frozenset[str] = frozenset()
    dns_timeout: float = 5.0

    def __post_init__(self) -> None:
        self.refusals: dict[str, str] = {}  # host -> reason, noted by the resolver at connect time
        self._verdicts: dict[str, Verdict] = {}  # raw host -> verdict; stable because answers are pinned
        self._cache: dict[str, tuple[tuple[str, ...], str | None]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._resolver = dns.resolver.Resolver(configure=not self.nameservers)
        if self.nameservers:
            self._resolver.nameservers = [_nameserver(s) for s in self.nameservers]
        self._resolver.lifetime = self.dns_timeout
        self._resolver.timeout = min(2.0, self.dns_timeout)

    # -- resolution (blocking; call from a thread) ------------------------------------------------
    def _query(self, host: str) -> tuple[tuple[str, ...], str | None]:
        addresses: list[str] = []
        errors: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = self._resolver.resolve(host, rdtype, search=False)
                addresses.extend(r.address for r in answer)
            except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN) as exc:
                errors.append(type(exc).__name__)
            except dns.exception.DNSException as exc:
                errors.append(str(exc) or type(exc).__name__)
        if addresses:
            return tuple(addresses), None
        return (), f"DNS lookup failed for {host}: {', '.join(sorted(set(errors)))}"

    def addresses(self, host: str) -> tuple[tuple[str, ...], str | None]:
        """(addresses, error) for a canonical host: literals as is, names asked once per batch."""
        if as_ip(host) is not None:
            return (host,), None
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        with self._locks_guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            if host not in self._cache:
                self._cache[host] = self._query(host)
        return self._cache[host]

    def cached(self, raw_host: str) -> bool:
        """True when judging this host needs no DNS query (a literal, malformed, or asked before)."""
        if raw_host in self._verdicts:
            return True
        try:
            host = parse_host(raw_host)
        except HostError:
            return True
        return as_ip(host) is not None or host in self._cache

    # -- verdicts ----------------------------------------------------------------------------
    def judge_target(self, raw_host: str) -> Verdict:
        """May a capture fetch from this host (through a proxy or directly)?"""
        verdict = self._verdicts.get(raw_host)
        if verdict is None:
            verdict = self._verdicts[raw_host] = self._judge_target(raw_host)
        return verdict

    def _judge_target(self, raw_host: str) -> Verdict:
        try:
            host = parse_host(raw_host)
        except HostError as exc:
            return Verdict(raw_host, reason=str(exc), refused=True)
        found, error = self.addresses(host)
        if error:
            return Verdict(host, reason=error)
        for address in found:
            reason = check_address(address, self.allow)
            if reason:
                said = reason if address == host else f"{host} resolves to a {reason}"
                return Verdict(host, found, reason=said, refused=True)
        return Verdict(host, found)

    def judge_connection(self, raw_host: str) -> Verdict:
        """May the process open a TCP connection to this host? Proxies are the operator's choice."""
        try:
            host = parse_host(raw_host)
        except HostError as exc:
            return Verdict(raw_host, reason=str(exc), refused=True)
        if host in self.proxy_hosts:
            found, error = self.addresses(host)
            verdict = Verdict(host, found, reason=error)
        else:
            verdict = self.judge_target(host)
        if verdict.allowed and self.direct_only:
            outside = [a for a in verdict.addresses if not within(a, self.direct_only)]
            if outside:
                reason = f"{outside[0]} is outside direct_connect_only"
                return Verdict(host, verdict.addresses, reason=reason, refused=True)
        return verdict
