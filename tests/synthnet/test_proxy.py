"""The egress proxy reaches the farm by host name and nothing else."""

from __future__ import annotations

import http.client
import socket

import pytest
import requests

from hotline.synthnet import SyntheticInternet, hostile

HOST = "forum.example-synth.nl"


@pytest.fixture
def site(net: SyntheticInternet) -> str:
    net.add_host(HOST, country="NL")
    net.add_page(HOST, "/thread/1", html="<p>forum</p>")
    return HOST


def test_fetch_through_the_proxy(net: SyntheticInternet, site: str, proxies: dict[str, str]) -> None:
    response = requests.get(f"http://{site}/thread/1", proxies=proxies, timeout=5)

    assert response.status_code == 200 and response.text == "<p>forum</p>"
    assert net.hits == [(site, "/thread/1")]
    assert net.proxy_log[-1].route == "farm"


def test_farm_status_and_headers_pass_through(net: SyntheticInternet, site: str, proxies: dict[str, str]) -> None:
    net.add_redirect(site, "/r", "http://elsewhere.example-synth.nl/x", status=307)

    response = requests.get(f"http://{site}/r", proxies=proxies, allow_redirects=False, timeout=5)

    assert response.status_code == 307
    assert response.headers["Location"] == "http://elsewhere.example-synth.nl/x"


def test_unknown_host_is_502_without_any_connection(net: SyntheticInternet, proxies: dict[str, str]) -> None:
    response = requests.get("http://unknown.example-synth.nl/", proxies=proxies, timeout=5)

    assert response.status_code == 502
    assert net.hits == [] and net.private_hits == 0
    assert [record.route for record in net.proxy_log] == ["refused"]


def test_public_address_outside_the_net_is_refused(net: SyntheticInternet, proxies: dict[str, str]) -> None:
    response = requests.get("http://8.8.8.8/", proxies=proxies, timeout=5)

    assert response.status_code == 502 and net.hits == []


@pytest.mark.parametrize("spelling", ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1",
                                      "[::1]", "[::ffff:127.0.0.1]", "10.0.0.5", "169.254.169.254"])
def test_non_public_address_literals_land_on_the_private_listener(net: SyntheticInternet,
                                                                  proxies: dict[str, str],
                                                                  spelling: str) -> None:
    requests.get(f"http://{spelling}/latest/meta-data/", proxies=proxies, timeout=5)

    assert net.private_hits == 1 and net.hits == []


def test_name_answering_a_private_address_lands_on_the_private_listener(net: SyntheticInternet,
                                                                        proxies: dict[str, str]) -> None:
    net.add_host("intranet.example-synth.nl", ips=["192.168.1.1"])

    requests.get("http://intranet.example-synth.nl/admin", proxies=proxies, timeout=5)

    assert net.private_requests == [("intranet.example-synth.nl", "/admin")]


def test_rebinding_flips_between_check_and_proxy(net: SyntheticInternet, proxies: dict[str, str]) -> None:
    """The product's own lookup takes the public answer; the proxy's lookup then gets the loopback one."""
    net.add_rebinding("rebind.example-synth.nl")
    net.zone.resolve("rebind.example-synth.nl", "A")  # stands for the product's check

    requests.get("http://rebind.example-synth.nl/", proxies=proxies, timeout=5)

    assert net.private_hits == 1


def test_address_literal_with_host_header_pins_the_checked_address(net: SyntheticInternet, site: str,
                                                                    proxies: dict[str, str]) -> None:
    address = net.zone.resolve(site, "A").addresses[0]

    response = requests.get(f"http://{address}/thread/1", headers={"Host": site}, proxies=proxies, timeout=5)

    assert response.text == "<p>forum</p>" and net.hits == [(site, "/thread/1")]


def test_connect_tunnel_reaches_the_farm(net: SyntheticInternet, site: str) -> None:
    host, port = net.proxy_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"CONNECT {site}:80 HTTP/1.1\r\nHost: {site}:80\r\n\r\n".encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        sock.sendall(f"GET /thread/1 HTTP/1.1\r\nHost: {site}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk

    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"<p>forum</p>")


def test_connect_to_unknown_host_is_502(net: SyntheticInternet) -> None:
    host, port = net.proxy_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"CONNECT nowhere.example-synth.nl:443 HTTP/1.1\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 502")


def test_client_connection_is_kept_alive_between_responses_of_known_length(net: SyntheticInternet,
                                                                           site: str) -> None:
    host, port = net.proxy_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", f"http://{site}/thread/1")
    first = connection.getresponse()
    first.read()
    sock = connection.sock
    connection.request("GET", f"http://{site}/thread/1")
    second = connection.getresponse()

    assert not first.will_close and connection.sock is sock
    assert second.read() == b"<p>forum</p>"
    connection.close()


def test_response_without_length_is_relayed_until_close(net: SyntheticInternet, site: str,
                                                        proxies: dict[str, str]) -> None:
    net.add_response(site, "/blob", hostile.oversized(size=100_000, declare_length=False))

    response = requests.get(f"http://{site}/blob", proxies=proxies, timeout=5)

    assert len(response.content) == 100_000 and response.headers["Connection"] == "close"


def test_post_and_head_pass_through(net: SyntheticInternet, site: str, proxies: dict[str, str]) -> None:
    posted = requests.post(f"http://{site}/thread/1", data={"q": "x"}, proxies=proxies, timeout=5)
    head = requests.head(f"http://{site}/thread/1", proxies=proxies, timeout=5)

    assert posted.text == "<p>forum</p>" and head.content == b""
    assert [request.method for request in net.requests] == ["POST", "HEAD"]


def test_proxy_refuses_a_route_that_leaves_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a wrong router cannot make the proxy connect outside loopback."""
    from hotline.synthnet import proxy as proxy_module

    dialled: list[tuple[str, int]] = []

    def record_instead_of_connecting(address: tuple[str, int]) -> socket.socket:
        dialled.append(address)
        raise OSError("the test never lets this proxy dial")

    monkeypatch.setattr(proxy_module, "_connect", record_instead_of_connecting)
    proxy = proxy_module.EgressProxy(lambda host, port, tunnel: proxy_module.Route("farm", ("192.0.2.1", 80)))
    proxy.start()
    try:
        response = requests.get("http://anything.example-synth.nl/", proxies={"http": proxy.url}, timeout=5)
    finally:
        proxy.stop()

    assert response.status_code == 502 and proxy.log[0].route == "refused" and dialled == []


def test_offline_host_is_connection_refused_until_back(net: SyntheticInternet, site: str,
                                                       proxies: dict[str, str]) -> None:
    net.take_offline(site)
    through_proxy = requests.get(f"http://{site}/thread/1", proxies=proxies, timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{net.farm_port}/thread/1", headers={"Host": site}, timeout=5)
    net.bring_online(site)

    assert through_proxy.status_code == 502 and "connection refused" in through_proxy.text
    assert net.proxy_log[0].route == "offline" and net.hits == []
    assert requests.get(f"http://{site}/thread/1", proxies=proxies, timeout=5).status_code == 200
