"""Name-based virtual hosts on loopback: one server, content chosen by Host, over HTTP or HTTPS.

    with VirtualHosts() as sites:                     # http://
        sites.add("site-a.hotline.test", "/", b"<p>A</p>")
    with VirtualHosts(authority=CertificateAuthority()) as sites:   # https://, a certificate per SNI name

The host is taken from an absolute-form request line if there is one (RFC 9112 3.2.2), else from the
Host header; a host the server does not serve gets 421 Misdirected Request, a path it lacks 404.
`seen` lists every request as it arrived (Host header, request target, TLS server name);
`connections` counts every connection ever accepted, so a listener standing for a private network can
prove that nothing reached it.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

from hotline.synthnet.tls import CertificateAuthority

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str = HTML
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    # Headers, then one byte of body every TRICKLE_SECONDS until the client goes: it never finishes loading.
    trickle: bool = False


TRICKLE_SECONDS = 0.1


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # the request target as sent: origin-form from a proxy, absolute-form from a client
    host_header: str
    host: str  # the host the server chose by
    server_name: str | None  # TLS SNI, None over plain HTTP
    headers: dict[str, str]


def bare_host(authority: str) -> str:
    """'Site.Test:8080' -> 'site.test'; '[::1]:80' -> '::1'."""
    authority = authority.strip().lower().rsplit("@", 1)[-1]
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.split(":", 1)[0].rstrip(".")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a test reads `seen`, not a log."""

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def _answer(self) -> None:
        host_header = self.headers.get("Host", "")
        host = bare_host(urlsplit(self.path).netloc if "://" in self.path else host_header)
        server_name = getattr(self.connection, "server_name_seen", None)
        self.server.owner.record(Seen(self.command, self.path, host_header, host, server_name,
                                      dict(self.headers.items())))
        site = self.server.owner.sites.get(host)
        if site is None or (server_name is not None and bare_host(server_name) != host):
            status, resource = 421, Resource(b"<p>misdirected: this server does not serve that host</p>")
        else:
            path = urlsplit(self.path).path or "/"
            status, resource = (site[path].status, site[path]) if path in site else (404, Resource(b"<p>not found</p>"))
        self.send_response(status)
        self.send_header("Content-Type", resource.content_type)
        for name, value in resource.headers:
            self.send_header(name, value)
        if resource.trickle:
            self._trickle(resource.body)
            return
        self.send_header("Content-Length", str(len(resource.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resource.body)

    def _trickle(self, start: bytes) -> None:
        self.send_header("Connection", "close")  # no length: the body ends when the connection does
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(start)
            while not self.server.owner.stopping.wait(TRICKLE_SECONDS):
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:
            return  # the client went away


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: VirtualHosts) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.owner.count_connection()
        if self.owner.tls is not None:
            request.settimeout(10)
            try:  # the handshake runs in this connection's thread, not the accept loop
                request = self.owner.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
            request.settimeout(None)
        super().finish_request(request, client_address)


class VirtualHosts:
    def __init__(self, address: str = "127.0.0.1", authority: CertificateAuthority | None = None) -> None:
        self.sites: dict[str, dict[str, Resource]] = {}
        self.seen: list[Seen] = []
        self.connections = 0
        self.stopping = threading.Event()  # ends trickling answers
        self._lock = threading.Lock()
        self.tls: ssl.SSLContext | None = None
        if authority is not None:
            self._authority = authority
            # A client without SNI gets a certificate for no served host.
            self.tls = authority.context_for("no-sni.invalid")
            self.tls.sni_callback = self._choose_certificate
        self._server = _Server((address, 0), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"vhosts-{address}", daemon=True)

    @property
    def address(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def add(self, host: str, path: str, body: bytes | str, content_type: str = HTML, *, status: int = 200,
            headers: tuple[tuple[str, str], ...] = (), trickle: bool = False) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.sites.setdefault(host.lower(), {})[path] = Resource(data, content_type, status, headers, trickle)

    def add_redirect(self, host: str, path: str, location: str, status: int = 302) -> None:
        self.add(host, path, b"", "text/plain", status=status, headers=(("Location", location),))

    def url(self, host: str, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def seen_by_path(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if urlsplit(s.target).path == path]

    def _choose_certificate(self, sock: Any, server_name: str | None, _context: ssl.SSLContext) -> None:
        sock.server_name_seen = server_name
        if server_name:
            sock.context = self._authority.context_for(server_name)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
