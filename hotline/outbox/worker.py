"""The delivery worker: lease due forwards, send each outside any transaction, record what happened.

Exactly once from the recipient's view: a forward is leased (state `sending`, `next_attempt_at` set to
the lease's end) in one short transaction, sent with its idempotency key, and its outcome is recorded
in another. A worker that dies in between leaves a `sending` row whose lease runs out; it is due again
and is resent with the same key, which the recipient recognises (partner 409 / duplicate receipt,
Message-ID, X-ARF report id). The lease end doubles as the lease token: an outcome is recorded only
by the worker whose lease is still on the row.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forwarders.base import PermanentFailure, Receipt
from forwarders.delivery import Outcome, attempt
from forwarders.retry import Rate, RateLimiter
from hotline import audit
from hotline.datafiles import FileProblems
from hotline.models import Forward, ReportedUrl, UrlState, utcnow
from hotline.outbox.channels import route_for
from hotline.outbox.notice import build_notice
from hotline.outbox.options import OutboxOptions
from hotline.outbox.queue import ACTOR, DELIVERED, FAILED, HELD, QUEUED, SENDING, awaits_clearance, readdress

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.rules.directory import Directory

log = logging.getLogger(__name__)

DUE_STATES = (QUEUED, SENDING)


@dataclass(frozen=True)
class Lease:
    forward_id: int
    until: datetime


def default_options(app: Hotline) -> OutboxOptions:
    return OutboxOptions.from_settings(app.settings)


def _limiters(app: Hotline) -> dict[Rate, RateLimiter]:
    # One token bucket set per process and rate, shared by every deliver_due call of the app.
    return {}


def limiter_for(app: Hotline, options: OutboxOptions) -> RateLimiter:
    rate = Rate(options.rate_per_second, max(1.0, float(options.rate_burst)))
    return app.service(_limiters).setdefault(rate, RateLimiter(rate))


# -- leasing ---------------------------------------------------------------------------------------
def lease_due(session: Session, *, limit: int, lease_seconds: float, now: datetime | None = None) -> list[Lease]:
    """Take up to `limit` due forwards (queued and due, or sending with an expired lease). Commits."""
    now = now or utcnow()
    until = now + timedelta(seconds=lease_seconds)
    due = (
        select(Forward.id)
        .where(Forward.state.in_(DUE_STATES), Forward.next_attempt_at <= now)
        .order_by(Forward.next_attempt_at, Forward.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # concurrent workers take different rows
    # One statement: SQLite takes its write lock up front, so two workers cannot lease the same row.
    taken = session.scalars(
        update(Forward)
        .where(Forward.id.in_(due.scalar_subquery()), Forward.state.in_(DUE_STATES),
               Forward.next_attempt_at <= now)
        .values(state=SENDING, attempts=Forward.attempts + 1, next_attempt_at=until)
        .returning(Forward.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return [Lease(forward_id, until) for forward_id in sorted(taken)]


def _holds(forward: Forward | None, lease: Lease) -> bool:
    return forward is not None and forward.state == SENDING and forward.next_attempt_at == lease.until


# -- one forward -----------------------------------------------------------------------------------
def deliver_due(app: Hotline, limit: int = 20, *, options: OutboxOptions | None = None,
                rng: random.Random | None = None) -> int:
    """Lease and send up to `limit` due forwards; returns how many were tried (rate-limited ones not)."""
    return sum(n for status, n in deliver_due_counts(app, limit, options=options, rng=rng).items()
               if status in ("delivered", "retry", "failed"))


def deliver_due_counts(app: Hotline, limit: int = 20, *, options: OutboxOptions | None = None,
                       rng: random.Random | None = None) -> Counter[str]:
    """Like deliver_due, but counts each outcome: delivered, retry, deferred, failed, lost."""
    options = options or app.service(default_options)
    with app.db.sessions() as session:
        leases = lease_due(session, limit=limit, lease_seconds=options.lease_seconds)
    counts: Counter[str] = Counter()
    for lease in leases:
        counts[deliver_leased(app, lease, options, rng=rng)] += 1
    return counts


def deliver_leased(app: Hotline, lease: Lease, options: OutboxOptions, *,
                   rng: random.Random | None = None) -> str:
    """Send one leased forward and record the outcome; returns the outcome's status ("lost": the
    lease ran out and another worker has the row)."""
    outcome = _prepare_and_send(app, lease, options, rng)
    if isinstance(outcome, str):
        return outcome
    with app.db.session() as session:
        forward = session.get(Forward, lease.forward_id, with_for_update=True)
        if forward is None or not _holds(forward, lease):
            log.warning("forward %s: lease ran out before the outcome was recorded; another worker resends it",
                        lease.forward_id)
            return "lost"
        record_outcome(session, forward, outcome, utcnow())
    return outcome.status


def _prepare_and_send(app: Hotline, lease: Lease, options: OutboxOptions,
                      rng: random.Random | None) -> Outcome | Literal["lost", "held"]:
    now = utcnow()
    # Read what to send, then end the transaction: nothing is held open while the network is slow.
    with app.db.session() as session:
        forward = session.get(Forward, lease.forward_id)
        if forward is None or not _holds(forward, lease):
            return "lost"
        if awaits_clearance(forward):
            # Written by an approval that did not go through enqueue: never tell a host before the police.
            forward.state, forward.next_attempt_at, forward.attempts = HELD, now, forward.attempts - 1
            audit.record(session, ACTOR, "forward.held", "forward", forward.id,
                         reported_url_id=forward.reported_url_id, hold=forward.payload.get("hold"))
            return "held"
        failures = max(0, forward.attempts - 1)
        age = (now - _age_from(forward)).total_seconds()
        readdress(session, forward, _directory(app))
        try:
            route = route_for(session, forward, options)
            reader = app.evidence.get_blob if route.share_media else None
            notice = build_notice(session, forward, address=route.address, media_reader=reader)
        except PermanentFailure as exc:
            return Outcome("failed", error=exc.reason)
        except (LookupError, ValueError) as exc:
            return Outcome("failed", error=f"cannot build the notice: {exc}")
    limiter = limiter_for(app, options)
    return attempt(route.forwarder, notice, failures, age, options.retry_policy, limiter, rng)


def _directory(app: Hotline) -> Directory | None:
    """The partner directory, or None when its files have a mistake (the forward then keeps its address;
    long-running commands report the mistake when they start)."""
    try:
        directory: Directory = app.directory
    except FileProblems:
        return None
    return directory


def _age_from(forward: Forward) -> datetime:
    """Maximum age counts from creation, or from the last time a person re-queued the forward."""
    requeued = (forward.payload or {}).get("requeued_at")
    return datetime.fromisoformat(requeued) if requeued else forward.created_at


# -- recording -------------------------------------------------------------------------------------
def record_outcome(session: Session, forward: Forward, outcome: Outcome, now: datetime) -> None:
    """Store an attempt's outcome on the leased row (caller's transaction) and audit it."""
    if outcome.status == "delivered":
        assert outcome.receipt is not None
        forward.state, forward.delivered_at, forward.next_attempt_at = DELIVERED, now, now
        forward.receipt = receipt_text(outcome.receipt)
        forward.last_error = None
        audit.record(session, ACTOR, "forward.delivered", "forward", forward.id,
                     reported_url_id=forward.reported_url_id, destination=forward.destination,
                     attempts=forward.attempts, receipt=outcome.receipt.id, duplicate=outcome.receipt.duplicate)
        record_first_delivery(session, forward, now)
    elif outcome.status == "failed":
        forward.state, forward.last_error, forward.next_attempt_at = FAILED, outcome.error, now
        audit.record(session, ACTOR, "forward.failed", "forward", forward.id,
                     reported_url_id=forward.reported_url_id, destination=forward.destination,
                     attempts=forward.attempts, error=outcome.error)
    else:
        delay = timedelta(seconds=outcome.delay or 0.0)
        forward.state, forward.next_attempt_at = QUEUED, now + delay
        if outcome.status == "deferred":
            forward.attempts -= 1  # rate-limited: nothing was sent, so it was no attempt
            return
        forward.last_error = outcome.error
        audit.record(session, ACTOR, "forward.retry", "forward", forward.id,
                     reported_url_id=forward.reported_url_id, destination=forward.destination,
                     attempts=forward.attempts, error=outcome.error,
                     next_attempt_at=forward.next_attempt_at.isoformat())


def receipt_text(receipt: Receipt) -> str:
    return json.dumps({"id": receipt.id, "received_at": receipt.received_at.isoformat(),
                       "duplicate": receipt.duplicate, "text": receipt.text[:2000]}, ensure_ascii=False)


def record_first_delivery(session: Session, forward: Forward, now: datetime) -> None:
    """After `forward` is delivered (by the worker or by hand): if it is the URL's first delivered
    forward, record when and move the URL on. Takedown monitoring (hotline/monitor) watches forwarded
    URLs from their first delivery on; it schedules the checks, counted from `first_forwarded_at`."""
    earlier = session.scalar(
        select(func.count()).select_from(Forward)
        .where(Forward.reported_url_id == forward.reported_url_id, Forward.state == DELIVERED,
               Forward.id != forward.id)
    )
    if earlier:
        return
    row = session.get(ReportedUrl, forward.reported_url_id)
    if row is None:
        return
    row.first_forwarded_at = now  # approval may have set it; the delivery is what the recipient saw
    if row.state is UrlState.ASSESSED:
        row.state = UrlState.FORWARDED


# -- loops -----------------------------------------------------------------------------------------
@dataclass
class Summary:
    counts: Counter[str]

    def __str__(self) -> str:
        order = ("delivered", "retry", "failed", "deferred", "held", "lost")
        return " ".join(f"{name}={self.counts.get(name, 0)}" for name in order)


def next_due_in(session: Session, now: datetime | None = None) -> float | None:
    """Seconds until the next forward is due (0 if one is due now); None when nothing is waiting."""
    now = now or utcnow()
    soonest = session.scalar(select(func.min(Forward.next_attempt_at)).where(Forward.state.in_(DUE_STATES)))
    return None if soonest is None else max(0.0, (soonest - now).total_seconds())


def forward_until_idle(
    app: Hotline,
    *,
    options: OutboxOptions | None = None,
    limit: int = 20,
    wait_up_to: float = 2.0,
    on_progress: Callable[[Counter[str]], None] | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Summary:
    """Deliver until nothing is due. A forward due within `wait_up_to` seconds (a rate-limit pause, a
    short backoff, another worker's expired lease) is waited for; later retries are left for later."""
    total: Counter[str] = Counter()
    while True:
        batch = deliver_due_counts(app, limit, options=options, rng=rng)
        total.update(batch)
        if on_progress is not None:
            on_progress(total)
        with app.db.sessions() as session:
            wait = next_due_in(session)
        if wait is None or wait > wait_up_to:
            return Summary(total)
        if wait > 0 or not batch:
            # Due soon, or due now but locked by another worker: do not spin.
            sleep(min(max(wait, 0.05), wait_up_to))


def delivery_job(app: Hotline) -> int:
    """The periodic "forward" job of both executors: one batch per turn."""
    return deliver_due(app)
