"""One delivery attempt decided: delivered, retry, deferred by the rate limit, or failed."""

from __future__ import annotations

import random

from fwd_support import PartnerEndpoint
from fwd_support import partner_forwarder as forwarder

from forwarders.base import Notice, Receipt
from forwarders.delivery import attempt, destination_key
from forwarders.retry import Rate, RateLimiter, RetryPolicy

POLICY = RetryPolicy(base=10, cap=100, max_age=3600)


def test_delivered_carries_the_receipt(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    outcome = attempt(forwarder(), make_notice(address=partner_endpoint.url), 0, age=1, policy=POLICY)
    assert outcome.status == "delivered" and outcome.receipt is not None and outcome.receipt.id == "NL-0001"


def test_temporary_failure_is_retried_after_retry_after(partner_endpoint: PartnerEndpoint,
                                                       make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 429
    partner_endpoint.headers = {"Retry-After": "90"}
    outcome = attempt(forwarder(), make_notice(address=partner_endpoint.url), 2, age=60, policy=POLICY)
    assert (outcome.status, outcome.delay) == ("retry", 90.0)
    assert "HTTP 429" in outcome.error and outcome.counts_as_attempt


def test_too_old_forward_fails_for_analysts(refused_url: str, make_notice) -> None:
    outcome = attempt(forwarder(), make_notice(address=refused_url), 7, age=3600, policy=POLICY)
    assert outcome.status == "failed" and outcome.error.startswith("gave up after 8 attempts")


def test_permanent_failure_fails_at_once(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 400
    outcome = attempt(forwarder(), make_notice(address=partner_endpoint.url), 0, age=1, policy=POLICY)
    assert outcome.status == "failed" and "HTTP 400" in outcome.error


def test_rate_limit_defers_without_sending(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    limiter = RateLimiter(Rate(per_second=0.5), clock=lambda: 0.0)
    notice = make_notice(address=partner_endpoint.url)
    first = attempt(forwarder(), notice, 0, age=1, policy=POLICY, limiter=limiter)
    second = attempt(forwarder(), notice, 0, age=1, policy=POLICY, limiter=limiter)
    assert first.status == "delivered"
    assert (second.status, second.delay, second.counts_as_attempt) == ("deferred", 2.0, False)
    assert len(partner_endpoint.received) == 1
    assert destination_key(notice) == f"hotline:{partner_endpoint.url}"


def test_a_crashing_forwarder_is_retried_not_fatal(make_notice) -> None:
    class Broken:
        def send(self, notice: Notice) -> Receipt:
            raise KeyError("bug")

    outcome = attempt(Broken(), make_notice(), 0, age=1, policy=POLICY, rng=random.Random(1))
    assert outcome.status == "retry" and "internal error: KeyError" in outcome.error
    assert outcome.delay is not None and 0 <= outcome.delay <= 10
