"""Monitoring settings (HOTLINE_MONITOR_*): when to re-check a forwarded URL and when to send a re-notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.config import Settings

DEFAULT_FIRST_CHECKS_HOURS = (1.0, 6.0, 24.0)
DEFAULT_DAILY_UNTIL_DAYS = 30.0
# Destinations that can take content down (or pass the notice on): they get re-notices by default.
DEFAULT_RENOTICE_KINDS = ("hotline", "hosting-provider", "platform", "cdn")


@dataclass(frozen=True)
class MonitorOptions:
    first_checks: tuple[timedelta, ...] = tuple(timedelta(hours=h) for h in DEFAULT_FIRST_CHECKS_HOURS)
    daily_until: timedelta = timedelta(days=DEFAULT_DAILY_UNTIL_DAYS)
    # A host that refuses connections this many checks in a row counts as removed (one refusal is a blip).
    unreachable_checks: int = 3
    renotice_after: timedelta = timedelta(hours=24)
    renotice_kinds: frozenset[str] = frozenset(DEFAULT_RENOTICE_KINDS)
    # Destination kinds whose re-notice is queued for sending at once; the others become proposals.
    renotice_send_kinds: frozenset[str] = frozenset()
    batch_size: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitorOptions:
        return cls(
            first_checks=tuple(timedelta(hours=hours) for hours in settings.monitor_first_checks_hours),
            daily_until=timedelta(days=settings.monitor_daily_until_days),
            unreachable_checks=max(1, settings.monitor_unreachable_checks),
            renotice_after=timedelta(hours=settings.monitor_renotice_after_hours),
            renotice_kinds=frozenset(settings.monitor_renotice_kinds),
            renotice_send_kinds=frozenset(settings.monitor_renotice_send_kinds),
            batch_size=max(1, settings.monitor_batch_size),
        )

    def offsets(self) -> list[timedelta]:
        """Every check's delay after the first forward: the first checks, then daily until the end."""
        found = sorted(set(self.first_checks))
        day = timedelta(days=1)
        last = found[-1] if found else timedelta(0)
        step = (last // day + 1) * day
        while step <= self.daily_until:
            found.append(step)
            step += day
        return found

    def next_offset(self, elapsed: timedelta) -> timedelta | None:
        """The first scheduled delay strictly after `elapsed`; None when the watch is over."""
        return next((offset for offset in self.offsets() if offset > elapsed), None)
