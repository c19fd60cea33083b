"""Takedown monitoring: re-check forwarded URLs on a schedule, record removal, follow up with re-notices.

    schedule_checks(session, reported_url, start=None)   first check for a URL (hook for the outbox)
    run_due_checks(app, now=None) -> int                  one batch of due checks (the "monitor" job)
    monitor_until_idle(app, now=None) -> Counter          batches until nothing is due at `now`
    decide(result, assessed, unreachable_before, limit)   the verdict on one re-capture (pure)
    removal_times(session, reported_url)                  time to removal: from report, first forward, per destination
    watch_list(session, state=None)                       what `hotline monitor ls` shows
"""

from __future__ import annotations

from hotline.monitor.decide import AssessedItem, Verdict, decide
from hotline.monitor.listing import watch_list
from hotline.monitor.options import MonitorOptions
from hotline.monitor.renotice import renotice
from hotline.monitor.run import assessed_items, monitor_until_idle, record_check, run_batch, run_due_checks
from hotline.monitor.schedule import pick_up_unwatched, schedule_checks, schedule_next
from hotline.monitor.times import RemovalTimes, first_received, removal_times
from hotline.outbox import RENOTICE_RULE

__all__ = [
    "RENOTICE_RULE",
    "AssessedItem",
    "MonitorOptions",
    "RemovalTimes",
    "Verdict",
    "assessed_items",
    "decide",
    "first_received",
    "monitor_until_idle",
    "pick_up_unwatched",
    "record_check",
    "removal_times",
    "renotice",
    "run_batch",
    "run_due_checks",
    "schedule_checks",
    "schedule_next",
    "watch_list",
]
