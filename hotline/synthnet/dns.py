"""Authoritative DNS for the synthetic internet (dnslib), over UDP and TCP on one loopback port.

The zone answers A/AAAA/CNAME/NS/SOA for registered names and follows CNAME chains itself (dnslib's
ZoneResolver does not). Special behaviours per name: SERVFAIL, no answer at all (drop, for timeout
tests) and DNS rebinding (the A answer alternates between a public-looking and a loopback address).
The proxy asks the same zone, so a rebinding name can also flip between the product's check and the
proxy's connection.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import idna
from dnslib import AAAA, CNAME, NS, QTYPE, RCODE, RR, SOA, A, DNSRecord
from dnslib.server import BaseResolver, DNSError, DNSServer

Behaviour = Literal["normal", "servfail", "drop"]
MAX_CHAIN = 16


def normalise_name(name: str) -> str:
    """Lower case, no trailing dot, internationalised labels as punycode (what travels in DNS and Host)."""
    name = name.strip().lower().rstrip(".")
    if not name.isascii():
        name = idna.encode(name, uts46=True).decode("ascii")
    return name


@dataclass
class NameRecord:
    ipv4: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    cname: str | None = None
    ns: list[str] = field(default_factory=list)
    behaviour: Behaviour = "normal"
    rebind: tuple[str, str] | None = None  # (public, private): A answers alternate, public first


@dataclass
class Resolution:
    """Outcome of resolving one name: rcode plus the CNAME steps and final records."""

    rcode: str = "NOERROR"  # NOERROR, NXDOMAIN, SERVFAIL, DROP
    chain: list[tuple[str, str]] = field(default_factory=list)  # (alias, target) in order
    records: list[tuple[str, str, str]] = field(default_factory=list)  # (owner, type, value)

    @property
    def addresses(self) -> list[str]:
        return [value for _, rtype, value in self.records if rtype in ("A", "AAAA")]


class Zone:
    """All names of the synthetic internet; thread-safe; shared by the DNS server and the proxy."""

    def __init__(self, ttl: int = 60) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._names: dict[str, NameRecord] = {}
        self._rebind_queries: dict[str, int] = {}
        self.queries: list[tuple[str, str]] = []  # (name, type) as asked over the wire

    def _record(self, name: str) -> NameRecord:
        return self._names.setdefault(normalise_name(name), NameRecord())

    def set_addresses(self, name: str, ips: list[str]) -> None:
        """Replace the A/AAAA answers of `name` (strings only: nothing ever connects to them)."""
        parsed = [ipaddress.ip_address(ip) for ip in ips]
        with self._lock:
            record = self._record(name)
            record.ipv4 = [str(ip) for ip in parsed if ip.version == 4]
            record.ipv6 = [str(ip) for ip in parsed if ip.version == 6]
            record.cname, record.rebind = None, None

    def set_cname(self, name: str, target: str) -> None:
        with self._lock:
            record = self._record(name)
            record.cname, record.ipv4, record.ipv6 = normalise_name(target), [], []

    def set_ns(self, name: str, servers: list[str]) -> None:
        with self._lock:
            self._record(name).ns = [normalise_name(server) for server in servers]

    def set_behaviour(self, name: str, behaviour: Behaviour) -> None:
        with self._lock:
            self._record(name).behaviour = behaviour

    def set_rebinding(self, name: str, public_ip: str, private_ip: str) -> None:
        with self._lock:
            record = self._record(name)
            record.rebind, record.cname = (public_ip, private_ip), None
            self._rebind_queries[normalise_name(name)] = 0

    def delete(self, name: str) -> None:
        """The name stops existing (NXDOMAIN): 'DNS gone' for takedown monitoring."""
        with self._lock:
            self._names.pop(normalise_name(name), None)

    def exists(self, name: str) -> bool:
        with self._lock:
            return normalise_name(name) in self._names

    def peek_chain(self, name: str) -> list[tuple[str, str]]:
        """The CNAME steps from `name`, without counting as a query (no rebinding side effect)."""
        chain: list[tuple[str, str]] = []
        current = normalise_name(name)
        with self._lock:
            while len(chain) < MAX_CHAIN:
                record = self._names.get(current)
                if record is None or not record.cname:
                    return chain
                chain.append((current, record.cname))
                current = record.cname
        return chain

    def resolve(self, name: str, rtype: str = "A") -> Resolution:
        """Answer like an authoritative server with CNAME chasing; advances rebinding counters for A."""
        result = Resolution()
        current = normalise_name(name)
        with self._lock:
            for _ in range(MAX_CHAIN):
                record = self._names.get(current)
                if record is None:
                    result.rcode = "NXDOMAIN"
                    return result
                if record.behaviour != "normal":
                    result.rcode = "SERVFAIL" if record.behaviour == "servfail" else "DROP"
                    return result
                if record.cname and rtype != "CNAME":
                    result.chain.append((current, record.cname))
                    result.records.append((current, "CNAME", record.cname))
                    current = record.cname
                    continue
                result.records.extend(self._final_records(current, record, rtype))
                return result
        result.rcode = "SERVFAIL"  # CNAME loop or an absurdly long chain
        return result

    def _final_records(self, owner: str, record: NameRecord, rtype: str) -> list[tuple[str, str, str]]:
        if rtype == "A" and record.rebind is not None:
            turn = self._rebind_queries.get(owner, 0)
            self._rebind_queries[owner] = turn + 1
            return [(owner, "A", record.rebind[turn % 2])]
        values = {"A": record.ipv4, "AAAA": record.ipv6, "NS": record.ns,
                  "CNAME": [record.cname] if record.cname else []}.get(rtype, [])
        if rtype == "SOA" and record.ns:
            values = [record.ns[0]]
        return [(owner, rtype, value) for value in values]


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """dnslib resolver over a Zone."""

    def __init__(self, zone: Zone) -> None:
        self.zone = zone

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        qname = str(request.q.qname)
        rtype = QTYPE.get(request.q.qtype)
        self.zone.queries.append((normalise_name(qname), str(rtype)))
        result = self.zone.resolve(qname, str(rtype))
        if result.rcode == "DROP":
            raise DNSError("synthetic timeout: this name is never answered")
        reply = request.reply()
        reply.header.rcode = getattr(RCODE, result.rcode)
        for owner, kind, value in result.records:
            reply.add_answer(RR(owner + ".", getattr(QTYPE, kind), rdata=_rdata(kind, value, owner),
                                ttl=self.zone.ttl))
        return reply


def _rdata(kind: str, value: str, owner: str) -> Any:
    if kind == "A":
        return A(value)
    if kind == "AAAA":
        return AAAA(value)
    if kind == "CNAME":
        return CNAME(value + ".")
    if kind == "NS":
        return NS(value + ".")
    return SOA(value + ".", f"hostmaster.{owner}.", (1, 3600, 600, 86400, 60))


class _QuietLogger:
    """dnslib logs every packet to stdout by default; tests want silence."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class DnsServer:
    """UDP and TCP DNS on the same free loopback port."""

    def __init__(self, zone: Zone, address: str = "127.0.0.1") -> None:
        resolver = ZoneResolver(zone)
        for _ in range(20):  # the UDP port picked by the OS may be taken for TCP: try again
            udp = DNSServer(resolver, port=0, address=address, logger=_QuietLogger())
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(resolver, port=port, address=address, tcp=True, logger=_QuietLogger())
            except OSError:
                udp.server.server_close()
                continue
            self._servers = [udp, tcp]
            self.address, self.port = address, port
            return
        raise OSError("could not bind a DNS port on both UDP and TCP")

    @property
    def nameserver(self) -> str:
        return f"{self.address}:{self.port}"

    def start(self) -> DnsServer:
        for server in self._servers:
            # a short poll interval keeps stop() fast (dnslib's start_thread uses the 0.5 s default)
            thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.02},
                                      name="synthnet-dns", daemon=True)
            thread.start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.server.shutdown()
            server.server.server_close()


def is_loopback_bindable(address: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True
