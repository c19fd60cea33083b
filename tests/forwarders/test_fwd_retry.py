"""Backoff bounds and jitter, Retry-After parsing, and the per-destination token bucket."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest

from forwarders.retry import Rate, RateLimiter, RetryPolicy, next_attempt_delay, parse_retry_after


@pytest.mark.parametrize("attempt", [1, 2, 3, 8, 30, 500])
def test_delay_stays_within_the_exponential_window(attempt: int) -> None:
    rng = random.Random(attempt)
    window = min(3600.0, 10.0 * 2 ** min(attempt - 1, 64))
    delays = [next_attempt_delay(attempt, base=10, cap=3600, rng=rng) for _ in range(200)]
    assert all(0.0 <= d <= window for d in delays)


def test_delays_are_jittered_not_lock_step() -> None:
    rng = random.Random(7)
    delays = [next_attempt_delay(5, base=10, cap=3600, rng=rng) for _ in range(200)]
    assert len(set(delays)) > 150
    # full jitter spreads over the whole window [0, 160]
    assert min(delays) < 40 and max(delays) > 120


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(1)
    assert all(next_attempt_delay(1, retry_after=120, base=1, cap=10, rng=rng) == 120 for _ in range(50))


def test_attempt_must_count_from_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        next_attempt_delay(0)


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 25, 17, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 17:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Wed, 25 Nov 2026 16:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_allows_burst_then_paces() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_second=2.0, burst=3), clock=clock)
    assert [limiter.try_acquire("partner-nl") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_acquire("partner-nl") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.try_acquire("partner-nl") == 0.0


def test_destinations_have_separate_buckets_and_overrides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(1.0), overrides={"police": Rate(0.1)}, clock=clock)
    assert limiter.try_acquire("partner-nl") == 0.0
    assert limiter.try_acquire("police") == 0.0
    assert limiter.try_acquire("partner-nl") == pytest.approx(1.0)
    assert limiter.try_acquire("police") == pytest.approx(10.0)


def test_acquire_waits_with_injected_sleep_and_honours_timeout() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_second=4.0), clock=clock)
    assert limiter.acquire("x", sleep=clock.sleep)
    assert limiter.acquire("x", sleep=clock.sleep)
    assert clock.now == pytest.approx(100.25)
    assert not limiter.acquire("x", timeout=0.1, sleep=clock.sleep)


def test_tokens_are_never_handed_out_twice_across_threads() -> None:
    # Given a bucket of 50 with a clock that does not move
    limiter = RateLimiter(Rate(per_second=1.0, burst=50), clock=lambda: 0.0)
    granted: list[int] = []
    lock = threading.Lock()

    def grab() -> None:
        for _ in range(20):
            if limiter.try_acquire("k") == 0.0:
                with lock:
                    granted.append(1)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly the burst was granted among 160 attempts
    assert len(granted) == 50


def test_policy_gives_up_at_max_age() -> None:
    policy = RetryPolicy(base=10, cap=100, max_age=3600)
    rng = random.Random(3)
    delay = policy.next_delay(attempts=2, age=3599, rng=rng)
    assert delay is not None and 0 <= delay <= 20
    assert policy.next_delay(attempts=2, age=3600, retry_after=5) is None
