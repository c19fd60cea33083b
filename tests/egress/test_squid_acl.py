"""Squid's `dst` ACL keeps requests away from a private network, for names and for every spelling of an
address, while names in the allowed range still work (positive control).

Given a private listener on 127.0.0.2 (it counts every connection) and a Squid whose rules deny
127.0.0.2/32 and allow the rest of loopback, when plain clients ask Squid for it, by a name that the
hosts_file maps there or by an address however spelled, over http:// or CONNECT, then Squid answers 403
without connecting and the listener sees 0 connections.
"""

from __future__ import annotations

import http.client
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from support.squid import Squid
from support.vhosts import VirtualHosts

from .conftest import INTRANET, PRIVATE_ADDRESS, SITE_A, page

# 127.0.0.2 written every way a URL parser might accept (the capture tests' corpus, less the names
# that do not mean the private listener: localhost, [::1], 0.0.0.0 are refused by the fixture's
# loopback-only rule or not served, which says nothing about this ACL).
SPELLINGS = [
    "127.0.0.2", "2130706434", "2130706434.", "0177.0.0.02", "0177.0.0.2.", "0x7f.0.0.2", "0x7f000002",
    "0x7F.0x0.0x0.0x2", "017700000002", "127.2", "127.0.2", "127.0.0.2.", "%31%32%37.0.0.2",
    "[::ffff:127.0.0.2]", "[::ffff:7f00:2]", "[0:0:0:0:0:ffff:127.0.0.2]", "[::127.0.0.2]",
    "a@127.0.0.2", "user:pw@127.0.0.2", f"{SITE_A}@127.0.0.2", INTRANET, INTRANET.upper() + ".",
]  # fmt: skip


def _status_line(squid: Squid, method: str, target: str, host: str) -> str:
    """One request with exactly this request line (client libraries refuse or rewrite odd hosts)."""
    with socket.create_connection(("127.0.0.1", squid.port), timeout=15) as connection:
        connection.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while b"\r\n" not in reply and (chunk := connection.recv(4096)):
            reply += chunk
    return reply.split(b"\r\n", 1)[0].decode()


def test_a_name_that_resolves_to_the_private_network_is_refused_without_a_connection(
        squid: Squid, private_listener: VirtualHosts, client: requests.Session) -> None:
    since = squid.mark()

    answer = client.get(private_listener.url(INTRANET, "/secret"), timeout=10)

    assert answer.status_code == 403
    [record] = squid.wait_for(lambda r: INTRANET in r.url, since=since)
    assert (record.result, record.hierarchy, record.peer) == ("TCP_DENIED", "HIER_NONE", None)
    assert private_listener.connections == 0


def test_connect_to_the_private_network_is_refused_without_a_connection(
        squid: Squid, private_listener: VirtualHosts, client: requests.Session) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        client.get(f"https://{INTRANET}:{private_listener.port}/secret", timeout=10)

    assert private_listener.connections == 0


def test_every_spelling_of_the_private_address_is_refused_without_a_connection(
        squid: Squid, private_listener: VirtualHosts) -> None:
    port = private_listener.port
    since = squid.mark()

    def ask(spelling: str) -> tuple[str, str, str]:
        http = _status_line(squid, "GET", f"http://{spelling}:{port}/secret", f"{spelling}:{port}")
        tunnel = _status_line(squid, "CONNECT", f"{spelling}:{port}", f"{spelling}:{port}")
        return spelling, http, tunnel

    with ThreadPoolExecutor(max_workers=8) as pool:  # a few spellings wait for a DNS timeout
        answers = list(pool.map(ask, SPELLINGS))

    assert [a for a in answers if not (a[1].startswith("HTTP/1.1 403") and a[2].startswith("HTTP/1.1 403"))] == []
    records = squid.wait_for(lambda r: True, count=2 * len(SPELLINGS), since=since)
    assert {(r.status, r.hierarchy) for r in records} == {(403, "HIER_NONE")}
    assert private_listener.connections == 0


def test_names_in_the_allowed_range_are_fetched(squid: Squid, sites: VirtualHosts,
                                                private_listener: VirtualHosts,
                                                client: requests.Session) -> None:
    """Positive control: the same kind of request, to 127.0.0.1, goes through."""
    since = squid.mark()

    answer = client.get(sites.url(SITE_A, "/"), timeout=10)

    assert (answer.status_code, answer.text) == (200, page(SITE_A))
    [record] = squid.wait_for(lambda r: SITE_A in r.url, since=since)
    assert (record.result, record.hierarchy, record.peer) == ("TCP_MISS", "HIER_DIRECT", "127.0.0.1")
    assert private_listener.connections == 0


def test_a_listener_like_the_private_one_does_count_connections() -> None:
    """The zeros above mean something: a direct connection (not through Squid) is counted."""
    with VirtualHosts(PRIVATE_ADDRESS) as listener:
        listener.add(INTRANET, "/", page(INTRANET))
        connection = http.client.HTTPConnection(PRIVATE_ADDRESS, listener.port, timeout=10)
        connection.request("GET", "/", headers={"Host": INTRANET})
        status = connection.getresponse().status
        connection.close()

        assert (status, listener.connections) == (200, 1)
