"""Resolve a host with dnspython against configured nameservers: A, AAAA, CNAME chain, NS.

Each outcome is a distinct status so the record can say *why* a host has no address:
NXDOMAIN (the name does not exist), SERVFAIL (its servers are broken), timeout (nobody answered).
"""

from __future__ import annotations

import ipaddress
from typing import Literal

import dns.exception
import dns.message
import dns.nameserver
import dns.resolver
from pydantic import BaseModel, Field

from hotline.locate.domains import registrable_domain

DnsStatus = Literal["ok", "nxdomain", "servfail", "timeout", "noanswer", "error"]


class DnsAnswer(BaseModel):
    host: str
    status: DnsStatus
    a: list[str] = Field(default_factory=list)
    aaaa: list[str] = Field(default_factory=list)
    cname_chain: list[str] = Field(default_factory=list)  # targets in order: host -> c1 -> c2
    ns: list[str] = Field(default_factory=list)  # NS of the registrable domain
    registrable_domain: str | None = None
    nameservers: list[str] = Field(default_factory=list)  # "host:port"; empty = system resolver
    error: str | None = None  # one line when status is not "ok"

    @property
    def addresses(self) -> list[str]:
        return self.a + self.aaaa


class _Outcome(BaseModel):
    status: DnsStatus
    records: list[str] = Field(default_factory=list)
    cnames: list[str] = Field(default_factory=list)
    error: str | None = None


def parse_nameserver(spec: str) -> tuple[str, int]:
    """Split "ip:port", "[v6]:port", "v6" or "ip" into (address, port); port 53 by default.

    Raises ValueError for anything but an IP address ("localhost" is taken as 127.0.0.1).
    """
    spec = spec.strip()
    if spec.startswith("["):
        address, _, rest = spec[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif spec.count(":") == 1:
        address, port_text = spec.split(":")
        port = int(port_text)
    else:
        address, port = spec, 53
    if address == "localhost":
        address = "127.0.0.1"
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"nameserver {spec!r} is not an IP address with an optional port") from None
    return address, port


def make_resolver(nameservers: list[str] | None, timeout: float) -> dns.resolver.Resolver:
    """A resolver for the given servers, or the system's (/etc/resolv.conf) when none are given."""
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_nameserver(s)) for s in nameservers]
    else:
        resolver = dns.resolver.Resolver()
    # One attempt = one timeout; retries are ours so "timeout" means every attempt went unanswered.
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    return resolver


def _cnames_of(response: dns.message.Message | None) -> list[str]:
    if not isinstance(response, dns.message.QueryMessage):
        return []
    try:
        chain = response.resolve_chaining()
    except dns.exception.DNSException:
        return []
    return [rrset[0].target.to_text(omit_final_dot=True).lower() for rrset in chain.cnames]


def _nxdomain_cnames(exc: dns.resolver.NXDOMAIN) -> list[str]:
    for response in exc.responses().values():  # type: ignore[no-untyped-call]
        return _cnames_of(response)
    return []


def _query(
    resolver: dns.resolver.Resolver, name: str, rdtype: str, retries: int
) -> _Outcome:
    """Query once plus `retries` more times on timeout; map each failure to a status."""
    last_timeout = ""
    for _attempt in range(retries + 1):
        try:
            answer = resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            return _Outcome(status="nxdomain", cnames=_nxdomain_cnames(exc), error=f"{name}: no such domain")
        except dns.resolver.NoNameservers as exc:
            if "SERVFAIL" in str(exc):
                return _Outcome(status="servfail", error=f"{name} {rdtype}: the nameservers answered SERVFAIL")
            return _Outcome(status="error", error=f"{name} {rdtype}: {exc}")
        except dns.exception.Timeout:
            last_timeout = f"{name} {rdtype}: no answer within {resolver.lifetime:g} s"
            continue
        except dns.exception.DNSException as exc:
            return _Outcome(status="error", error=f"{name} {rdtype}: {exc}")
        cnames = _cnames_of(answer.response)
        if answer.rrset is None:
            return _Outcome(status="noanswer", cnames=cnames)
        records = [rdata.to_text().rstrip(".").lower() for rdata in answer.rrset]
        return _Outcome(status="ok", records=records, cnames=cnames)
    return _Outcome(status="timeout", error=f"{last_timeout} ({retries + 1} attempt(s))")


def _overall(a: _Outcome, aaaa: _Outcome | None) -> _Outcome:
    """The host's status: ok if any address came back, else the first failure seen."""
    outcomes = [a] if aaaa is None else [a, aaaa]
    if any(o.status == "ok" for o in outcomes):
        return _Outcome(status="ok")
    for outcome in outcomes:
        if outcome.status != "noanswer":
            return outcome
    return _Outcome(status="noanswer", error="the name exists but has no A or AAAA records")


def resolve_host(
    host: str,
    nameservers: list[str] | None = None,
    timeout: float = 2.0,
    retries: int = 2,
    extra_suffixes: tuple[str, ...] = (),
) -> DnsAnswer:
    """Resolve A and AAAA (following CNAMEs) and the NS of the registrable domain.

    `nameservers` are "host:port" strings; None or empty uses the system resolver.
    Never raises for DNS failures: the answer's `status` and `error` say what happened.
    """
    parts = registrable_domain(host, extra_suffixes)
    try:
        resolver = make_resolver(nameservers, timeout)
    except (dns.resolver.NoResolverConfiguration, ValueError) as exc:
        return DnsAnswer(host=parts.host, status="error", registrable_domain=parts.registrable,
                         nameservers=list(nameservers or []),
                         error=f"no usable nameserver ({exc}); set HOTLINE_DNS_NAMESERVERS")
    a = _query(resolver, parts.host, "A", retries)
    # After a timeout or NXDOMAIN the AAAA query can only repeat it: skip the wait.
    aaaa = None if a.status in ("timeout", "nxdomain") else _query(resolver, parts.host, "AAAA", retries)
    overall = _overall(a, aaaa)
    ns: list[str] = []
    if parts.registrable and a.status != "timeout":
        ns_outcome = _query(resolver, parts.registrable, "NS", 0)
        ns = sorted(ns_outcome.records) if ns_outcome.status == "ok" else []
    return DnsAnswer(
        host=parts.host,
        status=overall.status,
        a=a.records,
        aaaa=aaaa.records if aaaa else [],
        cname_chain=a.cnames or (aaaa.cnames if aaaa else []),
        ns=ns,
        registrable_domain=parts.registrable,
        nameservers=list(nameservers or []),
        error=overall.error,
    )
