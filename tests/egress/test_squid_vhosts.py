"""Name-based virtual hosts on loopback reached through real Squid, over http:// and https:// (CONNECT).

Given one server that answers by Host (421 for hosts it does not serve) and names that only Squid's
hosts_file knows, a client sending every request through Squid gets each name's own site, and over
TLS still sees the site's certificate. Squid follows the request line, not the Host header: with an
address in the request line the site gets Host: <address> (the known defect for pinning over http://);
over https:// the Host header and SNI travel inside the tunnel, so CONNECT <address> can pin.
"""

from __future__ import annotations

import http.client
import socket
import ssl

import requests
from cryptography import x509
from cryptography.x509.oid import NameOID
from support.squid import Squid
from support.vhosts import VirtualHosts

from hotline.synthnet.tls import CA_NAME

from .conftest import SITE_A, SITE_B, UNSERVED, page


def _fetch(client: requests.Session, url: str) -> tuple[int, str]:
    """Status and text; the response is closed, so its connection (a CONNECT tunnel) can close too."""
    with client.get(url, timeout=10) as response:
        return response.status_code, response.text


def _via_squid(squid: Squid, target: str, headers: dict[str, str]) -> tuple[int, str]:
    """Send exactly this request line and these headers to Squid (requests would rewrite Host)."""
    connection = http.client.HTTPConnection("127.0.0.1", squid.port, timeout=10)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _tunnel(squid: Squid, connect_to: str, server_name: str, ca_file: str) -> ssl.SSLSocket:
    """CONNECT connect_to through Squid, then TLS with this SNI, verified against the test CA."""
    raw = socket.create_connection(("127.0.0.1", squid.port), timeout=10)
    raw.sendall(f"CONNECT {connect_to} HTTP/1.1\r\nHost: {connect_to}\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = raw.recv(4096)
        assert chunk, f"Squid closed the connection after {reply!r}"
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply
    context = ssl.create_default_context(cafile=ca_file)
    return context.wrap_socket(raw, server_hostname=server_name)


def _get(tls: ssl.SSLSocket, host: str) -> str:
    tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    answer = b""
    while chunk := tls.recv(65536):
        answer += chunk
    return answer.decode()


def test_each_name_reaches_its_own_site_over_http(squid: Squid, sites: VirtualHosts,
                                                  client: requests.Session) -> None:
    since = squid.mark()

    pages = {name: _fetch(client, sites.url(name)) for name in (SITE_A, SITE_B, UNSERVED)}

    assert pages[SITE_A][0] == 200 and f"<h1>{SITE_A}</h1>" in pages[SITE_A][1]
    assert pages[SITE_B][0] == 200 and f"<h1>{SITE_B}</h1>" in pages[SITE_B][1]
    assert pages[UNSERVED][0] == 421
    records = squid.wait_for(lambda r: r.method == "GET", count=3, since=since)
    assert [(r.status, r.hierarchy, r.peer, r.peer_port) for r in records] == [
        (200, "HIER_DIRECT", "127.0.0.1", sites.port), (200, "HIER_DIRECT", "127.0.0.1", sites.port),
        (421, "HIER_DIRECT", "127.0.0.1", sites.port)]


def test_the_name_in_the_request_line_chooses_the_site_whatever_the_host_header(
        squid: Squid, sites: VirtualHosts) -> None:
    status, body = _via_squid(squid, f"http://{SITE_B}:{sites.port}/?probe=name-line",
                              headers={"Host": SITE_A})

    assert status == 200 and f"<h1>{SITE_B}</h1>" in body
    [seen] = [s for s in sites.seen if s.target == "/?probe=name-line"]
    assert seen.host_header == f"{SITE_B}:{sites.port}"


def test_an_address_in_the_request_line_loses_the_host_header(squid: Squid, sites: VirtualHosts) -> None:
    """Known defect for pinning over http://: Squid rewrites Host from the request line (RFC 9112 3.2.2),
    so a capture that puts the checked address there fetches the wrong virtual host."""
    status, _body = _via_squid(squid, f"http://127.0.0.1:{sites.port}/?probe=address-line",
                               headers={"Host": SITE_A})

    assert status == 421
    [seen] = [s for s in sites.seen if s.target == "/?probe=address-line"]
    assert seen.host_header == f"127.0.0.1:{sites.port}"


def test_each_name_reaches_its_own_site_over_https_through_connect(
        squid: Squid, tls_sites: VirtualHosts, client: requests.Session) -> None:
    since = squid.mark()

    pages = {name: _fetch(client, tls_sites.url(name)) for name in (SITE_A, SITE_B)}
    client.close()  # Squid logs a tunnel when it closes

    assert pages == {name: (200, page(name)) for name in (SITE_A, SITE_B)}
    tunnels = squid.wait_for(lambda r: r.method == "CONNECT", count=2, since=since)
    assert sorted(r.url for r in tunnels) == [f"{SITE_A}:{tls_sites.port}", f"{SITE_B}:{tls_sites.port}"]
    assert {(r.status, r.result, r.hierarchy, r.peer) for r in tunnels} == {
        (200, "TCP_TUNNEL", "HIER_DIRECT", "127.0.0.1")}


def test_tls_details_of_the_site_are_seen_through_the_tunnel(squid: Squid, tls_sites: VirtualHosts,
                                                             ca_file: str) -> None:
    with _tunnel(squid, f"{SITE_B}:{tls_sites.port}", SITE_B, ca_file) as tls:
        certificate = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True) or b"")
        version, cipher = tls.version(), tls.cipher()
        body = _get(tls, SITE_B)

    assert f"<h1>{SITE_B}</h1>" in body
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == SITE_B
    assert certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_NAME
    assert version in ("TLSv1.2", "TLSv1.3") and cipher is not None


def test_connect_to_an_address_with_the_name_inside_the_tunnel_reaches_the_named_site(
        squid: Squid, tls_sites: VirtualHosts, ca_file: str) -> None:
    """The way to pin a checked address through Squid: CONNECT <address>, SNI and Host carry the name."""
    since = squid.mark()

    with _tunnel(squid, f"127.0.0.1:{tls_sites.port}", SITE_A, ca_file) as tls:
        body = _get(tls, SITE_A)

    assert body.startswith("HTTP/1.1 200") and f"<h1>{SITE_A}</h1>" in body
    [record] = squid.wait_for(lambda r: r.method == "CONNECT", since=since)
    assert (record.url, record.peer) == (f"127.0.0.1:{tls_sites.port}", "127.0.0.1")
