"""PartnerForwarder against a real partner endpoint on loopback that behaves well or fails like real ones."""

from __future__ import annotations

import random
import time

import pytest
from fwd_support import PartnerEndpoint, TlsFiles, partner_forwarder, synthetic_item

from forwarders.base import PermanentFailure, TemporaryFailure
from forwarders.partner import parse_partner_payload

forwarder = partner_forwarder


def test_delivers_signed_notice_and_records_receipt(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    # Given a partner that verifies signatures and dedupes by idempotency key
    notice = make_notice(address=partner_endpoint.url)
    # When we send a notice
    receipt = forwarder().send(notice)
    # Then the partner stored it once and we hold its receipt
    assert receipt.id == "NL-0001" and not receipt.duplicate
    assert receipt.received_at.tzinfo is not None
    assert partner_endpoint.errors == []
    payload = parse_partner_payload(partner_endpoint.received[0])
    assert payload.reference == "RO-2026-000123" and payload.sender == "ro-safernet"
    assert [i.url for i in payload.items] == [i.url for i in notice.items]
    assert payload.items[0].hosting.country == "RO" and payload.items[0].hashes.sha256


def test_resend_with_same_key_is_recognised_as_delivered(partner_endpoint: PartnerEndpoint,
                                                         make_notice) -> None:
    # Given a notice already delivered (say the worker crashed before recording the receipt)
    notice = make_notice(address=partner_endpoint.url)
    first = forwarder().send(notice)
    # When it is sent again
    second = forwarder().send(notice)
    # Then the partner answers 409 with the same receipt, which counts as delivered, and stored it once
    assert second.duplicate and second.id == first.id
    assert len(partner_endpoint.stored) == 1
    # And the resent body is byte-identical (canonical JSON), so a recipient may compare it too
    assert partner_endpoint.received[0] == partner_endpoint.received[1]


def test_media_is_left_out_unless_the_agreement_allows_it(partner_endpoint: PartnerEndpoint,
                                                          make_notice) -> None:
    # Given an item that carries (synthetic) media bytes
    item = synthetic_item(1, media=b"\x89PNG synthetic bytes", media_type="image/png")
    # When it goes to one partner without and one with a media agreement
    forwarder().send(make_notice(address=partner_endpoint.url, key="fwd-no-media", items=[item]))
    forwarder(allow_media=True).send(make_notice(address=partner_endpoint.url, key="fwd-with-media",
                                                 items=[item]))
    # Then only the second carries the bytes
    without, with_media = (parse_partner_payload(b) for b in partner_endpoint.received)
    assert without.items[0].media == []
    assert with_media.items[0].media[0].data() == b"\x89PNG synthetic bytes"


def test_wrong_secret_is_a_permanent_failure(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    with pytest.raises(PermanentFailure, match="401"):
        forwarder(secret=b"not-the-shared-secret").send(make_notice(address=partner_endpoint.url))
    assert partner_endpoint.stored == {}


def test_connection_refused_is_temporary(refused_url: str, make_notice) -> None:
    with pytest.raises(TemporaryFailure, match="(?i)refused"):
        forwarder().send(make_notice(address=refused_url))


def test_server_error_is_temporary(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 500
    with pytest.raises(TemporaryFailure, match="HTTP 500") as caught:
        forwarder().send(make_notice(address=partner_endpoint.url))
    assert caught.value.retry_after is None


def test_429_carries_retry_after(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 429
    partner_endpoint.headers = {"Retry-After": "120"}
    with pytest.raises(TemporaryFailure, match="HTTP 429") as caught:
        forwarder().send(make_notice(address=partner_endpoint.url))
    assert caught.value.retry_after == 120.0


@pytest.mark.parametrize("status", [400, 404, 422])
def test_other_client_errors_are_permanent(partner_endpoint: PartnerEndpoint, make_notice,
                                           status: int) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", status
    with pytest.raises(PermanentFailure, match=f"HTTP {status}"):
        forwarder().send(make_notice(address=partner_endpoint.url))


def test_408_is_temporary(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 408
    with pytest.raises(TemporaryFailure):
        forwarder().send(make_notice(address=partner_endpoint.url))


def test_redirect_is_not_followed(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 302
    partner_endpoint.headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    with pytest.raises(PermanentFailure, match="redirect"):
        forwarder().send(make_notice(address=partner_endpoint.url))
    assert len(partner_endpoint.received) == 1


def test_hang_past_the_read_timeout_is_temporary(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    # Given a partner that accepts the request and never answers
    partner_endpoint.mode = "hang"
    started = time.monotonic()
    # When our read timeout is short
    with pytest.raises(TemporaryFailure, match="timed out"):
        forwarder(read_timeout=0.5).send(make_notice(address=partner_endpoint.url))
    # Then we give up soon after it, not after the server's patience
    assert time.monotonic() - started < 4


def test_connection_dropped_before_answer_is_temporary(partner_endpoint: PartnerEndpoint,
                                                       make_notice) -> None:
    partner_endpoint.mode = "drop"
    with pytest.raises(TemporaryFailure, match="connection"):
        forwarder().send(make_notice(address=partner_endpoint.url))
    assert len(partner_endpoint.received) == 1  # it did reach the partner: hence idempotency keys


def test_bad_address_is_permanent(make_notice) -> None:
    with pytest.raises(PermanentFailure, match="bad address"):
        forwarder().send(make_notice(address="not a url"))


def test_recovers_after_failures_without_duplicates(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    # Given a partner that first drops the connection after reading, then recovers
    notice = make_notice(address=partner_endpoint.url)
    partner_endpoint.mode = "drop"
    with pytest.raises(TemporaryFailure):
        forwarder().send(notice)
    partner_endpoint.mode = "accept"
    # When we retry twice (the second as if the worker did not record the first receipt)
    receipts = [forwarder().send(notice), forwarder().send(notice)]
    # Then the partner holds exactly one copy
    assert len(partner_endpoint.stored) == 1
    assert [r.duplicate for r in receipts] == [False, True]


def test_delivers_over_https_with_a_trusted_certificate(https_partner_endpoint: PartnerEndpoint,
                                                        tls_files: TlsFiles, make_notice) -> None:
    receipt = forwarder(http_verify=tls_files.cert).send(make_notice(address=https_partner_endpoint.url))
    assert receipt.id == "NL-0001" and https_partner_endpoint.errors == []


def test_untrusted_certificate_is_temporary_and_nothing_is_sent(https_partner_endpoint: PartnerEndpoint,
                                                                make_notice) -> None:
    with pytest.raises(TemporaryFailure, match="(?i)certificate"):
        forwarder().send(make_notice(address=https_partner_endpoint.url))
    assert https_partner_endpoint.received == []


def test_every_notice_lands_exactly_once_through_random_failures(partner_endpoint: PartnerEndpoint,
                                                                 make_notice) -> None:
    # Given a partner that fails at random, sometimes after it has already stored the notice
    rng = random.Random(20261125)
    modes = ["accept", "store_then_drop", "drop", "status"]
    partner_endpoint.status = 503
    notices = [make_notice(address=partner_endpoint.url, key=f"fwd-{n:06d}-loop", items=1) for n in range(25)]
    receipts = {}
    # When each notice is retried (same idempotency key) until the partner answers
    for notice in notices:
        for _attempt in range(50):
            partner_endpoint.mode = rng.choice(modes)
            try:
                receipts[notice.idempotency_key] = forwarder().send(notice)
                break
            except TemporaryFailure:
                continue
    # Then every notice was delivered, and the partner stored each exactly once
    assert set(receipts) == {n.idempotency_key for n in notices}
    assert set(partner_endpoint.stored) == set(receipts)
    assert {r.id for r in receipts.values()} == set(partner_endpoint.stored.values())
    assert any(r.duplicate for r in receipts.values())  # some landed on an earlier, unanswered try
