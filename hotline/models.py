"""The data model: one table per thing a hotline keeps, typed with SQLAlchemy 2.

A ReportedUrl is shared by every report that names the same normalised URL, so one capture and one
assessment serve them all. Pipeline stages move a ReportedUrl through `UrlState`.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)

class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite too (which forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}

class UrlState(enum.StrEnum):
    NEW = "new"  # waiting for capture
    CAPTURED = "captured"  # waiting for fingerprints
    FINGERPRINTED = "fingerprinted"  # waiting for hosting location
    LOCATED = "located"  # waiting for rules
    TRIAGED = "triaged"  # proposals made; waiting for an analyst
    ASSESSED = "assessed"  # classified; waiting for approval of proposals
    FORWARDED = "forwarded"  # at least one forward approved; monitored until removed
    REMOVED = "removed"  # content gone
    CLOSED = "closed"  # nothing to forward (not illegal, duplicate, ...)
    REFUSED = "refused"  # the capture guard refused the URL (private address, bad scheme)

ACTIVE_STAGE_STATES = (UrlState.NEW, UrlState.CAPTURED, UrlState.FINGERPRINTED, UrlState.LOCATED)
# A row that failed this many times in one state waits for a person (its state_reason says why).
MAX_STAGE_ATTEMPTS = 5

class ReportSource(enum.StrEnum):
    PUBLIC = "public"  # the web form
    PARTNER = "partner"  # a partner hotline's API call
    CLI = "cli"  # `hotline submit` without --source
    API = "api"
    MAILBOX = "mailbox"  # a message in the hotline's own mailbox (hotline.mailbox)
    DISCOVERY = "discovery"  # found by a discovery crawl around a confirmed URL (Report.origin_report_id)
    # Taken by a member of staff (the workspace's "New report", `hotline submit --source`):
    PHONE = "phone"  # a call, often passed on by a child helpline
    EMAIL = "email"  # a mail sent to a person rather than to the reports mailbox
    LETTER = "letter"
    HELPLINE = "helpline"  # a helpline's own referral (its form, its case system)
    OTHER = "other"


STAFF_SOURCES = (ReportSource.PHONE, ReportSource.EMAIL, ReportSource.LETTER, ReportSource.HELPLINE,
                 ReportSource.OTHER)


class ClosingReason(enum.StrEnum):
    """Why a report was closed as not valid: it leaves the queue and the statistics count it."""

    NO_URL = "no-url"  # nothing to look at: no address and no picture or video
    OUT_OF_SCOPE = "out-of-scope"  # not the hotline's matter (fraud, bullying, spam, ...)
    DUPLICATE = "duplicate"  # the same addresses were reported a short while before
    NOT_ILLEGAL = "not-illegal"  # looked at: legal (the not-illegal assessment)
    UNREACHABLE = "unreachable"  # the address cannot be fetched (private, gone, refused)

class Report(Base):
    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("partner_id", "idempotency_key", name="uq_report_idempotency"),
        # The constraint above never holds where partner_id is NULL (NULLs never collide): the public
        # form's double-submit key and the workspace's are unique by this partial index instead.
        Index("uq_report_idempotency_own", "idempotency_key", unique=True,
              sqlite_where=text("partner_id IS NULL"), postgresql_where=text("partner_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[ReportSource] = mapped_column(Enum(ReportSource, native_enum=False, length=16))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    partner_reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    category_claimed: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    reporter_contact: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(8))
    # Hash of the per-report secret shown once to the reporter for the status page.
    status_secret_hash: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Legal hold (hotline.evidence.legal_hold): a supervisor keeps the report's evidence from any purge.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    legal_hold_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", name="fk_report_legal_hold_by_id_user"))
    legal_hold_at: Mapped[datetime | None] = mapped_column()
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    # Staff intake: who took the report down, and the organisation it came through (e.g. a helpline).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", name="fk_report_recorded_by_id_user"))
    via: Mapped[str | None] = mapped_column(String(200))
    # Closed as not valid (a ClosingReason value); closed_by_id is NULL when intake closed it itself.
    closed_reason: Mapped[str | None] = mapped_column(String(32), index=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", name="fk_report_closed_by_id_user"))
    close_note: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("report.id", name="fk_report_duplicate_of_id_report"))
    # A discovery report (source "discovery"): the report whose confirmed URL the crawl started from.
    origin_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("report.id", name="fk_report_origin_report_id_report"), index=True)

    urls: Mapped[list[ReportUrl]] = relationship(back_populates="report", order_by="ReportUrl.position")
    # Pictures and videos that came with the report itself (a mail's attachments): captures without a URL.
    attachments: Mapped[list[Capture]] = relationship(
        back_populates="report", order_by="Capture.id", foreign_keys="Capture.report_id"
    )
    duplicate_of: Mapped[Report | None] = relationship(remote_side="Report.id", foreign_keys=[duplicate_of_id])
    origin_report: Mapped[Report | None] = relationship(remote_side="Report.id", foreign_keys=[origin_report_id])

class ReportUrl(Base):
    """A report names a URL: the link between Report and the shared ReportedUrl."""

    __tablename__ = "report_url"
    __table_args__ = (UniqueConstraint("report_id", "reported_url_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    reported_url_id: Mapped[int] = mapped_column(ForeignKey("reported_url.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    submitted_url: Mapped[str] = mapped_column(Text)  # as the reporter typed it
    referer: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship(back_populates="urls")
    reported_url: Mapped[ReportedUrl] = relationship(back_populates="report_links")

class ReportedUrl(Base):
    __tablename__ = "reported_url"
    __table_args__ = (Index("ix_reported_url_state_priority", "state", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[UrlState] = mapped_column(
        Enum(UrlState, native_enum=False, length=16), default=UrlState.NEW
    )
    state_reason: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(default=0)
    referer: Mapped[str | None] = mapped_column(Text)
    first_reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Leases let several workers share the table without taking the same row twice.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    stage_attempts: Mapped[int] = mapped_column(default=0)
    # Analyst claim on the review queue.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column()
    removed_at: Mapped[datetime | None] = mapped_column()
    first_forwarded_at: Mapped[datetime | None] = mapped_column()

    report_links: Mapped[list[ReportUrl]] = relationship(back_populates="reported_url")
    captures: Mapped[list[Capture]] = relationship(
        back_populates="reported_url", order_by="Capture.id", foreign_keys="Capture.reported_url_id"
    )
    hostings: Mapped[list[Hosting]] = relationship(back_populates="reported_url", order_by="Hosting.id")
    proposals: Mapped[list[Proposal]] = relationship(back_populates="reported_url", order_by="Proposal.id")
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="reported_url", order_by="Assessment.id"
    )
    forwards: Mapped[list[Forward]] = relationship(back_populates="reported_url", order_by="Forward.id")
    checks: Mapped[list[TakedownCheck]] = relationship(
        back_populates="reported_url", order_by="TakedownCheck.id"
    )

    def held_by(self, token: str, state: UrlState) -> bool:
        """Whether a stage's lease `token` still holds this row in `state` (else someone else finished it)."""
        return self.lease_owner == token and self.state == state

    def advance(self, new_state: UrlState, reason: str | None = None) -> None:
        """Move the row on and release its lease (in the caller's transaction)."""
        self.state = new_state
        self.state_reason = reason
        self.lease_owner = None
        self.lease_until = None
        self.stage_attempts = 0
        self.updated_at = utcnow()

    @property
    def latest_capture(self) -> Capture | None:
        """The newest capture made for the report (takedown re-checks are not the evidence analysts see)."""
        report_captures = [c for c in self.captures if c.purpose != "monitor"]
        return report_captures[-1] if report_captures else None

    @property
    def latest_hosting(self) -> Hosting | None:
        return self.hostings[-1] if self.hostings else None

class Capture(Base):
    """What was fetched from a reported URL, or (purpose "attachment") the media a report brought itself."""

    __tablename__ = "capture"
    __table_args__ = (
        CheckConstraint("(reported_url_id IS NULL) <> (report_id IS NULL)", name="ck_capture_url_or_report"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reported_url_id: Mapped[int | None] = mapped_column(ForeignKey("reported_url.id"), index=True)
    # Set instead of reported_url_id for an attachment capture (media without a URL).
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", name="fk_capture_report_id_report"),
                                                  index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="report")  # report | recapture | monitor | attachment
    outcome: Mapped[str] = mapped_column(String(16))  # ok | http-error | refused | failed
    engine: Mapped[str] = mapped_column(String(16), default="scrapy", server_default="scrapy")  # scrapy | browser
    # A browser capture's full-page screenshot: a resource record in the capture's WARC.
    screenshot_sha256: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column()
    content_type: Mapped[str | None] = mapped_column(String(200))
    hops: Mapped[list[Any]] = mapped_column(JSON, default=list)
    tls: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warc_path: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # Set when retention deleted the evidence files (warc_path and the media's blobs are then cleared).
    purged_at: Mapped[datetime | None] = mapped_column()

    reported_url: Mapped[ReportedUrl | None] = relationship(back_populates="captures",
                                                            foreign_keys=[reported_url_id])
    report: Mapped[Report | None] = relationship(back_populates="attachments", foreign_keys=[report_id])
    media: Mapped[list[MediaItem]] = relationship(back_populates="capture", order_by="MediaItem.id")

class MediaItem(Base):
    __tablename__ = "media_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # page | image | video | other
    status: Mapped[int | None] = mapped_column()
    content_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    reason: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    blob: Mapped[str | None] = mapped_column(String(64))  # key in the encrypted blob store
    fingerprinted_at: Mapped[datetime | None] = mapped_column()
    fingerprint_note: Mapped[str | None] = mapped_column(Text)

    capture: Mapped[Capture] = relationship(back_populates="media")
    fingerprints: Mapped[list[Fingerprint]] = relationship(
        back_populates="media_item", order_by="Fingerprint.id"
    )
    matches: Mapped[list[Match]] = relationship(
        back_populates="media_item", foreign_keys="Match.media_item_id", order_by="Match.id"
    )

class Fingerprint(Base):
    __tablename__ = "fingerprint"
    __table_args__ = (
        UniqueConstraint("media_item_id", "kind", "frame"),
        Index("ix_fingerprint_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    media_item_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # md5 | sha1 | sha256 | phash | dhash | pdq
    value: Mapped[str] = mapped_column(String(128))
    frame: Mapped[int] = mapped_column(default=-1)  # -1: the item itself; n: frame n of an animation/video
    quality: Mapped[int | None] = mapped_column()
    usable: Mapped[bool] = mapped_column(Boolean, default=True)

    media_item: Mapped[MediaItem] = relationship(back_populates="fingerprints")

class HashList(Base):
    __tablename__ = "hash_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    verdict: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(200))
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    # How many analysts (here or at the source) confirmed the list's entries; used by auto-forward policies.
    confirmations: Mapped[int] = mapped_column(default=0)
    entry_count: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[HashListEntry]] = relationship(
        back_populates="hash_list", cascade="all, delete-orphan", passive_deletes=True
    )

class HashListEntry(Base):
    __tablename__ = "hash_list_entry"
    __table_args__ = (Index("ix_hash_list_entry_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hash_list_id: Mapped[int] = mapped_column(ForeignKey("hash_list.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(200))

    hash_list: Mapped[HashList] = relationship(back_populates="entries")

class Match(Base):
    """A media item's hash matched a hash-list entry or an item analysts already assessed."""

    __tablename__ = "match"

    id: Mapped[int] = mapped_column(primary_key=True)
    media_item_id: Mapped[int] = mapped_column(ForeignKey("media_item.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(default=0)
    hash_list_id: Mapped[int | None] = mapped_column(ForeignKey("hash_list.id", ondelete="CASCADE"))
    hash_list_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("hash_list_entry.id", ondelete="CASCADE")
    )
    matched_media_item_id: Mapped[int | None] = mapped_column(ForeignKey("media_item.id"))
    verdict: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    media_item: Mapped[MediaItem] = relationship(back_populates="matches", foreign_keys=[media_item_id])
    hash_list: Mapped[HashList | None] = relationship()

class Hosting(Base):
    __tablename__ = "hosting"

    id: Mapped[int] = mapped_column(primary_key=True)
    reported_url_id: Mapped[int] = mapped_column(ForeignKey("reported_url.id"), index=True)
    located_at: Mapped[datetime] = mapped_column(default=utcnow)
    host: Mapped[str | None] = mapped_column(String(255))
    registrable_domain: Mapped[str | None] = mapped_column(String(255), index=True)
    ips: Mapped[list[Any]] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(8), index=True)
    country_status: Mapped[str] = mapped_column(String(32), default="unknown")
    asn: Mapped[int | None] = mapped_column()
    provider: Mapped[str | None] = mapped_column(String(300))
    network_name: Mapped[str | None] = mapped_column(String(300))
    cidr: Mapped[str | None] = mapped_column(String(64))
    abuse_email: Mapped[str | None] = mapped_column(String(320))
    behind_cdn: Mapped[bool] = mapped_column(Boolean, default=False)
    cdn_name: Mapped[str | None] = mapped_column(String(100))
    platform: Mapped[str | None] = mapped_column(String(100))
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    reported_url: Mapped[ReportedUrl] = relationship(back_populates="hostings")

class Assessment(Base):
    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for an attachment's assessment (media_item_id then names it): it has no URL.
    reported_url_id: Mapped[int | None] = mapped_column(ForeignKey("reported_url.id"), index=True)
    media_item_id: Mapped[int | None] = mapped_column(ForeignKey("media_item.id"))
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    policy: Mapped[str | None] = mapped_column(String(100))  # set when an auto-forward policy decided
    legal: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str | None] = mapped_column(String(32))
    site_type: Mapped[str | None] = mapped_column(String(32))
    age_group: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # four-eyes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reported_url: Mapped[ReportedUrl | None] = relationship(back_populates="assessments")

class Proposal(Base):
    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    reported_url_id: Mapped[int] = mapped_column(ForeignKey("reported_url.id"), index=True)
    destination: Mapped[str] = mapped_column(String(100))
    destination_kind: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))  # partner-api | email | ...; None: unknown yet
    address: Mapped[str | None] = mapped_column(Text)  # endpoint or e-mail; None: an analyst must supply it
    condition: Mapped[str | None] = mapped_column(String(100))  # e.g. "after police clearance"
    not_before: Mapped[datetime | None] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected|superseded
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column()

    reported_url: Mapped[ReportedUrl] = relationship(back_populates="proposals")

class Forward(Base):
    """An outbox row: written with the approval, sent by the delivery worker exactly once."""

    __tablename__ = "forward"
    __table_args__ = (Index("ix_forward_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reported_url_id: Mapped[int] = mapped_column(ForeignKey("reported_url.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    destination: Mapped[str] = mapped_column(String(100))
    destination_kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))  # a key of hotline.outbox.channels.CHANNELS
    address: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|sending|delivered|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    receipt: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    escalation_of_id: Mapped[int | None] = mapped_column(ForeignKey("forward.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()

    reported_url: Mapped[ReportedUrl] = relationship(back_populates="forwards")

class TakedownCheck(Base):
    __tablename__ = "takedown_check"
    __table_args__ = (Index("ix_takedown_due", "checked_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reported_url_id: Mapped[int] = mapped_column(ForeignKey("reported_url.id"), index=True)
    due_at: Mapped[datetime] = mapped_column()
    checked_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))  # present | removed | replaced | error
    detail: Mapped[str | None] = mapped_column(Text)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))

    reported_url: Mapped[ReportedUrl] = relationship(back_populates="checks")

class DiscoveryJob(Base):
    """A bounded crawl around one confirmed URL (hotline.pipeline.discovery): same registrable domain,
    breadth-first, within its limits; its frontier and pages are rows, so a killed worker's crawl resumes."""

    __tablename__ = "discovery_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    reported_url_id: Mapped[int] = mapped_column(
        ForeignKey("reported_url.id", name="fk_discovery_job_reported_url_id_reported_url"), index=True)
    origin_report_id: Mapped[int] = mapped_column(
        ForeignKey("report.id", name="fk_discovery_job_origin_report_id_report"))
    # The discovery report the matched pages went into (created with the first match).
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", name="fk_discovery_job_report_id_report"))
    seed_url: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(255))  # the registrable domain pages are crawled in
    trigger: Mapped[str] = mapped_column(String(120))  # rule:<id> | policy:<id> | manual
    requested_by: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # queued | done | cancelled
    stop_reason: Mapped[str | None] = mapped_column(Text)
    max_depth: Mapped[int] = mapped_column(default=2)
    max_pages: Mapped[int] = mapped_column(default=200)
    max_bytes: Mapped[int] = mapped_column(BigInteger, default=500_000_000)
    max_seconds: Mapped[float] = mapped_column(default=1800.0)
    per_host_rate: Mapped[float] = mapped_column(default=1.0)  # requests per second to any one host
    pages: Mapped[int] = mapped_column(default=0)  # pages fetched
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)  # crawl time used, over every run
    matched: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    # When the last round's capture process ended: the next one, on any host, starts an interval later.
    round_ended_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    reported_url: Mapped[ReportedUrl] = relationship()


class DiscoveryFrontier(Base):
    """A URL a discovery job has still to fetch, or has fetched (state), at its link depth from the seed."""

    __tablename__ = "discovery_frontier"
    __table_args__ = (
        UniqueConstraint("job_id", "url", name="uq_discovery_frontier_job_url"),
        Index("ix_discovery_frontier_next", "job_id", "state", "depth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_job.id", name="fk_discovery_frontier_job_id_discovery_job", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(default=0)
    referer: Mapped[str | None] = mapped_column(Text)  # the page that linked here
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | fetched


class CrawlRecord(Base):
    """One page a discovery job fetched: URL, status and the hashes of the page and its media.

    Pages without matches are kept only for the retention period (with their sealed evidence); a matched
    page names the ReportedUrl it became and why."""

    __tablename__ = "crawl_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_job.id", name="fk_crawl_record_job_id_discovery_job", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | http-error | refused | failed
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column()
    page_sha256: Mapped[str | None] = mapped_column(String(64))
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{url, kind, status, hashes: {kind: value}}]
    warc_path: Mapped[str | None] = mapped_column(Text)
    blobs: Mapped[list[Any]] = mapped_column(JSON, default=list)  # blob keys of the media sealed for this page
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    matched: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # why it matched, one line each
    reported_url_id: Mapped[int | None] = mapped_column(
        ForeignKey("reported_url.id", name="fk_crawl_record_reported_url_id_reported_url"))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MailboxMessage(Base):
    """A message taken from the hotline's mailbox, stored in its report's own commit: the unique keys
    make a message that is seen again (not moved away after a crash, or sent twice) no second report."""

    __tablename__ = "mailbox_message"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mailbox_message_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), unique=True)
    mailbox: Mapped[str] = mapped_column(String(300))  # user@host:port/FOLDER, without the password
    uidvalidity: Mapped[int] = mapped_column(BigInteger)  # IMAP numbers are unsigned 32-bit
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Append-only; each event holds the hash of the previous one so edits and deletions show."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # analyst | supervisor | admin | system
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Sealed by hotline.vault (bound to this user's id): a copy of the database does not give the seed away.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    # The newest time step a code was accepted for, in any process: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column()
    session_version: Mapped[int] = mapped_column(default=0)  # bumped by "log out everywhere"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The workspace as this person wants it: {"language": "ro", "reveal_on_open": true}; None: defaults.
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class UserSession(Base):
    """A workspace login, server-side: the cookie carries only its random id, which is stored hashed.

    Logging out, a password change and deactivation revoke it; it ends by itself when idle too long or
    at its absolute expiry (hotline.auth.sessions)."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    client: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_why: Mapped[str | None] = mapped_column(String(64))


class UserToken(Base):
    """A personal API token (`hotline user token issue`): lets a script act as its user, stored hashed."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class LoginThrottle(Base):
    """Failed logins per key (account and client, or account alone), shared by every process."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    wait_until: Mapped[datetime] = mapped_column(default=utcnow)


class SealedSecret(Base):
    """A key the product keeps (the audit chain's HMAC key, the key of sealed columns), sealed by the
    master key (hotline.vault): the database never holds it in the clear."""

    __tablename__ = "sealed_secret"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

class Partner(Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str | None] = mapped_column(String(8))
    key_id: Mapped[str] = mapped_column(String(100), unique=True)
    api_key_hash: Mapped[str | None] = mapped_column(String(200))
    # HMAC secret for signed payloads; both sides must know it, so it cannot be a one-way hash: it is sealed
    # by hotline.vault instead, like the outbound secret and API key below.
    signing_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    endpoint: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # What the partner issued to us, for forwarding to them (the signing secret above is shared both ways).
    outbound_key_id: Mapped[str | None] = mapped_column(String(100))
    outbound_api_key: Mapped[str | None] = mapped_column(Text)
    outbound_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    share_media: Mapped[bool] = mapped_column(Boolean, default=False)  # per the partner agreement
    directory_id: Mapped[str | None] = mapped_column(String(100))  # the rules directory entry it serves
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

class RdapCacheEntry(Base):
    __tablename__ = "rdap_cache"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()

class Setting(Base):
    """Runtime switches an admin flips in the workspace (e.g. pause auto-forward policies)."""

    __tablename__ = "runtime_setting"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

def put_setting(session: Any, name: str, value: dict[str, Any]) -> None:
    """Set a runtime switch (the Setting row `name`), creating it the first time, in the caller's transaction."""
    row = session.get(Setting, name)
    if row is None:
        session.add(Setting(name=name, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()


__all__ = [
    "ACTIVE_STAGE_STATES",
    "MAX_STAGE_ATTEMPTS",
    "STAFF_SOURCES",
    "Assessment",
    "AuditEvent",
    "Base",
    "Capture",
    "ClosingReason",
    "CrawlRecord",
    "DiscoveryFrontier",
    "DiscoveryJob",
    "Fingerprint",
    "Forward",
    "HashList",
    "HashListEntry",
    "Hosting",
    "LoginThrottle",
    "MailboxMessage",
    "Match",
    "MediaItem",
    "Partner",
    "Proposal",
    "RdapCacheEntry",
    "Report",
    "ReportSource",
    "ReportUrl",
    "ReportedUrl",
    "SealedSecret",
    "Setting",
    "TakedownCheck",
    "UrlState",
    "User",
    "UserSession",
    "UserToken",
    "put_setting",
    "utcnow",
]
