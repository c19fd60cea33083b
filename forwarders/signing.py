"""HMAC-SHA256 request signatures for the partner channel.

The signature covers `<timestamp>.<body>` (timestamp in integer Unix seconds, body as sent), so a
captured request cannot be replayed after `max_skew_seconds`, and within that window the receiver's
idempotency-key check makes a replay harmless. Headers:

    X-Hotline-Key-Id:     which per-partner secret signed it
    X-Hotline-Timestamp:  integer Unix seconds
    X-Hotline-Signature:  "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
    Idempotency-Key:      convenience copy; the signed body's idempotency_key is authoritative
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

HEADER_KEY_ID = "X-Hotline-Key-Id"
HEADER_TIMESTAMP = "X-Hotline-Timestamp"
HEADER_SIGNATURE = "X-Hotline-Signature"
HEADER_IDEMPOTENCY_KEY = "Idempotency-Key"
SIGNATURE_PREFIX = "sha256="
DEFAULT_MAX_SKEW_SECONDS = 300

Secret = bytes | str


class SignatureError(ValueError):
    """The request is not signed by a partner we know, or not recently."""


class StaleTimestamp(SignatureError):
    """The signed timestamp is too far from now: an old (replayed) or mis-clocked request."""


def sign(body: bytes, secret: Secret, timestamp: int) -> str:
    """The X-Hotline-Signature value for `body` sent at `timestamp`."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    mac = hmac.new(key, str(int(timestamp)).encode("ascii") + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def signed_headers(
    body: bytes, key_id: str, secret: Secret, idempotency_key: str, timestamp: int | None = None
) -> dict[str, str]:
    """All headers a signed partner request carries (plus Content-Type)."""
    when = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "Content-Type": "application/json; charset=utf-8",
        HEADER_KEY_ID: key_id,
        HEADER_TIMESTAMP: str(when),
        HEADER_SIGNATURE: sign(body, secret, when),
        HEADER_IDEMPOTENCY_KEY: idempotency_key,
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret_lookup: Callable[[str], Secret | None],
    max_skew_seconds: float = DEFAULT_MAX_SKEW_SECONDS,
    now: float | None = None,
) -> str:
    """Check a received request and return the key id that signed it; raise SignatureError if not.

    `headers` may be any mapping (lookup is case-insensitive); `secret_lookup(key_id)` returns the
    partner's secret or None for an unknown key id.
    """
    key_id = _header(headers, HEADER_KEY_ID)
    stamp = _header(headers, HEADER_TIMESTAMP)
    given = _header(headers, HEADER_SIGNATURE)
    # ASCII digits only and a sane length: str.isdigit() also passes '²' and 5000-digit strings,
    # which int() then refuses with an unhandled error (a 500 instead of a 401).
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise SignatureError(f"{HEADER_TIMESTAMP} must be integer Unix seconds, got {stamp[:30]!r}")
    skew = (time.time() if now is None else now) - int(stamp)
    if abs(skew) > max_skew_seconds:
        raise StaleTimestamp(
            f"{HEADER_TIMESTAMP} is {abs(skew):.0f} s {'old' if skew > 0 else 'in the future'} "
            f"(allowed {max_skew_seconds:.0f} s): possible replay or wrong clock"
        )
    secret = secret_lookup(key_id)
    if secret is None:
        raise SignatureError(f"unknown {HEADER_KEY_ID} {key_id[:60]!r}")
    if not hmac.compare_digest(sign(body, secret, int(stamp)).encode(), given.encode("utf-8", "replace")):
        raise SignatureError(f"{HEADER_SIGNATURE} does not match the body (wrong secret or altered body)")
    return key_id


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    raise SignatureError(f"missing header {name}")
