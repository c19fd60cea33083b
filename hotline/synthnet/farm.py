"""The HTTP site farm: one threaded server answering for every synthetic host, chosen by the Host header.

Routes are (host, path) -> Response. A Response is either static (status, headers, body) or carries a
`writer` that talks to the client itself (hostile behaviours: trickle, slow headers, huge bodies).
Routes can be removed (answering 404/410) and put back at run time, which monitoring tests need.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import idna

from hotline.synthnet.server import ServerThread, TrackingHTTPServer


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # A writer sends everything itself (status line included); used for behaviours a static body can't show.
    writer: Callable[[Exchange], None] | None = None
    # Picks the real response from the request (disguised sites that depend on Referer or User-Agent).
    choose: Callable[[RequestRecord], Response] | None = None


@dataclass(frozen=True)
class RequestRecord:
    host: str
    path: str
    method: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when the request line arrived (rate tests)


def normalise_host(host: str) -> str:
    """Host header -> lookup key: lower case, no port, no trailing dot, no IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.rstrip(".")
    if not host.isascii():
        host = idna.encode(host, uts46=True).decode("ascii")  # registered as Unicode, asked for as punycode
    return host


class Exchange:
    """What a writer may do with one request: send a head, write bytes, notice a client that left."""

    def __init__(self, handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        self._handler = handler
        self.stopping = stopping
        self.method = handler.command
        self.path = handler.path
        self.headers = {k: v for k, v in handler.headers.items()}

    def send_head(self, status: int, headers: dict[str, str]) -> None:
        """Status line and headers; the connection closes after a writer finishes."""
        self._handler.close_connection = True
        self._handler.send_response(status)
        for name, value in headers.items():
            self._handler.send_header(name, value)
        self._handler.send_header("Connection", "close")
        self._handler.end_headers()

    def write(self, data: bytes) -> bool:
        """Send bytes now; False once the client is gone or the net is stopping."""
        if self.stopping.is_set():
            return False
        try:
            self._handler.wfile.write(data)
            self._handler.wfile.flush()
        except OSError:
            return False
        return True

    def client_gone(self) -> bool:
        """True when the peer closed its side (a readable socket with nothing to read)."""
        sock: socket.socket = self._handler.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except ValueError:
            return False  # TLS sockets cannot peek: a failing write tells instead
        except OSError:
            return True

    def pause(self, seconds: float) -> bool:
        """Wait between slow writes; False when the client left or the net is stopping."""
        if self.stopping.wait(seconds):
            return False
        return not self.client_gone()


class Farm:
    """Routing table and request log of the farm; thread-safe."""

    def __init__(self, alias_of: Callable[[str], str | None] | None = None) -> None:
        # A host with no routes of its own is served as the host its CNAME chain ends at.
        self._alias_of = alias_of
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Response] = {}
        self._prefixes: dict[tuple[str, str], Callable[[str], Response]] = {}
        self._removed: dict[tuple[str, str], Response] = {}
        self._hosts: set[str] = set()
        self.offline: set[str] = set()  # hosts whose server is down: connections end with no answer
        self.hits: list[tuple[str, str]] = []
        self.requests: list[RequestRecord] = []

    def put(self, host: str, path: str, response: Response) -> None:
        key = (normalise_host(host), path)
        with self._lock:
            self._routes[key] = response
            self._removed.pop(key, None)
            self._hosts.add(key[0])

    def put_prefix(self, host: str, prefix: str, factory: Callable[[str], Response]) -> None:
        """Every path starting with `prefix` is answered by factory(path); host "*" matches any host."""
        with self._lock:
            self._prefixes[(normalise_host(host), prefix)] = factory
            self._hosts.add(normalise_host(host))

    def remove(self, host: str, path: str, status: int = 404) -> None:
        """Take a resource down; it answers `status` until restore() puts the original back."""
        key = (normalise_host(host), path)
        with self._lock:
            original = self._routes.get(key)
            if original is not None and key not in self._removed:
                self._removed[key] = original
            self._routes[key] = status_page(status)

    def restore(self, host: str, path: str) -> None:
        key = (normalise_host(host), path)
        with self._lock:
            original = self._removed.pop(key, None)
            if original is not None:
                self._routes[key] = original

    def hosts(self) -> set[str]:
        with self._lock:
            return set(self._hosts)

    def lookup(self, host: str, target: str) -> Response:
        if self._alias_of is not None and host not in self._hosts:
            host = self._alias_of(host) or host
        path_only = target.split("?", 1)[0]
        with self._lock:
            for key in ((host, target), (host, path_only)):
                if key in self._routes:
                    return self._routes[key]
            matches = [(p, f) for (h, p), f in self._prefixes.items()
                       if h in (host, "*") and path_only.startswith(p)]
        if matches:
            _, factory = max(matches, key=lambda match: len(match[0]))
            return factory(target)
        return status_page(404)

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self.hits.append((record.host, record.path))
            self.requests.append(record)


def status_page(status: int, text: str | None = None) -> Response:
    body = (text or f"<html><body><h1>{status}</h1></body></html>").encode()
    return Response(status=status, headers={"Content-Type": "text/html; charset=utf-8"}, body=body)


class FarmHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # header and body go out in separate writes: no 40 ms stalls
    protocol_version = "HTTP/1.1"
    server_version = "synthnet"
    timeout = 120  # an idle keep-alive connection ends eventually even if nobody stops the net

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is the place for results, not access logs."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 20))
        self._serve()

    def _target(self) -> tuple[str, str]:
        """Host and path; an absolute-URI request line (proxy style) is accepted too."""
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path = parts.path or "/"
            return normalise_host(parts.netloc.rsplit("@", 1)[-1]), path + (f"?{parts.query}" if parts.query else "")
        return normalise_host(self.headers.get("Host", "")), self.path

    def _serve(self) -> None:
        farm: Farm = self.server.context["farm"]  # type: ignore[attr-defined]
        stopping: threading.Event = self.server.stopping  # type: ignore[attr-defined]
        host, path = self._target()
        if host in farm.offline:
            self.close_connection = True  # like a server that is down: no status line at all
            return
        record = RequestRecord(host, path, self.command, dict(self.headers.items()))
        farm.record(record)
        response = farm.lookup(host, path)
        if response.choose is not None:
            response = response.choose(record)
        if response.writer is not None:
            response.writer(Exchange(self, stopping))
            self.close_connection = True
            return
        self.send_response(response.status)
        headers = {"Content-Type": "text/html; charset=utf-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.status not in (204, 304):
            self.wfile.write(response.body)


def start_farm(farm: Farm, address: str = "127.0.0.1") -> ServerThread:
    server = TrackingHTTPServer((address, 0), FarmHandler, farm=farm)
    return ServerThread(server, name=f"synthnet-farm-{address}").start()
