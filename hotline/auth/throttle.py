"""Login throttling: growing delays, never a lock-out.

Three counts of failed logins, kept in the database so every web process and the CLI share them:

- per (account, client): a few free tries, then a delay that doubles with each failure (capped);
- per account, across clients: more gently (more free tries, a short cap), against guessing from many
  addresses;
- per client, across accounts: against one address trying many names.

A wait is a delay before the next try, not a lock: it ends by itself, and the owner's own browser (one
that logged in to the account before: a signed device cookie) is exempt from the per-account count and
is counted by its device instead of its address, so no one elsewhere can keep the owner out. An attempt
is counted before the (slow) password check and taken back if it succeeds, so parallel guesses cannot all
pass the check before any failure is recorded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import LoginThrottle, utcnow

FORGET_AFTER = timedelta(days=1)  # a count with no failure for this long starts again


@dataclass(frozen=True)
class Rule:
    free: int  # failures with no delay after them
    base_seconds: float  # the first delay; each further failure doubles it
    cap_seconds: float

    def delay(self, failures: int) -> float:
        if failures <= self.free:
            return 0.0
        return float(min(self.cap_seconds, self.base_seconds * 2 ** min(failures - self.free - 1, 30)))


PAIR = Rule(free=3, base_seconds=2.0, cap_seconds=15 * 60.0)
ACCOUNT = Rule(free=10, base_seconds=1.0, cap_seconds=60.0)
CLIENT = Rule(free=20, base_seconds=2.0, cap_seconds=15 * 60.0)


@dataclass(frozen=True)
class Attempt:
    keys: dict[str, Rule]  # throttle key -> its rule
    pair: str  # the (account, client) key, cleared by a success


def attempt_keys(name: str, client: str, device: str | None) -> Attempt:
    account = name.strip().lower()[:100]
    who = f"device:{device}" if device else f"ip:{client}"
    keys = {f"pair:{account}|{who}": PAIR, f"client:{client}": CLIENT}
    if device is None:
        keys[f"account:{account}"] = ACCOUNT
    return Attempt(keys, f"pair:{account}|{who}")


@dataclass
class Throttles:
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def default(cls, clock: Callable[[], datetime] = utcnow) -> Throttles:
        return cls(clock)

    def begin(self, session: Session, attempt: Attempt) -> float:
        """0 with the attempt counted as a failure in advance, or the seconds to wait (nothing counted)."""
        audit.take_write_turn(session)
        now = self.clock()  # after waiting for the turn: an earlier reading would see others' stamps as future
        self.prune(session)
        rows = {key: session.get(LoginThrottle, key) for key in attempt.keys}
        waits = [(row.wait_until - now).total_seconds() for row in rows.values() if row is not None]
        wait = max([0.0, *waits])
        if wait > 0:
            return wait
        for key, rule in attempt.keys.items():
            row = rows[key]
            if row is None or now - row.last_failure_at > FORGET_AFTER:
                if row is not None:
                    session.delete(row)
                    session.flush()
                row = LoginThrottle(key=key, failures=0)
                session.add(row)
            row.failures += 1
            row.last_failure_at = now
            row.wait_until = now + timedelta(seconds=rule.delay(row.failures))
        return 0.0

    def succeeded(self, session: Session, attempt: Attempt) -> None:
        """Take the advance count back; the (account, client) count starts again."""
        audit.take_write_turn(session)
        for key, rule in attempt.keys.items():
            row = session.get(LoginThrottle, key)
            if row is None:
                continue
            if key == attempt.pair:
                session.delete(row)
                continue
            row.failures = max(0, row.failures - 1)
            row.wait_until = row.last_failure_at + timedelta(seconds=rule.delay(row.failures))

    def prune(self, session: Session) -> None:
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < self.clock() - FORGET_AFTER))


def wait_message(seconds: float) -> str:
    if seconds < 90:
        return f"too many failed logins; try again in {math.ceil(seconds)} seconds"
    return f"too many failed logins; try again in {math.ceil(seconds / 60)} minutes"
