"""Receiving a partner's report: verify, parse, store once per idempotency key, answer after the commit.

Runs in a worker thread (it blocks on the database). Every submission is inserted straight away; the
unique constraint (partner_id, idempotency_key) refuses a key seen before, including one a concurrent
retry committed a moment earlier: that attempt rolls back and answers with the stored report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forwarders.partner import HEADER_IDEMPOTENCY_KEY, PartnerPayload, PayloadError, parse_partner_payload
from hotline.app import Hotline
from hotline.models import Report, ReportSource
from hotline.pipeline.intake import NothingToReport, Rejected, check_urls, dedup_window, submit_report
from hotline.web.api.auth import Caller, signed_caller
from hotline.web.api.errors import ApiProblem
from hotline.web.public.writer import write_turn

PARTNER_PRIORITY = 1  # a partner hotline has already triaged what it sends
# Partner categories (forwarders.base) -> the codes the public form and triage use.
CATEGORY_CODES = {"csam": "csam", "csem": "csam", "grooming": "grooming",
                  "adult_unprotected": "adult-minors", "other": "other"}


def receive_report(hotline: Hotline, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    """(HTTP status, answer): 201 for a new report, 200 for a known idempotency key."""
    caller = signed_caller(hotline, headers, body).require("submit")
    payload = _parse(headers, body)
    if payload.sender != caller.name:
        # A partner may only speak for itself: the payload names its sender, the signature proves who sent it.
        raise ApiProblem(403, f"the payload's sender {payload.sender!r} is not the partner that signed it "
                              f"({caller.name!r}); send your own name, as registered with us")
    try:
        # Insert first: a known key is rare, and the unique constraint finds it for free.
        with write_turn(hotline.db.engine), hotline.db.session() as session:
            answer = _store(session, caller, payload, dedup_window(hotline.settings))
        return 201, answer  # the `with` above has committed: only now may we say "received"
    except IntegrityError:
        # This key was received before (perhaps by a concurrent retry that committed first).
        with hotline.db.sessions() as session:
            known = _known(session, caller, payload)
        if known is None:
            raise
        return 200, known


def _parse(headers: Mapping[str, str], body: bytes) -> PartnerPayload:
    try:
        payload = parse_partner_payload(body)
    except PayloadError as exc:
        raise ApiProblem(422, str(exc), exc.errors) from None
    copy = next((v for k, v in headers.items() if k.lower() == HEADER_IDEMPOTENCY_KEY.lower()), None)
    if copy is not None and copy.strip() != payload.idempotency_key:
        raise ApiProblem(422, f"the {HEADER_IDEMPOTENCY_KEY} header differs from the body's idempotency_key")
    return payload


def _known(session: Session, caller: Caller, payload: PartnerPayload) -> dict[str, Any] | None:
    report = session.scalar(select(Report).where(Report.partner_id == caller.partner_id,
                                                 Report.idempotency_key == payload.idempotency_key))
    if report is None:
        return None
    if report.payload != payload.model_dump(mode="json"):
        raise ApiProblem(422, "this idempotency_key was already used with a different report; use a new key")
    return _replayed(report, payload)


def _store(session: Session, caller: Caller, payload: PartnerPayload, window: timedelta) -> dict[str, Any]:
    categories = {CATEGORY_CODES.get(item.classification.category, "other") for item in payload.items}
    try:
        result = submit_report(
            session, [item.url for item in payload.items], source=ReportSource.PARTNER,
            category=categories.pop() if len(categories) == 1 else "other",
            description=payload.note or None, language=payload.language, partner_id=caller.partner_id,
            partner_reference=payload.reference, idempotency_key=payload.idempotency_key,
            priority=PARTNER_PRIORITY, payload=payload.model_dump(mode="json"), dedup_window=window,
        )
    except NothingToReport as exc:
        raise ApiProblem(422, f"no item has a URL we can use: {exc}") from None
    return _answer(result.report, [row.url for row in result.urls], result.rejected, duplicate=False)


def _replayed(report: Report, payload: PartnerPayload) -> dict[str, Any]:
    # The same normaliser gives the same verdicts, so a replay lists the same rejections.
    _accepted, rejected = check_urls([item.url for item in payload.items])
    return _answer(report, [link.reported_url.url for link in report.urls], rejected, duplicate=True)


def _answer(report: Report, accepted: list[str], rejected: list[Rejected], duplicate: bool) -> dict[str, Any]:
    return {
        "receipt": report.reference,
        "reference": report.partner_reference,
        "received_at": report.received_at.isoformat(),
        "duplicate": duplicate,
        "accepted": accepted,
        "rejected": [{"url": r.text, "reason": r.reason} for r in rejected],
    }
