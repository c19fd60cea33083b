"""Partner hotline channel: signed JSON over HTTP(S).

The wire schema lives in `partner_schema` and the signature in `signing`; both are re-exported here
so a receiver (our intake API) needs only `from forwarders.partner import verify, parse_partner_payload`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from pydantic import ValidationError

from . import _http
from ._http import HttpOptions
from .base import Notice, PermanentFailure, Receipt
from .partner_schema import (
    SCHEMA_VERSION,
    PartnerPayload,
    PartnerReceiptBody,
    PayloadError,
    encode_payload,
    parse_partner_payload,
    payload_from_notice,
    receipt_response_body,
)
from .signing import (
    HEADER_IDEMPOTENCY_KEY,
    HEADER_KEY_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    SignatureError,
    StaleTimestamp,
    sign,
    signed_headers,
    verify,
)

__all__ = [
    "HEADER_IDEMPOTENCY_KEY", "HEADER_KEY_ID", "HEADER_SIGNATURE", "HEADER_TIMESTAMP", "SCHEMA_VERSION",
    "HttpOptions", "PartnerForwarder", "PartnerPayload", "PartnerReceiptBody", "PayloadError",
    "SignatureError", "StaleTimestamp", "encode_payload", "parse_partner_payload", "payload_from_notice",
    "receipt_response_body", "sign", "signed_headers", "verify",
]


@dataclass
class PartnerForwarder:
    """Sends a notice to one partner's endpoint (`notice.destination_address`, or `endpoint` if set).

    A requests.Session is kept per forwarder for connection reuse; use one forwarder per thread.
    """

    sender_id: str
    key_id: str
    secret: bytes | str = field(repr=False)
    endpoint: str | None = None
    allow_media: bool = False
    http: HttpOptions = field(default_factory=HttpOptions)
    clock: Callable[[], float] = time.time
    session: requests.Session | None = None

    def send(self, notice: Notice) -> Receipt:
        try:
            payload = payload_from_notice(notice, self.sender_id, allow_media=self.allow_media)
        except ValidationError as exc:
            raise PermanentFailure(f"notice {notice.reference} does not fit the partner schema: {exc}") from exc
        body = encode_payload(payload)
        headers = signed_headers(body, self.key_id, self.secret, notice.idempotency_key, int(self.clock()))
        if self.session is None:
            self.session = _http.new_session(self.http)
        url = self.endpoint or notice.destination_address
        response = _http.post(self.session, url, body, headers, self.http)
        return _receipt_from(response, self.clock)


def _receipt_from(response: requests.Response, clock: Callable[[], float]) -> Receipt:
    """Read the partner's answer; a 409 means it already had this idempotency key: delivered."""
    duplicate = response.status_code == 409
    try:
        answer = PartnerReceiptBody.model_validate_json(response.content)
    except ValidationError:
        # Accepted (2xx/409) but no receipt we understand: still delivered; keep what it said.
        return Receipt(id="", text=response.text[:500], received_at=_server_time(response, clock),
                       duplicate=duplicate)
    return Receipt(
        id=answer.receipt,
        text=response.text[:2000],
        received_at=answer.received_at or _server_time(response, clock),
        duplicate=duplicate or answer.duplicate,
    )


def _server_time(response: requests.Response, clock: Callable[[], float]) -> datetime:
    date = response.headers.get("Date")
    if date:
        try:
            return parsedate_to_datetime(date).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.fromtimestamp(clock(), UTC)
