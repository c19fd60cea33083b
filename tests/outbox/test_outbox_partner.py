"""Partner hotline forwards through the outbox: receipts, retries and the ways real endpoints fail."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from fwd_support import parse_partner_payload
from outbox_support import add_partner, forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import select

from forwarders.xarf import validate_report
from hotline.models import AuditEvent, ReportedUrl, TakedownCheck, UrlState, utcnow
from hotline.monitor import run_due_checks
from hotline.outbox import deliver_due, forward_until_idle


def test_a_partner_forward_is_delivered_with_the_partners_receipt(hotline_db, partner_endpoint) -> None:
    # given an assessed URL approved for the Dutch hotline, whose intake runs on loopback
    app = hotline_db
    add_partner(app, partner_endpoint.url)
    url_id = seed_url(app, 1)
    queued = queue_forward(app, url_id)
    assert queued.idempotency_key.startswith("fwd-") and queued.state == "queued"
    # when the worker runs
    summary = forward_until_idle(app, options=outbox_options())
    # then the partner received one signed payload with URL, hosting, classification and hashes
    assert summary.counts["delivered"] == 1
    payload = parse_partner_payload(partner_endpoint.received[0])
    item = payload.items[0]
    assert payload.idempotency_key == queued.idempotency_key and payload.reference == "HL-2026-OB-00001"
    assert item.url.endswith("/album/1") and item.hosting.country == "NL" and item.hosting.asn == 64500
    assert item.classification.category == "csam" and item.classification.severity == "baseline"
    assert item.hashes.sha256 and item.hashes.md5 and item.hashes.pdq == "ab" * 32
    assert item.media == []  # the agreement does not allow media
    # and the receipt and the URL's first forward are recorded; monitoring's next round schedules the first check
    run_due_checks(app)
    [forward] = forwards(app)
    assert forward.state == "delivered" and forward.attempts == 1 and forward.delivered_at is not None
    assert json.loads(forward.receipt)["id"] == partner_endpoint.stored[queued.idempotency_key]
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, url_id)
        assert row.state is UrlState.FORWARDED and row.first_forwarded_at == forward.delivered_at
        [check] = session.scalars(select(TakedownCheck).where(TakedownCheck.reported_url_id == url_id)).all()
        assert check.due_at == forward.delivered_at + timedelta(hours=1)
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "forward")).all()
        assert actions == ["forward.queued", "forward.delivered"]


def test_media_travels_only_when_the_partner_agreement_allows_it(make_hotline, partner_endpoint) -> None:
    app = make_hotline()
    add_partner(app, partner_endpoint.url, share_media=True)
    queue_forward(app, seed_url(app, 1))
    forward_until_idle(app, options=outbox_options())
    [media] = parse_partner_payload(partner_endpoint.received[0]).items[0].media
    assert media.content_type == "image/png" and media.data().startswith(b"\x89PNG")


FAILURES = {
    "500": {"mode": "status", "status": 500},
    "429 with Retry-After": {"mode": "status", "status": 429, "headers": {"Retry-After": "120"}},
    "hang past the timeout": {"mode": "hang"},
    "drop before answering": {"mode": "drop"},
    "store, then drop": {"mode": "store_then_drop"},
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failing_partner_is_retried_later_and_then_sees_the_forward_once(make_hotline, partner_endpoint,
                                                                           failure) -> None:
    # given a partner endpoint that fails in one of the ways real ones do
    app = make_hotline()
    add_partner(app, partner_endpoint.url)
    queued = queue_forward(app, seed_url(app, 1))
    for name, value in FAILURES[failure].items():
        setattr(partner_endpoint, name, value)
    # when the worker tries
    before = utcnow()
    assert deliver_due(app, options=outbox_options(retry_base_seconds=60.0), rng=random.Random(1)) == 1
    # then the forward waits for a later try with the error kept for analysts
    [forward] = forwards(app)
    assert forward.state == "queued" and forward.attempts == 1 and forward.last_error
    assert before < forward.next_attempt_at <= utcnow() + timedelta(seconds=121)
    if "Retry-After" in failure:
        assert forward.next_attempt_at >= before + timedelta(seconds=120)
    # when the partner recovers and the retry comes due
    partner_endpoint.mode, partner_endpoint.headers = "accept", {}
    partner_endpoint.release.set()
    _make_due(app)
    forward_until_idle(app, options=outbox_options())
    # then it is delivered, and the partner stored the key exactly once
    [forward] = forwards(app)
    assert forward.state == "delivered" and forward.attempts == 2
    assert list(partner_endpoint.stored) == [queued.idempotency_key]
    if failure == "store, then drop":
        assert json.loads(forward.receipt)["duplicate"] is True  # the resend was recognised


def test_a_refused_connection_is_a_temporary_failure(make_hotline, refused_url) -> None:
    app = make_hotline()
    add_partner(app, refused_url)
    queue_forward(app, seed_url(app, 1))
    deliver_due(app, options=outbox_options())
    [forward] = forwards(app)
    assert forward.state == "queued" and "refused" in forward.last_error.lower()


def test_a_partner_that_rejects_the_signature_fails_the_forward_for_an_analyst(make_hotline,
                                                                             partner_endpoint) -> None:
    app = make_hotline()
    add_partner(app, partner_endpoint.url, secret=b"not-the-secret-the-partner-knows")
    queue_forward(app, seed_url(app, 1))
    forward_until_idle(app, options=outbox_options())
    [forward] = forwards(app)
    assert forward.state == "failed" and "401" in forward.last_error
    assert partner_endpoint.stored == {}


def test_a_partner_without_outbound_credentials_fails_with_what_is_missing(make_hotline) -> None:
    app = make_hotline()
    queue_forward(app, seed_url(app, 1))
    forward_until_idle(app, options=outbox_options())
    [forward] = forwards(app)
    assert forward.state == "failed" and "no partner is linked to hotline-nl-offlimits" in forward.last_error


def test_a_forward_older_than_the_maximum_age_fails_instead_of_retrying(make_hotline, partner_endpoint) -> None:
    # given a forward created four days ago whose partner answers 503
    app = make_hotline()
    add_partner(app, partner_endpoint.url)
    queue_forward(app, seed_url(app, 1), now=utcnow() - timedelta(days=4))
    partner_endpoint.mode, partner_endpoint.status = "status", 503
    # when the worker tries with a maximum age of three days
    forward_until_idle(app, options=outbox_options(max_age_seconds=3 * 86400.0))
    # then the forward is failed, with the reason, for analysts to see
    [forward] = forwards(app)
    assert forward.state == "failed" and "gave up after 1 attempts" in forward.last_error
    assert "503" in forward.last_error


def _make_due(app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from hotline.models import Forward

    with app.db.session() as session:
        session.execute(update(Forward).where(Forward.state == "queued").values(next_attempt_at=utcnow()))




def test_a_platform_reporting_endpoint_gets_x_arf_over_http(make_hotline, partner_endpoint) -> None:
    # given a platform whose configured reporting endpoint takes X-ARF JSON
    app = make_hotline()
    partner_endpoint.mode = "plain"
    queued = queue_forward(app, seed_url(app, 1), destination="platform:synthetic-images", kind="platform",
                           channel="x-arf", address=partner_endpoint.url)
    assert queued.channel == "x-arf"
    # when the worker runs
    forward_until_idle(app, options=outbox_options())
    # then the platform received one valid X-ARF report carrying the forward's idempotency key
    [body] = partner_endpoint.received
    report = json.loads(body)
    validate_report(report)
    assert report["type"] == "csam" and report["url"].endswith("/album/1")
    assert partner_endpoint.received_headers[0]["Idempotency-Key"] == f"{queued.idempotency_key}.1"
    [forward] = forwards(app)
    assert forward.state == "delivered" and json.loads(forward.receipt)["id"] == "PLAT-1"
