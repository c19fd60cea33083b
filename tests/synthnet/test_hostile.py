"""Hostile endpoints misbehave as promised, directly and through the proxy, and never outlive the net."""

from __future__ import annotations

import socket
import time
import zlib
from collections.abc import Callable

import pytest
import requests

from hotline.synthnet import SyntheticInternet, hostile

HOST = "hostile.example-synth.ro"


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)  # polling a condition with a deadline, not waiting for a fixed time
    return condition()


@pytest.fixture
def site(net: SyntheticInternet) -> str:
    net.add_host(HOST)
    return HOST


def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(net: SyntheticInternet, site: str,
                                                         proxies: dict[str, str]) -> None:
    net.add_response(site, "/bomb", hostile.gzip_bomb(decompressed_size=64 * 1024 * 1024))

    response = requests.get(f"http://{site}/bomb", proxies=proxies, stream=True, timeout=5)
    wire = response.raw.read(decode_content=False)

    assert response.headers["Content-Encoding"] == "gzip"
    assert len(wire) < 1024 * 1024
    inflater, inflated = zlib.decompressobj(31), 0
    while wire:
        inflated += len(inflater.decompress(wire, 1 << 20))
        wire = inflater.unconsumed_tail
    assert inflated == 64 * 1024 * 1024


def test_oversized_body_declares_its_size_and_streams(net: SyntheticInternet, site: str,
                                                      proxies: dict[str, str]) -> None:
    net.add_response(site, "/huge.jpg", hostile.oversized(size=60 * 1024 * 1024))

    response = requests.get(f"http://{site}/huge.jpg", proxies=proxies, stream=True, timeout=5)
    first = next(response.iter_content(1024 * 1024))
    response.close()

    assert response.headers["Content-Length"] == str(60 * 1024 * 1024) and len(first) == 1024 * 1024
    assert wait_until(lambda: net.farm_open_connections == 0)


def test_oversized_body_without_length_ends_at_close(net: SyntheticInternet, site: str) -> None:
    net.add_response(site, "/blob", hostile.oversized(size=3 * 1024 * 1024, declare_length=False))

    response = requests.get(f"http://127.0.0.1:{net.farm_port}/blob", headers={"Host": site}, timeout=5)

    assert "Content-Length" not in response.headers and len(response.content) == 3 * 1024 * 1024


def test_trickle_sends_bytes_slowly(net: SyntheticInternet, site: str, proxies: dict[str, str]) -> None:
    net.add_response(site, "/slow", hostile.trickle(interval=0.1, total=1000))

    started = time.monotonic()
    response = requests.get(f"http://{site}/slow", proxies=proxies, stream=True, timeout=5)
    chunks = response.iter_content(1)
    received = [next(chunks) for _ in range(4)]
    elapsed = time.monotonic() - started
    response.close()

    assert received == [b"x"] * 4
    assert 0.25 <= elapsed < 5


@pytest.mark.parametrize("through_proxy", [False, True])
def test_trickle_stops_when_the_client_hangs_up(net: SyntheticInternet, site: str, through_proxy: bool) -> None:
    net.add_response(site, "/slow", hostile.trickle(interval=0.05, total=100_000))
    if through_proxy:
        host, port = net.proxy_url.removeprefix("http://").rsplit(":", 1)
        request = f"GET http://{site}/slow HTTP/1.1\r\nHost: {site}\r\n\r\n"
    else:
        host, port = "127.0.0.1", str(net.farm_port)
        request = f"GET /slow HTTP/1.1\r\nHost: {site}\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert wait_until(lambda: net.farm_open_connections == 1)

    assert wait_until(lambda: net.farm_open_connections == 0)


def test_slow_headers_never_finish(net: SyntheticInternet, site: str) -> None:
    net.add_response(site, "/slowhead", hostile.slow_headers(interval=0.05))

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"http://127.0.0.1:{net.farm_port}/slowhead", headers={"Host": site}, timeout=(2, 0.02))


def test_hang_never_answers(net: SyntheticInternet, site: str, proxies: dict[str, str]) -> None:
    net.add_response(site, "/hang", hostile.hang())

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"http://{site}/hang", proxies=proxies, timeout=(2, 0.2))


def test_endless_redirects_never_repeat_a_url(net: SyntheticInternet, site: str, proxies: dict[str, str]) -> None:
    net.farm.put_prefix(site, "/loop", hostile.endless_redirects("/loop"))
    session = requests.Session()
    session.max_redirects = 20

    with pytest.raises(requests.exceptions.TooManyRedirects):
        session.get(f"http://{site}/loop", proxies=proxies, timeout=5)

    paths = [path for _, path in net.hits]
    assert len(paths) == 21 and len(set(paths)) == 21


def test_redirect_to_the_private_listener_is_counted_when_followed(net: SyntheticInternet, site: str,
                                                                   proxies: dict[str, str]) -> None:
    net.add_redirect(site, "/go", net.private_url("/secret"))

    requests.get(f"http://{site}/go", proxies=proxies, timeout=5)

    assert net.private_hits == 1 and [path for _, path in net.private_requests] == ["/secret"]


def test_stopping_the_net_ends_a_trickle_in_progress(site: str) -> None:
    with SyntheticInternet(default_sites=False) as other:
        other.add_response(site, "/slow", hostile.trickle(interval=5, total=100))
        sock = socket.create_connection(("127.0.0.1", other.farm_port), timeout=5)
        sock.sendall(f"GET /slow HTTP/1.1\r\nHost: {site}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
    with sock:
        sock.settimeout(5)
        rest = b""
        while chunk := sock.recv(4096):
            rest += chunk

    assert time.monotonic() - started < 2
