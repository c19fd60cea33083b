"""Loopback servers and synthetic notices for the forwarders tests (nothing leaves 127.0.0.1).

Imported by name (`from fwd_support import ...`): a module called conftest is ambiguous across folders.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from forwarders.base import Notice, NoticeItem
from forwarders.partner import (
    HttpOptions,
    PartnerForwarder,
    SignatureError,
    parse_partner_payload,
    receipt_response_body,
    verify,
)

PARTNER_KEY_ID = "ro-safernet-2026"
PARTNER_SECRET = b"synthetic-shared-secret-for-tests"


def synthetic_item(n: int = 1, **overrides: Any) -> NoticeItem:
    """A made-up item: public-looking address strings only (nothing ever connects to them)."""
    body = f"synthetic image {n}".encode()
    values: dict[str, Any] = {
        "url": f"https://gallery-ro.example-synth.ro/p/{n}",
        "hosting": {"ips": ["5.2.130.10"], "country": "RO", "asn": 8708,
                 "provider": "Synthetic Hosting SRL", "abuse_email": "abuse@hosting-synth.ro"},
        "classification": {"category": "csam", "severity": "A1", "media_type": "image",
                        "detection_method": "manual_review"},
        "hashes": {"md5": hashlib.md5(body).hexdigest(), "sha1": hashlib.sha1(body).hexdigest(),
                "sha256": hashlib.sha256(body).hexdigest(), "phash": "c3a5b4d2e1f00f1e",
                "pdq": "f" * 16 + "0" * 48},
        "captured_at": datetime(2026, 11, 25, 16, 0, n, tzinfo=UTC),
    }
    values.update(overrides)
    return NoticeItem(**values)


@pytest.fixture
def make_notice() -> Callable[..., Notice]:
    def make(address: str = "http://127.0.0.1:9/", kind: str = "hotline", key: str = "fwd-000001-test",
             items: int | list[NoticeItem] = 2, **overrides: Any) -> Notice:
        chosen = [synthetic_item(n) for n in range(1, items + 1)] if isinstance(items, int) else items
        values: dict[str, Any] = {
            "reference": "RO-2026-000123", "idempotency_key": key, "destination_kind": kind,
            "destination_address": address, "items": chosen,
        }
        values.update(overrides)
        return Notice(**values)
    return make


# --- partner HTTP endpoint -------------------------------------------------------------------------

def partner_forwarder(secret: bytes = PARTNER_SECRET, read_timeout: float = 5.0, http_verify: bool | str = True,
                      **kw: object) -> PartnerForwarder:
    """Our side of the partner channel, with short timeouts for tests."""
    http = HttpOptions(connect_timeout=2.0, read_timeout=read_timeout, verify=http_verify)
    return PartnerForwarder(sender_id="ro-safernet", key_id=PARTNER_KEY_ID, secret=secret, http=http,
                            **kw)  # type: ignore[arg-type]


@dataclass
class PartnerEndpoint:
    """A partner's intake that can behave well (verify, record, dedupe) or fail like real ones do."""

    url: str = ""
    # accept (verify, dedupe) | store_then_drop (accept, but the connection dies before the answer)
    # | plain (202, no checks) | status | hang | drop
    mode: str = "accept"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)  # every body that reached the handler
    received_headers: list[dict[str, str]] = field(default_factory=list)
    arrivals: list[tuple[str, float]] = field(default_factory=list)  # (path with query, time.monotonic())
    stored: dict[str, str] = field(default_factory=dict)  # idempotency key -> receipt id
    errors: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        with self.lock:
            self.arrivals.append((handler.path, time.monotonic()))
            self.received.append(body)
            self.received_headers.append(dict(handler.headers.items()))
        if self.mode == "hang":
            self.release.wait(10)
            return
        if self.mode == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.mode == "status":
            self._answer(handler, self.status, b'{"error":"synthetic failure"}')
            return
        if self.mode == "plain":
            self._answer(handler, 202, f'{{"id":"PLAT-{len(self.received)}"}}'.encode())
            return
        self._accept(handler, body)

    def _accept(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            verify(dict(handler.headers.items()), body, {PARTNER_KEY_ID: PARTNER_SECRET}.get)
            payload = parse_partner_payload(body)
        except ValueError as exc:  # SignatureError -> 401, PayloadError -> 422
            self.errors.append(str(exc))
            self._answer(handler, 401 if isinstance(exc, SignatureError) else 422, str(exc).encode())
            return
        with self.lock:
            seen = payload.idempotency_key in self.stored
            receipt = self.stored.setdefault(payload.idempotency_key, f"NL-{len(self.stored) + 1:04d}")
        if self.mode == "store_then_drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        answer = receipt_response_body(receipt, payload.reference, datetime.now(UTC), duplicate=seen)
        self._answer(handler, 409 if seen else 201, answer)

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        handler.send_response(status)
        for name, value in self.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _serve(endpoint: PartnerEndpoint, tls: ssl.SSLContext | None = None) -> Iterator[PartnerEndpoint]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            endpoint.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    endpoint.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/api/v1/reports"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield endpoint
    endpoint.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def partner_endpoint() -> Iterator[PartnerEndpoint]:
    yield from _serve(PartnerEndpoint())


@pytest.fixture
def https_partner_endpoint(tls_files: TlsFiles) -> Iterator[PartnerEndpoint]:
    yield from _serve(PartnerEndpoint(), tls_files.server_context())


@pytest.fixture
def refused_url() -> str:
    """A loopback port nobody listens on (bound, then closed): connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1/reports"


# --- SMTP server (aiosmtpd) -------------------------------------------------------------------------

@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool


@dataclass
class RecordingSmtpHandler:
    """Records what reaches DATA; `rcpt_reply` / `data_reply` make it refuse like a real server."""

    messages: list[ReceivedMail] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content),
                                          tls=session.ssl is not None))
        return "250 2.0.0 Ok: queued as SYNTH1"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingSmtpHandler


def _loopback_controller(handler: RecordingSmtpHandler, **kwargs: Any) -> Any:
    from aiosmtpd.controller import Controller

    class LoopbackController(Controller):  # type: ignore[misc]
        """aiosmtpd 1.4 cannot listen on port 0 itself: hand it a socket already bound to a free port."""

        def __init__(self) -> None:
            self._bound = socket.socket()
            self._bound.bind(("127.0.0.1", 0))
            super().__init__(handler, hostname="127.0.0.1", port=self._bound.getsockname()[1], **kwargs)

        def _create_server(self) -> Any:
            return self.loop.create_server(self._factory_invoker, sock=self._bound, ssl=self.ssl_context)

    return LoopbackController()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingSmtpHandler()
    controller = _loopback_controller(handler)
    controller.start()
    yield SmtpServer("127.0.0.1", controller.port, handler)
    controller.stop()


@dataclass
class TlsFiles:
    cert: str
    key: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cert)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throw-away self-signed certificate for 127.0.0.1 (EC keys: generated in milliseconds)."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return TlsFiles(str(folder / "cert.pem"), str(folder / "key.pem"))


@pytest.fixture
def starttls_smtp_server(tls_files: TlsFiles) -> Iterator[SmtpServer]:
    handler = RecordingSmtpHandler()
    controller = _loopback_controller(handler, tls_context=tls_files.server_context(), require_starttls=True)
    controller.start()
    yield SmtpServer("127.0.0.1", controller.port, handler)
    controller.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections (kernel backlog) but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield sock.getsockname()[1]
