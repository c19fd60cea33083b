"""Loopback servers and synthetic notices for the forwarders tests (nothing leaves 127.0.0.1)."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from forwarders.base import Notice, NoticeItem
from forwarders.partner import SignatureError, parse_partner_payload, receipt_response_body, verify

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
    def make(address: str = "http://127.0.0.1:9/", kind: str = "partner", key: str = "fwd-000001-test",
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

@dataclass
class PartnerEndpoint:
    """A partner's intake that can behave well (verify, record, dedupe) or fail like real ones do."""

    url: str = ""
    mode: str = "accept"  # accept | status | hang | drop
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)  # every body that reached the handler
    stored: dict[str, str] = field(default_factory=dict)  # idempotency key -> receipt id
    errors: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        with self.lock:
            self.received.append(body)
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


@pytest.fixture
def partner_endpoint() -> Iterator[PartnerEndpoint]:
    endpoint = PartnerEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            endpoint.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/reports"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield endpoint
    endpoint.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def refused_url() -> str:
    """A loopback port nobody listens on (bound, then closed): connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1/reports"
