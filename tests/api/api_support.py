"""Helpers for the API tests: a server for a given app, partners, and signed partner requests."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select

from forwarders.partner import signed_headers
from hotline.models import Report
from hotline.web.api.partners import IssuedCredentials, create_partner


def add_partner(hotline: Any, name: str = "nl-meldpunt", **kwargs: Any) -> IssuedCredentials:
    with hotline.db.session() as session:
        return create_partner(session, name, country="NL", **kwargs)


def payload(key: str = "fwd-0000-0001", urls: tuple[str, ...] = ("https://gallery.example-synth.nl/p/1",),
            **changes: Any) -> dict[str, Any]:
    body = {
        "version": 1, "sender": "nl-meldpunt", "reference": "NL-2026-42", "idempotency_key": key,
        "language": "en", "note": "found by our analysts",
        "items": [{"url": url, "classification": {"category": "csam", "severity": "A1"},
                   "hosting": {"ips": ["5.2.130.10"], "country": "RO"},
                   "hashes": {"sha256": "ab" * 32}} for url in urls],
    }
    body.update(changes)
    return body


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def signed(body: bytes, creds: IssuedCredentials, *, timestamp: int | None = None,
           secret: str | None = None) -> dict[str, str]:
    try:
        key = str(json.loads(body).get("idempotency_key", "none-given"))
    except (ValueError, AttributeError):
        key = "not-json"
    return signed_headers(body, creds.key_id, secret or creds.signing_secret, key, timestamp)


def post_report(client: httpx.Client, creds: IssuedCredentials, data: dict[str, Any], **sign: Any) -> httpx.Response:
    body = encode(data)
    return client.post("/api/v1/reports", content=body, headers=signed(body, creds, **sign))


def count_reports(hotline: Any) -> int:
    with hotline.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0
