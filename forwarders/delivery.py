"""One delivery attempt, decided: the part of the outbox worker that needs no database.

The worker (hotline/) loads a due forward, calls `attempt(...)`, and stores the outcome in the same
transaction: delivered (keep the receipt), retry (next try after `delay`), deferred (rate limit: no
attempt was made, try after `delay` without counting it) or failed (permanent, or too old).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Literal

from .base import Forwarder, Notice, PermanentFailure, Receipt, TemporaryFailure
from .retry import RateLimiter, RetryPolicy

log = logging.getLogger(__name__)

Status = Literal["delivered", "retry", "deferred", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    receipt: Receipt | None = None
    delay: float | None = None  # seconds until the next try (retry, deferred)
    error: str = ""  # last error, one line, for analysts

    @property
    def counts_as_attempt(self) -> bool:
        return self.status != "deferred"


def destination_key(notice: Notice) -> str:
    """What a rate limit is per: one partner endpoint, one mailbox."""
    return f"{notice.destination_kind}:{notice.destination_address}"


def attempt(
    forwarder: Forwarder,
    notice: Notice,
    failures_so_far: int,
    age: float,
    policy: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    rng: random.Random | None = None,
) -> Outcome:
    """Try to send once. `age` is seconds since the forward was created (for RetryPolicy.max_age)."""
    policy = policy or RetryPolicy()
    if limiter is not None:
        wait = limiter.try_acquire(destination_key(notice))
        if wait > 0:
            return Outcome("deferred", delay=wait)
    try:
        receipt = forwarder.send(notice)
    except PermanentFailure as exc:
        return Outcome("failed", error=exc.reason)
    except TemporaryFailure as exc:
        return _retry_or_give_up(policy, failures_so_far + 1, age, exc.reason, exc.retry_after, rng)
    except Exception as exc:  # a bug in a forwarder must not stop the other forwards
        log.exception("forwarder crashed on %s", notice.reference)
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return _retry_or_give_up(policy, failures_so_far + 1, age, reason, None, rng)
    return Outcome("delivered", receipt=receipt)


def _retry_or_give_up(policy: RetryPolicy, failures: int, age: float, reason: str,
                      retry_after: float | None, rng: random.Random | None) -> Outcome:
    delay = policy.next_delay(failures, age, retry_after, rng)
    if delay is None:
        return Outcome("failed", error=f"gave up after {failures} attempts over {age / 3600:.1f} h: {reason}")
    return Outcome("retry", delay=delay, error=reason)
