"""Fixtures for takedown monitoring: forwarded URLs built directly through the models, fixed timestamps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.models import Forward, Report, ReportedUrl, ReportSource, ReportUrl, UrlState

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # when the first forward was delivered
RECEIVED = T0 - timedelta(hours=2)  # when the report came in
_numbers = itertools.count(1)


@dataclass
class Watched:
    url_id: int
    forward_id: int
    url: str


def add_forwarded_url(session: Any, url: str, *, received: datetime = RECEIVED, forwarded: datetime = T0,
                      destination: str = "hotline-nl", kind: str = "hotline") -> Watched:
    """A reported URL, assessed and forwarded to one destination that confirmed delivery at `forwarded`."""
    from hotline.pipeline.urls import host_of

    number = next(_numbers)
    report = Report(reference=f"T-{number:06d}-{id(session) % 1000:03d}", source=ReportSource.PUBLIC,
                    received_at=received, category_claimed="csam")
    row = ReportedUrl(url=url, host=host_of(url), state=UrlState.FORWARDED, first_reported_at=received,
                      first_forwarded_at=forwarded)
    session.add_all([report, row])
    session.flush()
    session.add(ReportUrl(report_id=report.id, reported_url_id=row.id, submitted_url=url))
    forward = Forward(reported_url_id=row.id, destination=destination, destination_kind=kind, channel="email",
                      address="abuse@example.invalid", idempotency_key=f"test-url{row.id}-{number}",
                      state="delivered", created_at=forwarded, next_attempt_at=forwarded, delivered_at=forwarded)
    session.add(forward)
    session.flush()
    return Watched(row.id, forward.id, url)

