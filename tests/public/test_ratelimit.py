"""Abuse limits: per client and global, in fixed windows, under a rotating keyed hash."""

from __future__ import annotations

from hotline.web.public.ratelimit import RateLimiter, RateLimits, client_bucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(per_client: int = 3, global_limit: int = 100, window: float = 60.0) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    return RateLimiter(RateLimits(per_client, global_limit, window), clock=clock), clock


def test_a_client_is_refused_after_its_limit_until_the_window_ends() -> None:
    limits, clock = limiter(per_client=3, window=60)
    assert [limits.hit("198.51.100.7").allowed for _ in range(4)] == [True, True, True, False]
    refused = limits.hit("198.51.100.7")
    assert (refused.scope, refused.retry_after) == ("client", 20)  # window 960-1020, now 1000
    assert limits.hit("198.51.100.8").allowed, "other clients are not affected"
    clock.now += 20
    assert limits.hit("198.51.100.7").allowed


def test_the_global_limit_caps_all_clients_together() -> None:
    limits, _ = limiter(per_client=5, global_limit=3)
    assert [limits.hit(f"203.0.113.{n}").allowed for n in range(4)] == [True, True, True, False]
    assert limits.hit("203.0.113.99").scope == "global"


def test_refused_requests_are_not_counted() -> None:
    limits, _ = limiter(per_client=1, global_limit=2)
    limits.hit("192.0.2.1")
    for _ in range(5):
        assert not limits.hit("192.0.2.1").allowed
    assert limits.hit("192.0.2.2").allowed


def test_ipv6_clients_are_counted_per_64() -> None:
    limits, _ = limiter(per_client=2)
    assert limits.hit("2001:db8:1:2::1").allowed
    assert limits.hit("2001:db8:1:2:ffff::9").allowed
    assert not limits.hit("2001:db8:1:2::abcd").allowed
    assert limits.hit("2001:db8:1:3::1").allowed
    assert client_bucket("::ffff:192.0.2.5") == "192.0.2.5"


def test_the_address_is_never_kept_and_the_key_rotates_with_the_window() -> None:
    limits, clock = limiter(window=60)
    limits.hit("198.51.100.23")
    state = repr(vars(limits)) + repr(limits._counts)
    assert "198.51.100.23" not in state and b"198.51.100.23" not in b"".join(limits._counts)
    first_key, first_tokens = limits._key, set(limits._counts)
    clock.now += 60
    limits.hit("198.51.100.23")
    assert limits._key != first_key, "a new key each window"
    assert set(limits._counts).isdisjoint(first_tokens), "hashes from two windows cannot be linked"
    assert limits.tracked_clients == 1, "old counts are forgotten"


def test_retry_after_is_given_in_whole_minutes_for_people() -> None:
    limits, _ = limiter(per_client=0, window=600)
    decision = limits.hit("192.0.2.9")
    # The window runs from 600 to 1200; at 1000 there are 200 s left: "about 4 minutes".
    assert (decision.retry_after, decision.retry_after_minutes) == (200, 4)
