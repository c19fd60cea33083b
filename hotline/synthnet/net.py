"""SyntheticInternet: starts the farm, private listener, HTTPS farm, DNS, proxy and RDAP together."""

from __future__ import annotations

import ipaddress
import socket
import threading
from types import TracebackType
from typing import Self, TypeVar

from hotline.synthnet.dns import DnsServer, Zone, is_loopback_bindable, normalise_name
from hotline.synthnet.farm import Farm, RequestRecord, Response, start_farm, status_page
from hotline.synthnet.images import animated_gif_bytes, content_type, image_bytes, tagged_png
from hotline.synthnet.networks import AddressPool, find_network, is_public
from hotline.synthnet.proxy import EgressProxy, ProxyRecord, Route
from hotline.synthnet.rdap import RdapData, RdapServer
from hotline.synthnet.server import ServerThread
from hotline.synthnet.sites import DefaultSites, install_default_sites
from hotline.synthnet.tls import CertificateAuthority, start_tls_farm

PRIVATE_ADDRESS = "127.0.0.2"
_Service = TypeVar("_Service", ServerThread, DnsServer, EgressProxy, RdapServer)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class SyntheticInternet:
    """Farm + private listener + DNS + egress proxy + RDAP, started together on loopback."""

    def __init__(self, default_sites: bool = True, address: str = "127.0.0.1") -> None:
        self.address = address
        self.zone = Zone()
        self.farm = Farm(alias_of=self._canonical_name)
        self.pool = AddressPool()
        self._private_farm = Farm()
        self._private_farm.put_prefix("*", "/", lambda path: status_page(200, "internal service"))
        self._stoppables: list[ServerThread | DnsServer | EgressProxy | RdapServer | CertificateAuthority] = []
        self._known_addresses: set[str] = set()
        self._default_sites = default_sites
        self.sites: DefaultSites | None = None  # the catalogue, once started with default_sites=True

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        try:
            self._start_services()
        except BaseException:
            self.stop()  # whatever did start must not outlive a failed start
            raise
        if self._default_sites:
            self.sites = install_default_sites(self)
        return self

    def _start_services(self) -> None:
        self._farm_server = self._keep(start_farm(self.farm, self.address))
        private_address = PRIVATE_ADDRESS if is_loopback_bindable(PRIVATE_ADDRESS) else self.address
        self._private_server = self._keep(start_farm(self._private_farm, private_address))
        self._authority = CertificateAuthority()
        self._stoppables.append(self._authority)
        self._tls_server = self._keep(start_tls_farm(self.farm, self._authority, self.address))
        self._dns = self._keep(DnsServer(self.zone, self.address).start())
        self._proxy = self._keep(EgressProxy(self._route, self.address).start())
        self._rdap = self._keep(RdapServer(self.address).start())

    def _keep(self, service: _Service) -> _Service:
        self._stoppables.append(service)
        return service

    def stop(self) -> None:
        """Stop every service that started, all at once (each waits for its own poll); idempotent."""
        services, self._stoppables = self._stoppables, []
        servers = [service for service in services if not isinstance(service, CertificateAuthority)]
        stoppers = [threading.Thread(target=server.stop, name="synthnet-stop") for server in servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for service in services:
            if isinstance(service, CertificateAuthority):
                service.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- where things are ------------------------------------------------------------------------

    @property
    def farm_port(self) -> int:
        return self._farm_server.port

    @property
    def farm_tls_port(self) -> int:
        """The farm over HTTPS (certificates per host by SNI, issued by `ca_pem`); CONNECT host:443 lands here."""
        return self._tls_server.port

    @property
    def ca_pem(self) -> bytes:
        """The throw-away CA certificate, for clients that verify TLS."""
        return self._authority.pem

    @property
    def private_address(self) -> str:
        """Address of the private listener (what rebinding and 'internal' names answer)."""
        return self._private_server.host

    @property
    def private_port(self) -> int:
        return self._private_server.port

    @property
    def dns_nameserver(self) -> str:
        return self._dns.nameserver

    @property
    def proxy_url(self) -> str:
        return self._proxy.url

    @property
    def rdap_url(self) -> str:
        return self._rdap.url

    @property
    def rdap(self) -> RdapData:
        """RDAP state: serve_raw(cidr, json), rate_limit(n, retry_after), queries, ip_queries."""
        return self._rdap.data

    def default_urls(self) -> dict[str, str]:
        """Name -> URL of every default site (empty without default sites); see sites.py."""
        return self.sites.urls() if self.sites else {}

    def env(self) -> dict[str, str]:
        """HOTLINE_* variables pointing the product at this net."""
        return {"HOTLINE_DNS_NAMESERVERS": self.dns_nameserver,
                "HOTLINE_EGRESS_PROXY": self.proxy_url,
                "HOTLINE_RDAP_URL": self.rdap_url}

    # -- what happened ---------------------------------------------------------------------------

    @property
    def hits(self) -> list[tuple[str, str]]:
        return self.farm.hits

    @property
    def requests(self) -> list[RequestRecord]:
        return self.farm.requests

    @property
    def farm_open_connections(self) -> int:
        """Connections the farm is serving right now (0 once a trickle noticed its client left)."""
        return self._farm_server.server.open_connections()

    @property
    def private_hits(self) -> int:
        return self._private_server.server.connections

    @property
    def private_requests(self) -> list[tuple[str, str]]:
        return self._private_farm.hits

    @property
    def proxy_log(self) -> list[ProxyRecord]:
        return self._proxy.log

    @property
    def dns_queries(self) -> list[tuple[str, str]]:
        return self.zone.queries

    # -- DNS -------------------------------------------------------------------------------------

    def add_host(self, host: str, ips: list[str] | None = None, country: str = "RO",
                 ns: list[str] | None = None) -> list[str]:
        """Register a name; without `ips` it gets a fresh public-looking address in `country`."""
        addresses = ips if ips is not None else [self.pool.allocate(country)]
        self.zone.set_addresses(host, addresses)
        self._known_addresses.update(str(ipaddress.ip_address(a)) for a in addresses)
        apex = ".".join(normalise_name(host).split(".")[-2:])
        if not self.zone.exists(apex) or apex == normalise_name(host):
            self.zone.set_ns(apex, ns or [f"ns1.dns-{apex}", f"ns2.dns-{apex}"])
        return addresses

    def add_cname(self, alias: str, target: str) -> None:
        self.zone.set_cname(alias, target)

    def add_servfail(self, host: str) -> None:
        self.zone.set_behaviour(host, "servfail")

    def add_dns_timeout(self, host: str) -> None:
        """The DNS server never answers for this name."""
        self.zone.set_behaviour(host, "drop")

    def add_rebinding(self, host: str, public_ip: str | None = None) -> None:
        """A answers alternate: public-looking first, then the private listener's loopback address."""
        self.zone.set_rebinding(host, public_ip or self.pool.allocate("RO"), self.private_address)

    def remove_host(self, host: str) -> None:
        """DNS gone: the name answers NXDOMAIN from now on."""
        self.zone.delete(host)

    def take_offline(self, host: str) -> None:
        """The host's server is down: the proxy answers 502 (connection refused) without connecting and
        the farm drops direct connections for it unanswered. DNS still answers."""
        self.farm.offline.add(normalise_name(host))

    def bring_online(self, host: str) -> None:
        self.farm.offline.discard(normalise_name(host))

    # -- content ---------------------------------------------------------------------------------

    def add_page(self, host: str, path: str, html: str = "", status: int = 200,
                 headers: dict[str, str] | None = None) -> str:
        self.farm.put(host, path, Response(status, {"Content-Type": "text/html; charset=utf-8",
                                                    **(headers or {})}, html.encode()))
        return self.url(host, path)

    def add_bytes(self, host: str, path: str, body: bytes, content_type: str,
                  status: int = 200, headers: dict[str, str] | None = None) -> str:
        self.farm.put(host, path, Response(status, {"Content-Type": content_type, **(headers or {})}, body))
        return self.url(host, path)

    def add_image(self, host: str, path: str, seed: int = 1, fmt: str = "PNG",
                  size: tuple[int, int] = (256, 256), animated: bool = False) -> str:
        """A Pillow-drawn image, identical for the same (seed, fmt, size); animated=True gives a GIF."""
        body = animated_gif_bytes(seed, size=size) if animated else image_bytes(seed, fmt, size)
        return self.add_bytes(host, path, body, content_type("GIF" if animated else fmt))

    def add_bulk_pages(self, host: str, count: int, images_per_page: int = 3, size: tuple[int, int] = (64, 64),
                       distinct_pixels: bool = False) -> list[str]:
        """`count` pages /bulk/N.html, each embedding its own images /bulk/N-K.png; returns page URLs.

        Every image file is distinct (own sha256). With distinct_pixels=False they reuse 16 drawings and
        differ by a PNG text chunk, which makes 10,000 images cheap to set up (benchmarks).
        """
        urls = []
        for page_number in range(count):
            tags = []
            for k in range(images_per_page):
                path = f"/bulk/{page_number}-{k}.png"
                seed = page_number * images_per_page + k
                body = (image_bytes(seed + 10_000, "PNG", size) if distinct_pixels
                        else tagged_png(seed % 16 + 10_000, f"{host}{path}", size))
                self.add_bytes(host, path, body, "image/png")
                tags.append(f'<img src="{path}">')
            html = f"<html><body><h1>Page {page_number}</h1>{''.join(tags)}</body></html>"
            urls.append(self.add_page(host, f"/bulk/{page_number}.html", html))
        return urls

    def add_redirect(self, host: str, path: str, location: str, status: int = 302) -> str:
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"redirect status must be one of {REDIRECT_STATUSES}, not {status}")
        self.farm.put(host, path, Response(status, {"Location": location}, b""))
        return self.url(host, path)

    def add_response(self, host: str, path: str, response: Response) -> str:
        """Any Response, e.g. one of hostile.oversized(), hostile.gzip_bomb(), hostile.trickle()."""
        self.farm.put(host, path, response)
        return self.url(host, path)

    def add_disguised(self, host: str, path: str, html: str, decoy_html: str, referer_prefix: str | None = None,
                      user_agent_contains: str | None = None) -> str:
        """A page that shows `html` only to visitors with the right Referer / User-Agent, else the decoy."""

        def choose(request: RequestRecord) -> Response:
            headers = {name.lower(): value for name, value in request.headers.items()}
            referer_ok = referer_prefix is None or headers.get("referer", "").startswith(referer_prefix)
            agent_ok = user_agent_contains is None or user_agent_contains in headers.get("user-agent", "")
            chosen = html if referer_ok and agent_ok else decoy_html
            return Response(200, {"Content-Type": "text/html; charset=utf-8", "Vary": "Referer, User-Agent"},
                            chosen.encode())

        self.farm.put(host, path, Response(choose=choose))
        return self.url(host, path)

    def remove(self, host: str, path: str, status: int = 404) -> None:
        """The resource answers `status` (404, 410, 500...) until restore()."""
        self.farm.remove(host, path, status)

    def restore(self, host: str, path: str) -> None:
        self.farm.restore(host, path)

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}{path}"

    def private_url(self, path: str = "/") -> str:
        """Direct URL of the private listener (an SSRF target)."""
        return f"http://{self.private_address}:{self.private_port}{path}"

    # -- proxy routing ---------------------------------------------------------------------------

    def _route(self, host: str, port: int, tunnel: bool = False) -> Route | None:
        """Where the proxy may connect for `host`; None means 502 and no connection at all."""
        farm = Route("farm", (self._farm_server.host, self._farm_server.port))
        if tunnel and port == 443:
            farm = Route("tls-farm", (self._tls_server.host, self._tls_server.port))
        private = Route("private", (self._private_server.host, self._private_server.port))
        literal = _parse_ip_literal(host)
        if literal is not None:
            if not is_public(literal):
                return private  # asking the proxy for a non-public address literal is an SSRF by itself
            return farm if (find_network(literal) or literal in self._known_addresses) else None
        addresses = self.zone.resolve(host, "A").addresses or self.zone.resolve(host, "AAAA").addresses
        if not addresses:
            return None
        if normalise_name(host) in self.farm.offline:
            return Route("offline", farm.address)
        if any(not is_public(a) and not self._is_farm_address(a) for a in addresses):
            return private
        return farm

    def _canonical_name(self, host: str) -> str | None:
        """Where a CNAME chain ends: the farm serves an alias with its target's site, like a vhost alias."""
        chain = self.zone.peek_chain(host)
        return chain[-1][1] if chain else None

    def _is_farm_address(self, address: str) -> bool:
        """The farm's own loopback address counts as the farm, unless the private listener shares it."""
        return address == self._farm_server.host and self._private_server.host != self._farm_server.host


def _parse_ip_literal(host: str) -> str | None:
    """Any spelling a resolver's inet_aton would accept (127.1, 0x7f.1, 2130706433) or an IPv6 literal."""
    host = host.strip("[]").rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None
