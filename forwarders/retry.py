"""When to try again, and how fast to send to one destination.

`next_attempt_delay` is exponential backoff with full jitter (AWS Architecture Blog, "Exponential
Backoff And Jitter"): the delay is uniform in [0, min(cap, base * 2**(attempt-1))], so many failed
forwards do not retry in lock-step. A recipient's Retry-After is a floor: we never come back sooner.

`RateLimiter` is a token bucket per destination key, thread-safe, with an injectable clock so tests
and the worker can reason about time without sleeping.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

DEFAULT_BASE_SECONDS = 30.0
DEFAULT_CAP_SECONDS = 6 * 3600.0


def next_attempt_delay(
    attempt: int,
    retry_after: float | None = None,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt number `attempt + 1`, after `attempt` failures (attempt >= 1)."""
    if attempt < 1:
        raise ValueError(f"attempt counts failures so far and starts at 1, got {attempt}")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    # Exponent capped so 2**n never overflows a float for absurd attempt counts.
    window = min(cap, base * 2.0 ** min(attempt - 1, 64))
    delay = (rng or random).uniform(0.0, window)
    if retry_after is not None and retry_after > delay:
        return float(retry_after)
    return delay


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff settings plus the age after which a forward stops retrying and is shown as failed."""

    base: float = DEFAULT_BASE_SECONDS
    cap: float = DEFAULT_CAP_SECONDS
    max_age: float = 3 * 24 * 3600.0

    def next_delay(self, attempts: int, age: float, retry_after: float | None = None,
                   rng: random.Random | None = None) -> float | None:
        """Seconds until the next try after `attempts` failures, or None once `age` (seconds since the
        forward was created) has reached max_age: then mark it failed for an analyst to see."""
        if age >= self.max_age:
            return None
        return next_attempt_delay(attempts, retry_after, self.base, self.cap, rng)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from an HTTP Retry-After header (delta-seconds or HTTP-date); None when absent/garbled."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_second` tokens refill continuously up to `burst`."""

    per_second: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate needs per_second > 0 and burst >= 1")


class RateLimiter:
    """Token bucket per destination key; `overrides` sets a different rate for some keys."""

    def __init__(
        self,
        default: Rate,
        overrides: Mapping[str, Rate] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._default = default
        self._overrides = dict(overrides or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def _rate(self, key: str) -> Rate:
        return self._overrides.get(key, self._default)

    def _refilled(self, key: str, now: float) -> float:
        rate = self._rate(key)
        tokens, last = self._buckets.get(key, (rate.burst, now))
        return min(rate.burst, tokens + max(0.0, now - last) * rate.per_second)

    def try_acquire(self, key: str) -> float:
        """Take a token and return 0.0, or take nothing and return the seconds until one is free."""
        with self._lock:
            now = self._clock()
            tokens = self._refilled(key, now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self._rate(key).per_second

    def acquire(
        self, key: str, timeout: float | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> bool:
        """Block until a token is taken (True) or `timeout` seconds of waiting would pass (False)."""
        waited = 0.0
        while True:
            wait = self.try_acquire(key)
            if wait == 0.0:
                return True
            if timeout is not None and waited + wait > timeout:
                return False
            sleep(wait)
            waited += wait
