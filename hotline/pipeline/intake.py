"""Intake: a report names URLs; each URL is normalised and linked to the one shared ReportedUrl.

A report whose every URL was already reported within the dedup window (HOTLINE_CAPTURE_DEDUP_HOURS) is a
duplicate: it is stored, linked to the same URLs (so its reporter's status page still works) and closed
as `duplicate` of the earlier report, and nothing is captured again. Outside the window, a URL that was
finished with (closed, removed, refused) is looked at again.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, cast

import ioc_fanger
from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from hotline import audit
from hotline.config import Settings
from hotline.models import (
    STAFF_SOURCES,
    ClosingReason,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
    User,
    utcnow,
)
from hotline.pipeline.urls import UrlError, host_of, normalise_url

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
MAX_URLS_PER_REPORT = 100
# What a reporter may say they saw: the public form's choices, and what the API and the CLI accept.
REPORT_CATEGORIES: tuple[str, ...] = ("csam", "grooming", "adult-minors", "other")
_REOPENABLE = (UrlState.CLOSED, UrlState.REMOVED, UrlState.REFUSED)
# For callers without settings (scripts, tests): the setting's own default, so there is one number.
DEFAULT_DEDUP_WINDOW = timedelta(hours=Settings.model_fields["capture_dedup_hours"].default)
_REPORTS, _URLS, _LINKS = (cast(Table, model.__table__) for model in (Report, ReportedUrl, ReportUrl))
_INSERT_REPORT = insert(_REPORTS).returning(_REPORTS.c.id)
_INSERT_LINK = insert(_LINKS)
_INSERT_URL_UNLESS_KNOWN = {
    name: dialect.insert(_URLS).on_conflict_do_nothing(index_elements=["url"]).returning(_URLS.c.id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}


class NothingToReport(ValueError):
    """Every URL in the report was rejected; nothing was stored."""


class UnknownCategory(ValueError):
    """The category is not one of REPORT_CATEGORIES; nothing was stored."""

    def __init__(self, category: str) -> None:
        super().__init__(f"unknown category {category!r}: choose from {', '.join(REPORT_CATEGORIES)}")


@dataclass
class Rejected:
    text: str
    reason: str


@dataclass
class Submitted:
    report: Report
    urls: list[ReportedUrl] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    status_secret: str | None = None
    duplicate_of: str | None = None  # the earlier report's reference, when this one repeats it


def dedup_window(settings: Settings) -> timedelta:
    """How long a reported URL counts as just reported (HOTLINE_CAPTURE_DEDUP_HOURS)."""
    return timedelta(hours=settings.capture_dedup_hours)


def new_reference() -> str:
    token = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"HL-{utcnow():%Y}-{token[:4]}-{token[4:]}"


def check_urls(texts: list[str]) -> tuple[list[tuple[str, str]], list[Rejected]]:
    """Split into (typed, normalised) pairs and rejections; duplicates inside one report are merged."""
    accepted: list[tuple[str, str]] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for text in texts:
        if not text.strip():
            continue
        try:
            url = normalise_url(text)
        except UrlError as exc:
            rejected.append(Rejected(text, str(exc)))
            continue
        if url not in seen:
            seen.add(url)
            accepted.append((text.strip(), url))
    if len(accepted) > MAX_URLS_PER_REPORT:
        for text, _ in accepted[MAX_URLS_PER_REPORT:]:
            rejected.append(Rejected(text, f"a report can name at most {MAX_URLS_PER_REPORT} addresses"))
        accepted = accepted[:MAX_URLS_PER_REPORT]
    return accepted, rejected


def submit_report(
    session: Session,
    texts: list[str],
    *,
    source: ReportSource = ReportSource.CLI,
    category: str | None = None,
    description: str | None = None,
    reporter_contact: str | None = None,
    language: str | None = None,
    referer: str | None = None,
    partner_id: int | None = None,
    partner_reference: str | None = None,
    idempotency_key: str | None = None,
    priority: int = 0,
    status_secret_hash: str | None = None,
    payload: dict[str, object] | None = None,
    recorded_by_id: int | None = None,
    via: str | None = None,
    require_url: bool = True,
    brings_media: bool = False,
    dedup_window: timedelta = DEFAULT_DEDUP_WINDOW,
) -> Submitted:
    """Store a report and its URLs in the caller's transaction. Raises NothingToReport if none is valid,
    UnknownCategory for a category outside REPORT_CATEGORIES.

    With `require_url=False` a report without a valid URL is stored all the same (a mail, a phone call):
    closed as no-url, unless it `brings_media` the caller stores with it (a mail's pictures)."""
    if category is not None and category not in REPORT_CATEGORIES:
        raise UnknownCategory(category)
    accepted, rejected = check_urls(texts)
    if not accepted and require_url:
        reasons = "; ".join(f"{r.text!r}: {r.reason}" for r in rejected) or "no address given"
        raise NothingToReport(reasons)
    # Written with Core statements rather than the ORM unit of work: intake is the hot path (the ORM
    # cost two thirds of a submission's CPU). The rows are then handed back as ORM objects.
    now = utcnow()
    known = [_get_or_create_url(session, url, priority, now) for _, url in accepted]
    # Only when no URL is new can the report repeat an earlier one (a new report of new URLs costs nothing).
    earlier = _earlier_report(session, [row.id for row, _ in known], now - dedup_window) \
        if known and not any(created for _, created in known) else None
    closed_reason = (ClosingReason.DUPLICATE if earlier is not None
                     else ClosingReason.NO_URL if not accepted and not brings_media else None)
    report_values = {
        "reference": new_reference(),
        "source": source,
        "category_claimed": category,
        "description": description,
        "reporter_contact": reporter_contact,
        "language": language,
        "partner_id": partner_id,
        "partner_reference": partner_reference,
        "idempotency_key": idempotency_key,
        "status_secret_hash": status_secret_hash,
        "payload": payload,
        "received_at": now,
        "recorded_by_id": recorded_by_id,
        "via": via,
        "closed_reason": closed_reason,
        "closed_at": now if closed_reason else None,
        "duplicate_of_id": earlier.id if earlier is not None else None,
    }
    connection = session.connection()
    report_id = connection.execute(_INSERT_REPORT, report_values).scalar_one()
    report = _adopt(session, Report(id=report_id, **report_values))
    result = Submitted(report=report, rejected=rejected,
                       duplicate_of=earlier.reference if earlier is not None else None)
    links = []
    for position, ((typed, _), (reported, _)) in enumerate(zip(accepted, known, strict=True)):
        if referer:
            reported.referer = referer
        reported.priority = max(reported.priority, priority)
        if earlier is None and reported.state in _REOPENABLE and reported.updated_at < now - dedup_window:
            # Seen long ago and finished with: a new report means it may be back, so look again.
            reported.state, reported.state_reason = UrlState.NEW, "reported again"
        links.append({"report_id": report_id, "reported_url_id": reported.id, "position": position,
                      "submitted_url": typed, "referer": referer})
        result.urls.append(reported)
    if links:
        connection.execute(_INSERT_LINK, links)
    session.flush()
    return result


@dataclass(frozen=True)
class _Earlier:
    id: int
    reference: str


def _earlier_report(session: Session, url_ids: list[int], since: datetime) -> _Earlier | None:
    """The report this one repeats when every URL was reported since `since`: the one naming most of
    them, then the newest; its own original if it was a duplicate too."""
    rows = session.execute(
        select(Report.id, Report.duplicate_of_id, Report.received_at, ReportUrl.reported_url_id)
        .join(ReportUrl, ReportUrl.report_id == Report.id)
        .where(ReportUrl.reported_url_id.in_(url_ids), Report.received_at >= since)
    ).all()
    if {row.reported_url_id for row in rows} != set(url_ids):
        return None
    named = Counter(row.id for row in rows)
    chosen = max(rows, key=lambda row: (named[row.id], row.received_at, row.id))
    original = chosen.duplicate_of_id or chosen.id
    reference = session.scalar(select(Report.reference).where(Report.id == original))
    assert reference is not None
    return _Earlier(original, reference)


def _get_or_create_url(session: Session, url: str, priority: int, now: datetime) -> tuple[ReportedUrl, bool]:
    """The shared row for `url` and whether this call created it."""
    values = {"url": url, "host": host_of(url), "priority": priority, "state": UrlState.NEW,
              "first_reported_at": now, "updated_at": now, "stage_attempts": 0}
    upsert = _INSERT_URL_UNLESS_KNOWN.get(session.get_bind().dialect.name)
    if upsert is not None:
        # Losing a race with another writer is not an error: the other writer's row is the one.
        created = session.connection().execute(upsert, values).scalar_one_or_none()
        if created is not None:
            return _adopt(session, ReportedUrl(id=created, **values)), True
    existing = session.scalar(select(ReportedUrl).where(ReportedUrl.url == url))
    if existing is not None:
        return existing, False
    candidate = ReportedUrl(**values)
    try:
        with session.begin_nested():
            session.add(candidate)
            session.flush()
        return candidate, True
    except IntegrityError:
        found = session.scalar(select(ReportedUrl).where(ReportedUrl.url == url))
        assert found is not None
        return found, False


_T = TypeVar("_T")


def _adopt(session: Session, row: _T) -> _T:
    """Attach an object for a row just inserted with Core, without reading it back."""
    make_transient_to_detached(row)
    session.add(row)
    return row


class NotAStaffSource(ValueError):
    def __init__(self, source: str) -> None:
        names = ", ".join(s.value for s in STAFF_SOURCES)
        super().__init__(f"unknown source {source!r} for a report taken by staff: choose from {names}")


def record_staff_report(
    session: Session,
    texts: list[str],
    *,
    source: str,
    recorded_by: User,
    via: str | None = None,
    category: str | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
    dedup_window: timedelta = DEFAULT_DEDUP_WINDOW,
) -> Submitted:
    """A report an operator took (a call, a letter, a helpline's referral), in the caller's transaction.

    The caller stays anonymous: there is no field for a number or an address. A report with no address
    at all is kept and closed as no-url (counted); one whose every address is wrong raises NothingToReport,
    so a typo is fixed rather than counted."""
    if source not in {s.value for s in STAFF_SOURCES}:
        raise NotAStaffSource(source)
    # Written down as the caller spelled them: "example[.]com" and "hxxp://" are what people read out.
    given = [ioc_fanger.fang(text.strip()) for text in texts if text.strip()]
    result = submit_report(session, given, source=ReportSource(source), category=category,
                           description=(description or "").strip() or None, via=(via or "").strip() or None,
                           recorded_by_id=recorded_by.id, require_url=bool(given), idempotency_key=idempotency_key,
                           dedup_window=dedup_window)
    audit.record(session, recorded_by.name, "report.record", "report", result.report.reference, source=source,
                 via=result.report.via, urls=len(result.urls), closed=result.report.closed_reason)
    return result


def add_discovered_url(session: Session, url: str, *, origin_report_id: int, report_id: int | None,
                       referer: str | None = None, description: str | None = None) -> tuple[Report, ReportedUrl] | None:
    """Put a page a discovery crawl matched into the crawl's discovery report (created, linked to the report
    the crawl started from, with its first page), in the caller's transaction. None when the URL is reported
    already (it has its own reports and its own way through the pipeline). New URLs start in `new`."""
    url = normalise_url(url)
    known = session.scalar(select(ReportedUrl).where(ReportedUrl.url == url))
    if known is not None and known.report_links:
        return None
    if report_id is None:
        submitted = submit_report(session, [url], source=ReportSource.DISCOVERY, referer=referer,
                                  description=description)
        submitted.report.origin_report_id = origin_report_id
        session.flush()
        return submitted.report, submitted.urls[0]
    report = session.get(Report, report_id)
    assert report is not None
    reported, _ = _get_or_create_url(session, url, 0, utcnow())
    if referer and not reported.referer:
        reported.referer = referer
    position = session.scalar(select(func.count()).select_from(ReportUrl).where(ReportUrl.report_id == report.id)) or 0
    session.add(ReportUrl(report_id=report.id, reported_url_id=reported.id, position=position, submitted_url=url,
                          referer=referer))
    session.flush()
    return report, reported
