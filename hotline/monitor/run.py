"""Run due takedown checks: re-capture through the isolated capture process, judge, record, follow up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import Assessment, Capture, MediaItem, ReportedUrl, TakedownCheck, UrlState, utcnow
from hotline.monitor.decide import UNREACHABLE, AssessedItem, Verdict, decide
from hotline.monitor.options import MonitorOptions
from hotline.monitor.renotice import renotice
from hotline.monitor.schedule import WATCHED_STATES, pick_up_unwatched, schedule_next
from hotline.monitor.times import removal_times

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.capture.models import CaptureJob, CaptureResult

ACTOR = "monitor"
MEDIA_TYPES = ("image/", "video/")


@dataclass(frozen=True)
class DueCheck:
    check_id: int
    url: str
    referer: str | None


def run_due_checks(app: Hotline, now: datetime | None = None, *, options: MonitorOptions | None = None) -> int:
    """Run one batch of due checks; returns how many were done (0: nothing was due)."""
    return sum(run_batch(app, now, options=options).values())


def run_batch(app: Hotline, now: datetime | None = None, *, options: MonitorOptions | None = None) -> Counter[str]:
    """One batch of due checks; returns how many ended with each outcome."""
    from hotline.capture.client import run_captures
    from hotline.capture.models import CaptureJob

    options = options or MonitorOptions.from_settings(app.settings)
    now = now or utcnow()
    counts: Counter[str] = Counter()
    with app.db.session() as session:
        pick_up_unwatched(session, options)
        counts["skipped"] = _close_unwatched(session, now)
        due = _due(session, now, options.batch_size)
    if not counts["skipped"]:
        del counts["skipped"]
    if not due:
        return counts
    jobs = [CaptureJob(job_id=f"check-{d.check_id}", url=d.url, referer=d.referer) for d in due]
    results = run_captures(jobs, app.capture_options())
    for check, job, result in zip(due, jobs, results, strict=True):
        with app.db.session() as session:
            outcome = record_check(session, check.check_id, job, result, now, options)
        if outcome is not None:
            counts[outcome] += 1
    return counts


def monitor_until_idle(app: Hotline, now: datetime | None = None, *, options: MonitorOptions | None = None,
                       on_progress: Callable[[Counter[str]], None] | None = None) -> Counter[str]:
    """Run batches until no check is due at `now` (each check schedules the next one later)."""
    total: Counter[str] = Counter()
    while True:
        counts = run_batch(app, now, options=options)
        if not counts:
            return total
        total.update(counts)
        if on_progress is not None:
            on_progress(total)


def _due(session: Session, now: datetime, limit: int) -> list[DueCheck]:
    rows = session.execute(
        select(TakedownCheck.id, ReportedUrl.url, ReportedUrl.referer)
        .join(ReportedUrl, ReportedUrl.id == TakedownCheck.reported_url_id)
        .where(TakedownCheck.checked_at.is_(None), TakedownCheck.due_at <= now,
               ReportedUrl.state.in_(WATCHED_STATES))
        .order_by(TakedownCheck.due_at, TakedownCheck.id)
        .limit(limit)
    ).all()
    return [DueCheck(check_id, url, referer) for check_id, url, referer in rows]


def _close_unwatched(session: Session, now: datetime) -> int:
    """Due checks of URLs no longer watched (closed, re-queued...) are closed without a capture."""
    checks = session.scalars(
        select(TakedownCheck).join(ReportedUrl, ReportedUrl.id == TakedownCheck.reported_url_id)
        .where(TakedownCheck.checked_at.is_(None), TakedownCheck.due_at <= now,
               ReportedUrl.state.not_in(WATCHED_STATES))
    ).all()
    for check in checks:
        check.checked_at, check.outcome = now, None
        check.detail = f"skipped: the URL is {check.reported_url.state.value}, not watched"
    return len(checks)


def record_check(session: Session, check_id: int, job: CaptureJob, result: CaptureResult, now: datetime,
                 options: MonitorOptions) -> str | None:
    """Store the capture, judge it and move the URL on; None when another runner recorded it first."""
    from hotline.pipeline.capture import store_capture

    check = session.get(TakedownCheck, check_id, with_for_update=True)
    if check is None or check.checked_at is not None:
        return None
    row = check.reported_url
    capture = store_capture(session, row, result, purpose="monitor", job=job)
    streak = unreachable_streak(session, row.id)
    verdict = decide(result, assessed_items(session, row), len(streak), options.unreachable_checks)
    check.checked_at, check.outcome, check.detail, check.capture_id = now, verdict.outcome, verdict.detail, capture.id
    session.flush()
    _apply(session, row, verdict, now, streak)
    schedule_next(session, row, now, options)
    if verdict.outcome == "present":
        renotice(session, row, now, options)
    return verdict.outcome


def assessed_items(session: Session, row: ReportedUrl) -> list[AssessedItem]:
    """The media the analysts judged: those an assessment names; else the report capture's media that
    matched a hash list or a known item; else all its media (a shared logo alone would keep a page
    "present", hence the preference for named and matched media)."""
    named = session.scalars(
        select(MediaItem).join(Assessment, Assessment.media_item_id == MediaItem.id)
        .where(Assessment.reported_url_id == row.id, MediaItem.sha256.is_not(None))
    ).all()
    if named:
        return _unique(list(named))
    baseline = session.scalars(
        select(Capture).where(Capture.reported_url_id == row.id, Capture.purpose != "monitor",
                              Capture.outcome == "ok")
        .order_by(Capture.id.desc()).limit(1)
    ).first()
    if baseline is None:
        return []
    media = [item for item in baseline.media if _is_media(item)]
    matched = [item for item in media if item.matches]
    return _unique(matched or media)


def _is_media(item: MediaItem) -> bool:
    served = item.outcome == "ok" and item.status is not None and 200 <= item.status < 300
    if not served or not item.sha256:
        return False
    if item.kind in ("image", "video"):
        return True
    return (item.content_type or "").lower().startswith(MEDIA_TYPES)  # a reported URL that is itself a medium


def _unique(items: list[MediaItem]) -> list[AssessedItem]:
    seen: dict[tuple[str, str], AssessedItem] = {}
    for item in items:
        assert item.sha256 is not None
        seen.setdefault((item.url, item.sha256), AssessedItem(item.url, item.sha256))
    return list(seen.values())


def unreachable_streak(session: Session, reported_url_id: int) -> list[TakedownCheck]:
    """The checks just before now that found the host unreachable, newest first."""
    streak = []
    for check in session.scalars(
        select(TakedownCheck).where(TakedownCheck.reported_url_id == reported_url_id,
                                    TakedownCheck.checked_at.is_not(None), TakedownCheck.outcome.is_not(None))
        .order_by(TakedownCheck.checked_at.desc(), TakedownCheck.id.desc())
    ):
        if not (check.detail or "").startswith(UNREACHABLE):
            break
        streak.append(check)
    return streak


def _apply(session: Session, row: ReportedUrl, verdict: Verdict, now: datetime,
           streak: list[TakedownCheck]) -> None:
    if verdict.outcome in ("removed", "replaced") and row.state is UrlState.FORWARDED:
        # Unreachable N times in a row: it went away at the first of those checks.
        since = (streak[-1].checked_at if verdict.unreachable and streak else None) or now
        row.state, row.removed_at = UrlState.REMOVED, since
        row.state_reason = f"{verdict.outcome}: {verdict.detail}"
        session.flush()
        times = removal_times(session, row)
        audit.record(session, ACTOR, "takedown.removed", "reported_url", row.id, outcome=verdict.outcome,
                     detail=verdict.detail, removed_at=since.isoformat(),
                     from_report_seconds=times.from_report_seconds if times else None,
                     from_first_forward_seconds=times.from_first_forward_seconds if times else None,
                     by_destination=times.by_destination if times else {})
    elif verdict.outcome == "present" and row.state is UrlState.REMOVED:
        was = row.removed_at
        row.state, row.removed_at = UrlState.FORWARDED, None
        row.state_reason = f"back online after removal on {was:%Y-%m-%d %H:%M} UTC" if was else "back online"
        audit.record(session, ACTOR, "takedown.reappeared", "reported_url", row.id, detail=verdict.detail,
                     previously_removed_at=was.isoformat() if was else None)
