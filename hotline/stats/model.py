"""The figures a hotline publishes for a period, as plain data (every renderer reads only this)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Share:
    key: str
    count: int
    percent: float | None  # of the base named where the list is defined; None when the base is 0


@dataclass(frozen=True)
class Ratio:
    count: int
    base: int
    percent: float | None


@dataclass(frozen=True)
class Growth:
    current: int
    previous: int
    percent: float | None  # None when the previous period had none


@dataclass(frozen=True)
class Durations:
    """Hours; median and 90th percentile by linear interpolation (numpy's default, Excel PERCENTILE.INC)."""

    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class DestinationRemoval:
    group: str
    removed: int  # URLs removed after a notice to this group was delivered
    median_hours: float | None  # from that group's first delivered notice to removal


@dataclass(frozen=True)
class Repeat:
    key: str
    count: int


@dataclass(frozen=True)
class Discovered:
    """URLs discovery crawls found (named only by discovery reports received in the period), apart from the
    reported ones, so the hotline can tell what it found itself from what the public sent."""

    urls: int = 0
    valid: int = 0  # assessed illegal (by an analyst or an auto-forward policy)
    forwarded: int = 0  # at least one forward delivered
    removed: int = 0
    removal_from_discovery: Durations = Durations(0, None, None)
    removal_from_forward: Durations = Durations(0, None, None)


@dataclass(frozen=True)
class Stats:
    period_from: datetime
    period_to: datetime  # exclusive
    previous_from: datetime
    reports_received: Growth
    reports_by_source: list[Share]  # percent of reports received
    categories_claimed: list[Share]  # what reporters chose; percent of reports received
    reports_valid: Ratio  # open reports with an illegal URL or attachment; of reports received
    reports_not_valid: Ratio  # closed with a reason (or all assessed not illegal); of reports received
    reports_closed: list[Share]  # not valid, by reason (every ClosingReason); percent of reports received
    urls_reported: Growth  # URLs named by a report received in the period: the period's cohort
    urls_assessed: int
    valid: Growth  # assessed illegal (baseline or national law)
    not_illegal: int
    classifications: list[Share]  # latest assessment of each URL; percent of URLs assessed
    hosting_countries: list[Share]  # of valid URLs; percent of valid
    urls_forwarded: int  # cohort URLs with at least one delivered forward
    destinations: list[Share]  # URLs per destination group; percent of URLs forwarded
    urls_removed: int
    removal_from_report: Durations
    removal_from_forward: Durations
    removal_by_destination: list[DestinationRemoval]
    removed_within_3_days: Ratio  # of valid URLs, counted from the report
    police_within_3_days: Ratio  # of valid URLs, counted from the report to the delivered notice
    repeat_urls: int  # cohort URLs named by two or more reports (up to the end of the period)
    top_repeat_urls: list[Repeat] = field(default_factory=list)
    repeat_hosts: int = 0  # hosts with two or more valid cohort URLs
    top_repeat_hosts: list[Repeat] = field(default_factory=list)
    discovered: Discovered = field(default_factory=Discovered)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("period_from", "period_to", "previous_from"):
            data[name] = getattr(self, name).isoformat()
        return data
