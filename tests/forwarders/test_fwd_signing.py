"""Signature round trip, tampering, wrong secret, replay window; the payload schema's rules."""

from __future__ import annotations

import json

import pytest
from fwd_support import synthetic_item
from hypothesis import given, settings
from hypothesis import strategies as st

from forwarders.base import Notice
from forwarders.partner import (
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    PayloadError,
    SignatureError,
    StaleTimestamp,
    encode_payload,
    parse_partner_payload,
    payload_from_notice,
    sign,
    signed_headers,
    verify,
)

SECRETS = {"partner-nl": b"secret-nl", "partner-bg": "secret-bg"}
NOW = 1_800_000_000


def body_and_headers(key_id: str = "partner-nl", timestamp: int = NOW) -> tuple[bytes, dict[str, str]]:
    notice = Notice(reference="RO-1", idempotency_key="fwd-00000001", destination_kind="hotline",
                    destination_address="http://127.0.0.1:9/", items=[synthetic_item(1)])
    body = encode_payload(payload_from_notice(notice, "ro-safernet"))
    return body, signed_headers(body, key_id, SECRETS[key_id], "fwd-00000001", timestamp)


def test_round_trip_returns_the_key_id() -> None:
    body, headers = body_and_headers("partner-bg")
    assert verify(headers, body, SECRETS.get, now=NOW + 10) == "partner-bg"


def test_header_names_are_case_insensitive() -> None:
    body, headers = body_and_headers()
    lowered = {k.lower(): v for k, v in headers.items()}
    assert verify(lowered, body, SECRETS.get, now=NOW) == "partner-nl"


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign(b"{}", "k", 1700000000) == "sha256=" + expected


def test_tampered_body_is_rejected() -> None:
    body, headers = body_and_headers()
    tampered = body.replace(b"gallery-ro", b"gallery-xx")
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers, tampered, SECRETS.get, now=NOW)


def test_wrong_secret_is_rejected() -> None:
    body, headers = body_and_headers()
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers, body, {"partner-nl": b"guessed"}.get, now=NOW)


def test_unknown_key_id_is_rejected() -> None:
    body, headers = body_and_headers()
    with pytest.raises(SignatureError, match="unknown X-Hotline-Key-Id"):
        verify(headers, body, {}.get, now=NOW)


@pytest.mark.parametrize("skew", [301, -301, 86_400])
def test_stale_or_future_timestamp_is_rejected_as_replay(skew: int) -> None:
    body, headers = body_and_headers()
    with pytest.raises(StaleTimestamp, match="replay"):
        verify(headers, body, SECRETS.get, now=NOW + skew)


def test_shifting_the_timestamp_breaks_the_signature() -> None:
    # Given a captured request, an attacker refreshes its timestamp to get past the window
    body, headers = body_and_headers()
    headers[HEADER_TIMESTAMP] = str(NOW + 3600)
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers, body, SECRETS.get, now=NOW + 3600)


@pytest.mark.parametrize("missing", [HEADER_SIGNATURE, HEADER_TIMESTAMP, "X-Hotline-Key-Id"])
def test_missing_header_is_named(missing: str) -> None:
    body, headers = body_and_headers()
    del headers[missing]
    with pytest.raises(SignatureError, match=f"missing header {missing}"):
        verify(headers, body, SECRETS.get, now=NOW)


def test_non_numeric_timestamp_is_rejected() -> None:
    body, headers = body_and_headers()
    headers[HEADER_TIMESTAMP] = "yesterday"
    with pytest.raises(SignatureError, match="integer Unix seconds"):
        verify(headers, body, SECRETS.get, now=NOW)


# --- schema -------------------------------------------------------------------------------------

def valid_payload() -> dict[str, object]:
    body, _ = body_and_headers()
    data: dict[str, object] = json.loads(body)
    return data


def test_encoded_payload_parses_back_to_the_same_body() -> None:
    body, _ = body_and_headers()
    assert encode_payload(parse_partner_payload(body)) == body


@pytest.mark.parametrize(("change", "where"), [
    (lambda p: p.update(version=2), "version"),
    (lambda p: p.update(items=[]), "items"),
    (lambda p: p.update(idempotency_key="short"), "idempotency_key"),
    (lambda p: p.update(surprise=True), "surprise"),
    (lambda p: p["items"][0].update(url="file:///etc/passwd"), "items.0.url"),
    (lambda p: p["items"][0]["hashes"].update(sha256="xyz"), "items.0.hashes.sha256"),
    (lambda p: p["items"][0]["hosting"].update(ips=["not-an-ip"]), "items.0.hosting.ips"),
    (lambda p: p["items"][0]["classification"].update(severity="Z9"), "items.0.classification.severity"),
    (lambda p: p["items"][0].update(captured_at="2026-11-25T16:00:00"), "items.0.captured_at"),
])
def test_invalid_payloads_are_rejected_with_the_field_named(change, where: str) -> None:  # type: ignore[no-untyped-def]
    payload = valid_payload()
    change(payload)
    with pytest.raises(PayloadError, match=f"invalid partner payload: {where}"):
        parse_partner_payload(json.dumps(payload))


def test_not_json_and_oversized_bodies_are_rejected() -> None:
    with pytest.raises(PayloadError):
        parse_partner_payload(b"<html>")
    with pytest.raises(PayloadError, match="more than"):
        parse_partner_payload(b" " * 2048, max_bytes=1024)


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=300), secret=st.binary(min_size=1, max_size=64), flip=st.integers(0, 10_000))
def test_any_body_round_trips_and_any_changed_byte_is_caught(body: bytes, secret: bytes, flip: int) -> None:
    headers = signed_headers(body, "k", secret, "fwd-00000001", NOW)
    assert verify(headers, body, {"k": secret}.get, now=NOW) == "k"
    if body:
        changed = bytearray(body)
        changed[flip % len(body)] ^= 0x01
        with pytest.raises(SignatureError):
            verify(headers, bytes(changed), {"k": secret}.get, now=NOW)


@pytest.mark.parametrize("key", ["", "short", "has space-123", "x-123456\r\nBcc: a@b.ro"])
def test_notice_refuses_keys_that_cannot_travel_in_headers(key: str) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        Notice(reference="RO-1", idempotency_key=key, destination_kind="hotline",
               destination_address="http://127.0.0.1:9/", items=[synthetic_item(1)])


def test_asn_written_as_text_is_accepted() -> None:
    notice = Notice(reference="RO-1", idempotency_key="fwd-00000002", destination_kind="hotline",
                    destination_address="http://127.0.0.1:9/",
                    items=[synthetic_item(1, hosting={"asn": "AS8708", "ips": ["2001:db8::1"]})])
    hosting = payload_from_notice(notice, "ro-safernet").items[0].hosting
    assert (hosting.asn, hosting.ips) == (8708, ["2001:db8::1"])
