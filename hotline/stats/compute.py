"""Compute the period's figures from the database.

Definitions (the same on SQLite and PostgreSQL; times are UTC):
- The period is [from_, to). The previous period is the one of the same length just before it.
- Reports: those received in the period. The cohort: every URL a report received in the period names;
  all URL figures (assessment, hosting, forwards, removal) are about the cohort, whenever they happened.
- A URL's classification is its latest assessment. Valid: illegal under baseline or national law.
- Forwarded: at least one forward delivered (re-notices do not count twice). Destination groups:
  partner hotline, police, content owner (platform, hosting provider, CDN), regulator (ANCOM).
- Time to removal: from the URL's first report (ever) and from its first forward to `removed_at`.
- Within 3 days (INHOPE's headline figures): share of valid URLs removed within 72 h of the first
  report, and share of valid URLs whose notice to the police was delivered within 72 h of it.
- Discovery: reports a discovery crawl made (source `discovery`) are left out of every figure above and
  their URLs (those no other report names) are counted apart, with their own removals (`discovered`).
- Reports not valid: closed with a reason (no-url, out-of-scope, duplicate, not-illegal, unreachable),
  or never closed but every URL and attachment of theirs assessed not-illegal (counted as not-illegal,
  once, however the analysts got there). Valid reports: open ones with an illegal URL or attachment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hotline.models import (
    Assessment,
    Capture,
    ClosingReason,
    Forward,
    Hosting,
    MediaItem,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
)
from hotline.stats.model import DestinationRemoval, Discovered, Durations, Growth, Ratio, Repeat, Share, Stats

ILLEGAL = frozenset({"baseline", "national"})
NOT_ILLEGAL = "not-illegal"
THREE_DAYS = timedelta(days=3)
GROUPS = {
    "hotline": "partner hotline",
    "police": "police",
    "platform": "content owner",
    "hosting-provider": "content owner",
    "cdn": "content owner",
    "regulator": "regulator (ANCOM)",
}
GROUP_ORDER = ("partner hotline", "police", "content owner", "regulator (ANCOM)")
TOP = 10
STEPS = 6

Progress = Callable[[int, int, str], None]


@dataclass
class _Url:
    id: int
    url: str
    host: str
    removed_at: datetime | None
    first_forwarded_at: datetime | None
    received: datetime | None = None
    reports: int = 0
    legal: str | None = None
    country: str | None = None


def compute(session: Session, from_: datetime, to: datetime, progress: Progress | None = None) -> Stats:
    if to <= from_:
        raise ValueError("the period's end must be after its start")
    step = _stepper(progress)
    previous_from = from_ - (to - from_)

    step("reports")
    reports = session.execute(select(Report.source, Report.category_claimed).where(_within(from_, to))).all()
    closing = _closing(session, from_, to)
    previous_reports = session.scalar(select(func.count()).select_from(Report).where(_within(previous_from, from_)))
    step("URLs")
    urls = _cohort(session, from_, to)
    previous_urls = session.scalar(select(func.count()).select_from(_cohort_query(previous_from, from_).subquery()))
    step("assessments")
    _latest_legal(session, urls, _cohort_query(from_, to))
    verdicts = _report_verdicts(session, from_, to, urls)
    previous_valid = _count_valid(session, _cohort_query(previous_from, from_))
    step("hosting")
    _latest_country(session, urls, _cohort_query(from_, to))
    step("forwards")
    firsts = _first_deliveries(session, _cohort_query(from_, to))
    step("figures")

    total = len(reports)
    assessed = [u for u in urls.values() if u.legal is not None]
    valid = [u for u in assessed if u.legal in ILLEGAL]
    forwarded = {url_id for url_id, by_group in firsts.items() if by_group}
    removed = [u for u in urls.values() if u.removed_at is not None]
    repeat_hosts = [(host, n) for host, n in Counter(u.host for u in valid).items() if n >= 2]
    reasons = {report_id: reason or _derived_reason(verdicts.get(report_id, [])) for report_id, reason in
               closing.items()}
    not_valid = Counter(reason for reason in reasons.values() if reason)
    valid_reports = sum(1 for report_id, reason in reasons.items()
                        if reason is None and any(v in ILLEGAL for v in verdicts.get(report_id, [])))
    stats = Stats(
        period_from=from_,
        period_to=to,
        previous_from=previous_from,
        reports_received=_growth(total, previous_reports or 0),
        reports_by_source=_shares(Counter(_value(source) for source, _ in reports), total),
        categories_claimed=_shares(Counter(category or "none" for _, category in reports), total),
        reports_valid=_ratio(valid_reports, total),
        reports_not_valid=_ratio(sum(not_valid.values()), total),
        reports_closed=[Share(r.value, not_valid[r.value], _percent(not_valid[r.value], total))
                        for r in ClosingReason],
        urls_reported=_growth(len(urls), previous_urls or 0),
        urls_assessed=len(assessed),
        valid=_growth(len(valid), previous_valid),
        not_illegal=sum(1 for u in assessed if u.legal == NOT_ILLEGAL),
        classifications=_shares(Counter(u.legal for u in assessed if u.legal), len(assessed)),
        hosting_countries=_shares(Counter(u.country or "unknown" for u in valid), len(valid)),
        urls_forwarded=len(forwarded),
        destinations=_group_shares(firsts, len(forwarded)),
        urls_removed=len(removed),
        removal_from_report=_durations(u.removed_at - u.received for u in removed if u.removed_at and u.received),
        removal_from_forward=_durations(
            u.removed_at - u.first_forwarded_at for u in removed if u.removed_at and u.first_forwarded_at
        ),
        removal_by_destination=_removal_by_group(removed, firsts),
        removed_within_3_days=_ratio(
            sum(1 for u in valid if u.removed_at and u.received and u.removed_at - u.received <= THREE_DAYS),
            len(valid),
        ),
        police_within_3_days=_ratio(sum(1 for u in valid if _police_in_time(u, firsts)), len(valid)),
        repeat_urls=sum(1 for u in urls.values() if u.reports >= 2),
        top_repeat_urls=_top((u.url, u.reports) for u in urls.values() if u.reports >= 2),
        repeat_hosts=len(repeat_hosts),
        top_repeat_hosts=_top(repeat_hosts),
        discovered=_discovered(session, from_, to),
    )
    step("done")
    return stats


# -- queries ---------------------------------------------------------------------------------------
def _within(from_: datetime, to: datetime):  # type: ignore[no-untyped-def]
    """Reports received in the period: what people reported (discovery's own reports are counted apart)."""
    return (Report.received_at >= from_) & (Report.received_at < to) & (Report.source != ReportSource.DISCOVERY)


def _discovered(session: Session, from_: datetime, to: datetime) -> Discovered:
    period = (Report.received_at >= from_) & (Report.received_at < to) & (Report.source == ReportSource.DISCOVERY)
    reported = (select(ReportUrl.reported_url_id).join(Report, Report.id == ReportUrl.report_id)
                .where(Report.source != ReportSource.DISCOVERY))
    found = dict(session.execute(
        select(ReportUrl.reported_url_id, func.min(Report.received_at)).join(Report, Report.id == ReportUrl.report_id)
        .where(period, ReportUrl.reported_url_id.not_in(reported)).group_by(ReportUrl.reported_url_id)
    ).all())
    if not found:
        return Discovered()
    rows = session.execute(select(ReportedUrl.id, ReportedUrl.removed_at, ReportedUrl.first_forwarded_at)
                           .where(ReportedUrl.id.in_(list(found)))).all()
    latest = dict(session.execute(
        select(Assessment.reported_url_id, Assessment.legal).where(Assessment.reported_url_id.in_(list(found)))
        .order_by(Assessment.id)).all())  # later rows overwrite earlier ones: the latest assessment wins
    removed = [row for row in rows if row.removed_at is not None]
    return Discovered(
        urls=len(found),
        valid=sum(1 for legal in latest.values() if legal in ILLEGAL),
        forwarded=sum(1 for row in rows if row.first_forwarded_at is not None),
        removed=len(removed),
        removal_from_discovery=_durations(row.removed_at - found[row.id] for row in removed),
        removal_from_forward=_durations(row.removed_at - row.first_forwarded_at for row in removed
                                        if row.first_forwarded_at),
    )


def _cohort_query(from_: datetime, to: datetime) -> Select[Any]:
    return (select(ReportUrl.reported_url_id).join(Report, Report.id == ReportUrl.report_id)
            .where(_within(from_, to)).distinct())


def _cohort(session: Session, from_: datetime, to: datetime) -> dict[int, _Url]:
    cohort = _cohort_query(from_, to)
    rows = session.execute(
        select(ReportedUrl.id, ReportedUrl.url, ReportedUrl.host, ReportedUrl.removed_at,
               ReportedUrl.first_forwarded_at).where(ReportedUrl.id.in_(cohort))
    ).all()
    urls = {row.id: _Url(row.id, row.url, row.host, row.removed_at, row.first_forwarded_at) for row in rows}
    # First report ever (it may predate the period) and how many reports named it up to the period's end.
    for url_id, first, count in session.execute(
        select(ReportUrl.reported_url_id, func.min(Report.received_at), func.count(Report.id))
        .join(Report, Report.id == ReportUrl.report_id)
        .where(ReportUrl.reported_url_id.in_(cohort), Report.received_at < to, Report.source != ReportSource.DISCOVERY)
        .group_by(ReportUrl.reported_url_id)
    ):
        urls[url_id].received, urls[url_id].reports = first, count
    return urls


def _latest_legal(session: Session, urls: dict[int, _Url], cohort: Select[Any]) -> None:
    for url_id, legal in session.execute(
        select(Assessment.reported_url_id, Assessment.legal).where(Assessment.reported_url_id.in_(cohort))
        .order_by(Assessment.created_at, Assessment.id)
    ):
        if url_id is not None:
            urls[url_id].legal = legal  # later rows overwrite: the latest assessment wins


def _count_valid(session: Session, cohort: Select[Any]) -> int:
    latest: dict[int, str] = {}
    for url_id, legal in session.execute(
        select(Assessment.reported_url_id, Assessment.legal).where(Assessment.reported_url_id.in_(cohort))
        .order_by(Assessment.created_at, Assessment.id)
    ):
        if url_id is not None:
            latest[url_id] = legal
    return sum(1 for legal in latest.values() if legal in ILLEGAL)


def _closing(session: Session, from_: datetime, to: datetime) -> dict[int, str | None]:
    """Report id -> the reason it was closed with (None: open)."""
    return {row.id: row.closed_reason
            for row in session.execute(select(Report.id, Report.closed_reason).where(_within(from_, to)))}


def _report_verdicts(session: Session, from_: datetime, to: datetime,
                     urls: dict[int, _Url]) -> dict[int, list[str | None]]:
    """Report id -> the latest legal assessment of each of its URLs and attachments (None: not assessed)."""
    verdicts: dict[int, list[str | None]] = defaultdict(list)
    for report_id, url_id in session.execute(
        select(ReportUrl.report_id, ReportUrl.reported_url_id).join(Report, Report.id == ReportUrl.report_id)
        .where(_within(from_, to))
    ):
        verdicts[report_id].append(urls[url_id].legal if url_id in urls else None)
    latest: dict[tuple[int, int], str | None] = {}
    verdict: str | None
    for owner, media_id, verdict in session.execute(
        select(Capture.report_id, MediaItem.id, Assessment.legal)
        .join(MediaItem, MediaItem.capture_id == Capture.id).join(Report, Report.id == Capture.report_id)
        .outerjoin(Assessment, Assessment.media_item_id == MediaItem.id)
        .where(_within(from_, to), MediaItem.kind != "page")
        .order_by(Assessment.created_at, Assessment.id)
    ):
        if owner is not None and (verdict is not None or (owner, media_id) not in latest):
            latest[(owner, media_id)] = verdict  # in order: the latest assessment wins
    for (owner, _), found in latest.items():
        verdicts[owner].append(found)
    return verdicts


def _derived_reason(verdicts: list[str | None]) -> str | None:
    """An open report whose every URL and attachment was assessed not illegal counts as closed not-illegal."""
    if verdicts and all(v == NOT_ILLEGAL for v in verdicts):
        return ClosingReason.NOT_ILLEGAL.value
    return None


def _latest_country(session: Session, urls: dict[int, _Url], cohort: Select[Any]) -> None:
    for url_id, country in session.execute(
        select(Hosting.reported_url_id, Hosting.country).where(Hosting.reported_url_id.in_(cohort))
        .order_by(Hosting.located_at, Hosting.id)
    ):
        urls[url_id].country = country


def _first_deliveries(session: Session, cohort: Select[Any]) -> dict[int, dict[str, datetime]]:
    """URL -> destination group -> first delivery of a notice (re-notices excluded)."""
    firsts: dict[int, dict[str, datetime]] = defaultdict(dict)
    for url_id, kind, delivered in session.execute(
        select(Forward.reported_url_id, Forward.destination_kind, func.min(Forward.delivered_at))
        .where(Forward.reported_url_id.in_(cohort), Forward.delivered_at.is_not(None),
               Forward.escalation_of_id.is_(None))
        .group_by(Forward.reported_url_id, Forward.destination_kind)
    ):
        if delivered is None:
            continue
        group = GROUPS.get(kind, "other")
        known = firsts[url_id].get(group)
        firsts[url_id][group] = delivered if known is None else min(known, delivered)
    return firsts


# -- figures ---------------------------------------------------------------------------------------
def _percent(count: int, base: int) -> float | None:
    return round(100.0 * count / base, 2) if base else None


def _growth(current: int, previous: int) -> Growth:
    percent = round(100.0 * (current - previous) / previous, 2) if previous else None
    return Growth(current, previous, percent)


def _ratio(count: int, base: int) -> Ratio:
    return Ratio(count, base, _percent(count, base))


def _shares(counts: Counter[str], base: int) -> list[Share]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Share(key, count, _percent(count, base)) for key, count in ordered]


def _group_shares(firsts: dict[int, dict[str, datetime]], forwarded: int) -> list[Share]:
    counts = Counter(group for by_group in firsts.values() for group in by_group)
    groups = [*GROUP_ORDER, *sorted(set(counts) - set(GROUP_ORDER))]
    return [Share(group, counts.get(group, 0), _percent(counts.get(group, 0), forwarded)) for group in groups]


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _durations(deltas: Iterable[timedelta]) -> Durations:
    hours = [delta.total_seconds() / 3600 for delta in deltas]
    return Durations(len(hours), _round(percentile(hours, 0.5)), _round(percentile(hours, 0.9)))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _removal_by_group(removed: list[_Url], firsts: dict[int, dict[str, datetime]]) -> list[DestinationRemoval]:
    hours: dict[str, list[float]] = defaultdict(list)
    for url in removed:
        assert url.removed_at is not None
        for group, delivered in firsts.get(url.id, {}).items():
            if delivered <= url.removed_at:  # a notice delivered after removal did not cause it
                hours[group].append((url.removed_at - delivered).total_seconds() / 3600)
    groups = [*GROUP_ORDER, *sorted(set(hours) - set(GROUP_ORDER))]
    return [DestinationRemoval(g, len(hours[g]), _round(percentile(hours[g], 0.5))) for g in groups]


def _police_in_time(url: _Url, firsts: dict[int, dict[str, datetime]]) -> bool:
    delivered = firsts.get(url.id, {}).get("police")
    return delivered is not None and url.received is not None and delivered - url.received <= THREE_DAYS


def _top(pairs: Iterable[tuple[str, int]]) -> list[Repeat]:
    return [Repeat(key, count) for key, count in sorted(pairs, key=lambda kv: (-kv[1], kv[0]))[:TOP]]


def _value(member: object) -> str:
    return str(getattr(member, "value", member))


def _stepper(progress: Progress | None) -> Callable[[str], None]:
    done = 0

    def step(label: str) -> None:
        nonlocal done
        if progress is not None:
            progress(done, STEPS, label)
        done += 1

    return step
