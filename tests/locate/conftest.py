"""Fixtures for the hosting-location tests: a loopback RDAP server and a no-egress guard."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest

REPO = Path(__file__).resolve().parents[2]
RDAP_SAMPLES = REPO / ".." / "shared" / "reference" / "rdap" / "ipwhois-rdap-samples.json"


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return False  # AF_UNIX paths are bytes/str without a host part; treat odd ones as foreign
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every test here: a connection or datagram to anything but loopback fails and is recorded."""
    attempts: list[Any] = []
    real_connect, real_connect_ex, real_sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto

    def check(address: Any) -> None:
        if not _is_loopback(address):
            attempts.append(address)
            raise OSError(f"test guard: refused connection to non-loopback {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:
        check(args[-1])
        return real_sendto(self, data, *args)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    return attempts


class LoopbackRdap:
    """An RDAP server on 127.0.0.1 answering /ip/<addr> from registered network responses.

    A response answers for every address between its startAddress and endAddress; anything else
    gets 404. `queries` lists the paths asked, so tests can count what reached the server.
    """

    def __init__(self) -> None:
        self.networks: list[tuple[Any, Any, dict[str, Any]]] = []
        self.queries: list[str] = []
        self.silent = False  # accept but never answer (for timeout tests)
        self.redirect_to: str | None = None  # answer every query with a 301 to this base URL
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def add(self, response: dict[str, Any]) -> None:
        start = ipaddress.ip_address(_strip_zeros(response["startAddress"]))
        end = ipaddress.ip_address(_strip_zeros(response["endAddress"]))
        self.networks.append((start, end, response))

    def answer_for(self, ip: str) -> dict[str, Any] | None:
        address = ipaddress.ip_address(ip)
        matches = [(s, e, r) for s, e, r in self.networks if s.version == address.version and s <= address <= e]
        if not matches:
            return None
        # The most specific network wins, as at a registry.
        return min(matches, key=lambda m: int(m[1]) - int(m[0]))[2]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        rdap = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                rdap.queries.append(self.path)
                if rdap.silent:
                    rdap._release.wait(10)
                    return
                if rdap.redirect_to:
                    self.send_response(301)
                    self.send_header("Location", rdap.redirect_to.rstrip("/") + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                prefix = "/ip/"
                body = rdap.answer_for(self.path[len(prefix):]) if self.path.startswith(prefix) else None
                if body is None:
                    self._send(404, {"errorCode": 404, "title": "Not Found"})
                else:
                    self._send(200, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/rdap+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _strip_zeros(address: str) -> str:
    """ARIN writes "074.125.000.000", RIPE "2a00::/128"; ipaddress wants neither."""
    address = address.split("/")[0]
    if "." in address and ":" not in address:
        return ".".join(str(int(part)) for part in address.split("."))
    return address


@pytest.fixture
def rdap_server() -> Iterator[LoopbackRdap]:
    with LoopbackRdap() as server:
        yield server


@pytest.fixture(scope="session")
def rdap_samples() -> dict[str, Any]:
    """The ten real RDAP responses from ipwhois's test data (shared reference folder)."""
    if not RDAP_SAMPLES.is_file():
        pytest.skip(f"reference RDAP samples not found at {RDAP_SAMPLES} (shared/ is not beside the repo)")
    return json.loads(RDAP_SAMPLES.read_text("utf-8"))
