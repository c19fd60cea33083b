"""Intake: a report names URLs; each URL is normalised and linked to the one shared ReportedUrl."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from hotline.models import Report, ReportedUrl, ReportSource, ReportUrl, UrlState, utcnow
from hotline.pipeline.urls import UrlError, host_of, normalise_url

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
MAX_URLS_PER_REPORT = 100
# What a reporter may say they saw: the public form's choices, and what the API and the CLI accept.
REPORT_CATEGORIES: tuple[str, ...] = ("csam", "grooming", "adult-minors", "other")
_REOPENABLE = (UrlState.CLOSED, UrlState.REMOVED, UrlState.REFUSED)
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
    reopen_after: timedelta = timedelta(hours=24),
) -> Submitted:
    """Store a report and its URLs in the caller's transaction. Raises NothingToReport if none is valid,
    UnknownCategory for a category outside REPORT_CATEGORIES."""
    if category is not None and category not in REPORT_CATEGORIES:
        raise UnknownCategory(category)
    accepted, rejected = check_urls(texts)
    if not accepted:
        reasons = "; ".join(f"{r.text!r}: {r.reason}" for r in rejected) or "no address given"
        raise NothingToReport(reasons)
    # Written with Core statements rather than the ORM unit of work: intake is the hot path (the ORM
    # cost two thirds of a submission's CPU). The rows are then handed back as ORM objects.
    now = utcnow()
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
    }
    connection = session.connection()
    report_id = connection.execute(_INSERT_REPORT, report_values).scalar_one()
    report = _adopt(session, Report(id=report_id, **report_values))
    result = Submitted(report=report, rejected=rejected)
    links = []
    for position, (typed, url) in enumerate(accepted):
        reported = _get_or_create_url(session, url, priority, now)
        if referer:
            reported.referer = referer
        reported.priority = max(reported.priority, priority)
        if reported.state in _REOPENABLE and reported.updated_at < now - reopen_after:
            # Seen long ago and finished with: a new report means it may be back, so look again.
            reported.state, reported.state_reason = UrlState.NEW, "reported again"
        links.append({"report_id": report_id, "reported_url_id": reported.id, "position": position,
                      "submitted_url": typed, "referer": referer})
        result.urls.append(reported)
    connection.execute(_INSERT_LINK, links)
    session.flush()
    return result


def _get_or_create_url(session: Session, url: str, priority: int, now: datetime) -> ReportedUrl:
    values = {"url": url, "host": host_of(url), "priority": priority, "state": UrlState.NEW,
              "first_reported_at": now, "updated_at": now, "stage_attempts": 0}
    upsert = _INSERT_URL_UNLESS_KNOWN.get(session.get_bind().dialect.name)
    if upsert is not None:
        # Losing a race with another writer is not an error: the other writer's row is the one.
        created = session.connection().execute(upsert, values).scalar_one_or_none()
        if created is not None:
            return _adopt(session, ReportedUrl(id=created, **values))
    existing = session.scalar(select(ReportedUrl).where(ReportedUrl.url == url))
    if existing is not None:
        return existing
    candidate = ReportedUrl(**values)
    try:
        with session.begin_nested():
            session.add(candidate)
            session.flush()
        return candidate
    except IntegrityError:
        found = session.scalar(select(ReportedUrl).where(ReportedUrl.url == url))
        assert found is not None
        return found


_T = TypeVar("_T")


def _adopt(session: Session, row: _T) -> _T:
    """Attach an object for a row just inserted with Core, without reading it back."""
    make_transient_to_detached(row)
    session.add(row)
    return row
