"""Egress proxy of the synthetic internet: an HTTP forward proxy that can only reach the farm.

It accepts absolute-URI requests (GET/HEAD/POST/...) and CONNECT tunnels, asks a router where the host
lives and connects only to the address the router returns (the farm, or the private listener that
stands for an internal network). Unknown hosts get 502 and no connection at all. Responses are relayed
byte for byte as they arrive, so trickling and oversized bodies behave the same through the proxy.

Pinning: for an absolute URI whose host is an IP literal (http://5.2.130.10/x) the client's own Host
header is kept, so a capture can connect to the address it checked and still name the site.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from hotline.synthnet.server import ServerThread, TrackingTCPServer

MAX_HEAD = 64 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate",
              "te", "trailer", "upgrade"}


@dataclass(frozen=True)
class Route:
    kind: str  # "farm" | "private" | "tls-farm" | "offline" (answered 502 without connecting)
    address: tuple[str, int]


Router = Callable[[str, int, bool], Route | None]  # (host, port, is_tunnel) -> where to connect


@dataclass(frozen=True)
class ProxyRecord:
    method: str
    target: str
    route: str  # route kind, or "refused"


class ProxyHandler(socketserver.StreamRequestHandler):
    disable_nagle_algorithm = True  # header and body go out in separate writes: no 40 ms stalls
    timeout = 120

    def handle(self) -> None:
        """One request after another on a kept-alive client connection, until one needs a close."""
        while not self.server.stopping.is_set():  # type: ignore[attr-defined]
            head = self._read_head(self.rfile)  # type: ignore[arg-type]
            if head is None:
                return
            request_line, headers = head
            try:
                method, target, version = request_line.split(" ", 2)
            except ValueError:
                self._reply(400, "malformed request line")
                return
            if method.upper() == "CONNECT":
                self._tunnel(target)
                return
            if not self._forward(method, target, headers) or not _client_keeps_alive(version, headers):
                return

    # -- parsing -----------------------------------------------------------------------------------

    @staticmethod
    def _read_head(stream: BinaryIO) -> tuple[str, list[tuple[str, str]]] | None:
        lines: list[str] = []
        size = 0
        while True:
            line = stream.readline(MAX_HEAD + 1)
            if not line:
                return None
            size += len(line)
            if size > MAX_HEAD:
                return None
            text = line.decode("latin-1").rstrip("\r\n")
            if not text:
                break
            lines.append(text)
        if not lines:
            return None
        headers = []
        for text in lines[1:]:
            name, _, value = text.partition(":")
            headers.append((name.strip(), value.strip()))
        return lines[0], headers

    # -- routing -----------------------------------------------------------------------------------

    def _route(self, method: str, target: str, host: str, port: int) -> Route | None:
        router: Router = self.server.context["router"]  # type: ignore[attr-defined]
        log: list[ProxyRecord] = self.server.context["log"]  # type: ignore[attr-defined]
        route = router(host, port, method == "CONNECT") if host else None
        if route is not None and not ipaddress.ip_address(route.address[0]).is_loopback:
            route = None  # belt and braces: this proxy never connects beyond loopback, whatever the router says
        log.append(ProxyRecord(method, target, route.kind if route else "refused"))
        return route

    def _reply(self, status: int, message: str) -> None:
        body = f"{status} {message}\n".encode()
        reason = {400: "Bad Request", 502: "Bad Gateway"}.get(status, "Error")
        self.wfile.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: "
                         f"{len(body)}\r\nConnection: close\r\n\r\n".encode() + body)

    # -- CONNECT -----------------------------------------------------------------------------------

    def _tunnel(self, target: str) -> None:
        host, _, port_text = target.rpartition(":")
        host = host.strip("[]")
        route = self._route("CONNECT", target, host, int(port_text) if port_text.isdigit() else 443)
        if route is None or route.kind == "offline":
            self._reply(502, f"unknown host {host!r}" if route is None else f"connection refused by {host!r}")
            return
        with _connect(route.address) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._pipe(upstream, both_ways=True)

    # -- absolute-URI requests ---------------------------------------------------------------------

    def _forward(self, method: str, target: str, headers: list[tuple[str, str]]) -> bool:
        """Relay one request; True when the client connection can carry another one."""
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            self._reply(400, "only absolute http:// URIs (use CONNECT for https)")
            return False
        route = self._route(method, target, parts.hostname, parts.port or 80)
        if route is None or route.kind == "offline":
            self._reply(502, f"unknown host {parts.hostname!r}" if route is None
                        else f"connection refused by {parts.hostname!r}")
            return False
        kept = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP]
        if not _is_ip_literal(parts.hostname) or not any(n.lower() == "host" for n, _ in kept):
            kept = [(n, v) for n, v in kept if n.lower() != "host"] + [("Host", parts.netloc.rsplit("@", 1)[-1])]
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in kept)
        head += "Connection: close\r\n\r\n"
        length = int({n.lower(): v for n, v in kept}.get("content-length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        with _connect(route.address) as upstream:
            upstream.sendall(head.encode("latin-1") + body)
            return self._relay_response(upstream, method)

    def _relay_response(self, upstream: socket.socket, method: str) -> bool:
        """Pass the response on as it arrives. A body of known length keeps the client connection open;
        anything else (no length, chunked, endless headers) is relayed until the farm closes."""
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = self._recv(upstream)
            if not chunk:
                self.wfile.write(buffer)  # e.g. slow headers cut by the net stopping
                return False
            buffer += chunk
            if len(buffer) > MAX_HEAD:
                self.wfile.write(buffer)  # a never-ending header block is passed on as it comes
                self._pipe(upstream, both_ways=False)
                return False
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        fields = {line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[-1].strip() for line in lines[1:]}
        status = int(lines[0].split(b" ", 2)[1]) if len(lines[0].split(b" ")) > 1 else 0
        remaining = _body_length(method, status, fields)
        lines = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive")]
        connection = b"keep-alive" if remaining is not None else b"close"
        self.wfile.write(b"\r\n".join(lines) + b"\r\nConnection: " + connection + b"\r\n\r\n")
        if remaining is None:
            self.wfile.write(rest)
            self._pipe(upstream, both_ways=False)
            return False
        while True:
            piece = rest[:remaining]
            self.wfile.write(piece)
            remaining -= len(piece)
            if remaining == 0:
                return True
            rest = self._recv(upstream)
            if not rest:
                return False  # farm or client gone mid-body

    def _recv(self, upstream: socket.socket) -> bytes:
        """Next bytes from the farm; b"" when it closed, the client hung up or the net is stopping."""
        stopping: threading.Event = self.server.stopping  # type: ignore[attr-defined]
        watched = [upstream, self.connection]
        while not stopping.is_set():
            readable, _, _ = select.select(watched, [], [], 0.2)
            if self.connection in readable:
                if self.connection.recv(1, socket.MSG_PEEK) == b"":
                    return b""  # client hung up while we waited for the farm
                watched = [upstream]  # a pipelined request is waiting: stop polling the client
            if upstream in readable:
                return upstream.recv(65536)
        return b""

    def _pipe(self, upstream: socket.socket, both_ways: bool) -> None:
        """Relay until either side closes or the net stops; a client hang-up closes the upstream too."""
        stopping: threading.Event = self.server.stopping  # type: ignore[attr-defined]
        client = self.connection
        try:
            while not stopping.is_set():
                readable, _, _ = select.select([upstream, client], [], [], 0.2)
                if client in readable:
                    data = client.recv(65536) if both_ways else client.recv(1, socket.MSG_PEEK)
                    if not data:
                        return
                    if both_ways:
                        upstream.sendall(data)
                    elif client.recv(65536):  # pipelined bytes after our one request: ignore them
                        pass
                if upstream in readable:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    client.sendall(data)
        except OSError:
            return


def _connect(address: tuple[str, int]) -> socket.socket:
    """The proxy's only way out (tests replace it to prove what would have been dialled)."""
    return socket.create_connection(address, timeout=10)


def _body_length(method: str, status: int, fields: dict[bytes, bytes]) -> int | None:
    """Bytes of body that follow the head, or None when only the connection close ends it."""
    if method.upper() == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return 0
    if b"transfer-encoding" in fields or not fields.get(b"content-length", b"").isdigit():
        return None
    return int(fields[b"content-length"])


def _client_keeps_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    tokens = {v.strip().lower() for n, v in headers if n.lower() in ("connection", "proxy-connection")
              for v in v.split(",")}
    if version.strip().upper() == "HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


def _is_ip_literal(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


class EgressProxy:
    """The proxy server; `log` lists every request with the route it took ("refused" for 502)."""

    def __init__(self, router: Router, address: str = "127.0.0.1") -> None:
        self.log: list[ProxyRecord] = []
        self._server = ServerThread(TrackingTCPServer((address, 0), ProxyHandler, router=router, log=self.log),
                                    name="synthnet-proxy")

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> EgressProxy:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
