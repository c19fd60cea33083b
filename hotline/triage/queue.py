"""The review queue: what waits for an analyst (assessment or approval), in the order to take it.

Rank = the row's own priority + known-list match + partner report + what the reporter said it is (CSAM
above the rest); within a rank, the oldest report first, so nothing urgent waits behind newer work. Each
row carries why it ranks where it does (`QueueRow.reasons`). One search box finds an item by report
reference, partner reference, URL or domain, or an exact hash (MD5, SHA-1, sha256: the registry's byte
hash kinds) of anything captured from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from fingerprints.signals import bytes_signals
from hotline.models import (
    Assessment,
    Capture,
    Fingerprint,
    Hosting,
    Match,
    MediaItem,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
)

REVIEW_STATES = (UrlState.TRIAGED, UrlState.ASSESSED)
# Queue priority: added to ReportedUrl.priority.
PARTNER_BOOST = 10
KNOWN_LIST_BOOST = 20
# What the reporter said it is: CSAM above the rest (their word, until an analyst assesses it).
CATEGORY_BOOSTS = {"csam": 15, "grooming": 8, "adult-minors": 4}


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None
    category: str | None = None
    country: str | None = None
    source: str | None = None
    claimed_by: int | None = None  # only what this user holds ("claimed by me")
    search: str | None = None  # reference, partner reference, URL or domain, sha256 or MD5
    limit: int = 200


@dataclass(frozen=True)
class QueueRow:
    row: ReportedUrl
    rank: int
    reasons: tuple[str, ...]  # why it ranks where it does, in words


def _rank_parts() -> tuple[Any, Any, Any]:
    from_partner = exists().where(
        and_(ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id,
             Report.source == ReportSource.PARTNER)
    )
    known_match = exists().where(
        and_(Capture.reported_url_id == ReportedUrl.id, MediaItem.capture_id == Capture.id,
             Match.media_item_id == MediaItem.id, Match.hash_list_id.is_not(None))
    )
    category_boost = select(func.max(case(
        *((Report.category_claimed == category, boost) for category, boost in CATEGORY_BOOSTS.items()), else_=0,
    ))).where(ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id).scalar_subquery()
    return (case((known_match, KNOWN_LIST_BOOST), else_=0), case((from_partner, PARTNER_BOOST), else_=0),
            func.coalesce(category_boost, 0))


def queue_rank() -> Any:
    """The column expression every ordering of the queue shares."""
    known, partner, category = _rank_parts()
    return ReportedUrl.priority + known + partner + category


def review_queue(session: Session, wanted: QueueFilter = QueueFilter()) -> list[tuple[ReportedUrl, int]]:
    """URLs waiting for assessment or approval with their rank, highest rank then oldest first."""
    return [(item.row, item.rank) for item in queue_rows(session, wanted)]


def queue_rows(session: Session, wanted: QueueFilter = QueueFilter()) -> list[QueueRow]:
    """The queue with each row's reasons for its rank. A search looks through every state unless a state
    is chosen too (a reference is looked up whatever became of it)."""
    known, partner, category = _rank_parts()
    rank = (ReportedUrl.priority + known + partner + category).label("rank")
    if wanted.state:
        states = [UrlState(wanted.state)]
    else:
        states = list(UrlState) if wanted.search else list(REVIEW_STATES)
    stmt = select(ReportedUrl, rank, known.label("known"), partner.label("partner"), category.label("category")).where(
        ReportedUrl.state.in_(states)).options(
        # What the queue shows of each row, loaded in a few queries instead of a few per row.
        selectinload(ReportedUrl.report_links).selectinload(ReportUrl.report),
        selectinload(ReportedUrl.hostings),
        selectinload(ReportedUrl.proposals),
        selectinload(ReportedUrl.assessments),  # the state in words reads the latest save
        selectinload(ReportedUrl.forwards),
    )
    if wanted.claimed_by is not None:
        stmt = stmt.where(ReportedUrl.claimed_by_id == wanted.claimed_by)
    if wanted.search:
        stmt = stmt.where(_search(wanted.search))
    if wanted.category or wanted.source:
        report_match = [ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id]
        if wanted.category:
            report_match.append(Report.category_claimed == wanted.category)
        if wanted.source:
            report_match.append(Report.source == ReportSource(wanted.source))
        stmt = stmt.where(exists().where(and_(*report_match)))
    if wanted.country:
        latest_country = (
            select(Hosting.country).where(Hosting.reported_url_id == ReportedUrl.id)
            .order_by(Hosting.id.desc()).limit(1).scalar_subquery()
        )
        stmt = stmt.where(latest_country == wanted.country.upper())
    stmt = stmt.order_by(rank.desc(), ReportedUrl.first_reported_at, ReportedUrl.id)
    return [QueueRow(row, int(r), _reasons(row, int(k), int(p), int(c)))
            for row, r, k, p, c in session.execute(stmt.limit(wanted.limit)).all()]


def _reasons(row: ReportedUrl, known: int, partner: int, category: int) -> tuple[str, ...]:
    reasons = []
    if known:
        reasons.append(f"known-list match +{known}")
    if category:
        said = next((c for c in CATEGORY_BOOSTS if CATEGORY_BOOSTS[c] == category), "a category")
        reasons.append(f"reporter says {said.upper() if said == 'csam' else said} +{category}")
    if partner:
        reasons.append(f"partner report +{partner}")
    if row.priority:
        reasons.append(f"set priority {row.priority:+d}")
    return tuple(reasons)


def _search(text: str) -> Any:
    """Reference or partner reference, a sha256 or MD5, or a URL or domain (a part of one)."""
    term = text.strip()
    by_report = exists().where(
        ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id,
        or_(Report.reference == term.upper(), Report.partner_reference == term))
    conditions: list[Any] = [by_report]
    exact = [signal for signal in bytes_signals() if signal.is_valid(term)]  # md5, sha1, sha256: by length
    if exact:
        conditions += [exists().where(
            Capture.reported_url_id == ReportedUrl.id, MediaItem.capture_id == Capture.id,
            Fingerprint.media_item_id == MediaItem.id, Fingerprint.kind == signal.name,
            Fingerprint.value == signal.normalize(term)) for signal in exact]
    else:
        host = term.lower().removeprefix("http://").removeprefix("https://").split("/")[0]
        conditions += [ReportedUrl.url.ilike(f"%{_like(term)}%", escape="\\"), ReportedUrl.host == host,
                       ReportedUrl.host.like(f"%.{_like(host)}", escape="\\")]
    return or_(*conditions)


def _like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class AttachmentsWaiting:
    reference: str
    received_at: Any
    items: int


def attachments_waiting(session: Session, limit: int = 50) -> list[AttachmentsWaiting]:
    """Open reports whose pictures or videos (attachments, without a URL) wait for an assessment, oldest first."""
    stmt = (
        select(Report.reference, Report.received_at, func.count(MediaItem.id))
        .join(Capture, Capture.report_id == Report.id).join(MediaItem, MediaItem.capture_id == Capture.id)
        .where(Report.closed_reason.is_(None), MediaItem.kind.in_(("image", "video")),
               ~exists().where(Assessment.media_item_id == MediaItem.id))
        .group_by(Report.id, Report.reference, Report.received_at)
        .order_by(Report.received_at, Report.id).limit(limit)
    )
    return [AttachmentsWaiting(reference, received, count) for reference, received, count in session.execute(stmt)]
