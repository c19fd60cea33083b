"""Discovery jobs: who may start one, for which URL, with which limits; the pause switch; the trigger.

A job is started on demand (`hotline discover`, the workspace) or by the trigger (`queue_confirmed`) for a
confirmed URL (assessed baseline or national, or matched on a trusted hash list) whose routing rule or
auto-forward policy says `discover = true`. Nothing runs unless the deployment turns discovery on
(HOTLINE_DISCOVERY_ENABLED); supervisors pause every crawl with one switch. Every start is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import has_role
from hotline.errors import Refused
from hotline.models import (
    Assessment,
    Capture,
    DiscoveryFrontier,
    DiscoveryJob,
    HashList,
    Match,
    MediaItem,
    Proposal,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    Setting,
    User,
    put_setting,
)

if TYPE_CHECKING:
    from hotline.app import Hotline

QUEUED, DONE, CANCELLED = "queued", "done", "cancelled"
PAUSED_SETTING = "discovery_paused"
ILLEGAL = ("baseline", "national")  # LegalAssessment values that confirm a URL


class DiscoveryOff(Refused):
    """The deployment has discovery turned off."""


@dataclass(frozen=True)
class Limits:
    depth: int
    pages: int
    bytes: int
    seconds: float
    per_host_rate: float


def default_limits(app: Hotline) -> Limits:
    s = app.settings
    return Limits(s.discovery_max_depth, s.discovery_max_pages, s.discovery_max_bytes, s.discovery_max_seconds,
                  s.discovery_per_host_rate)


def require_enabled(app: Hotline) -> None:
    if not app.settings.discovery_enabled:
        raise DiscoveryOff("discovery is off in this deployment: set HOTLINE_DISCOVERY_ENABLED=true to allow crawls")


def discovery_paused(session: Session) -> bool:
    setting = session.get(Setting, PAUSED_SETTING)
    return bool(setting and setting.value.get("paused"))


def set_discovery_paused(session: Session, actor: User, paused: bool) -> None:
    """The supervisors' switch: paused, no crawl fetches anything (jobs keep their frontier and go on after)."""
    if not has_role(actor, "supervisor"):
        raise Refused("only a supervisor can pause or resume discovery")
    put_setting(session, PAUSED_SETTING, {"paused": paused})
    audit.record(session, actor.name, "setting.discovery_paused", "setting", PAUSED_SETTING, paused=paused)


def registrable(app: Hotline, url: str) -> str:
    """The registrable domain a crawl from `url` stays in (tldextract's bundled list, never the network)."""
    from urllib.parse import urlsplit

    from hotline.locate.domains import registrable_domain

    host = urlsplit(url).hostname or ""
    parts = registrable_domain(host)
    if parts.registrable is None:
        raise Refused(f"{host or url!r} has no registrable domain to stay in (an address or a bare suffix)")
    return parts.registrable


def start_job(app: Hotline, session: Session, url_id: int, *, actor: str, trigger: str = "manual",
              limits: Limits | None = None) -> DiscoveryJob:
    """Queue a crawl from one reported URL, in the caller's transaction; audited."""
    require_enabled(app)
    row = session.get(ReportedUrl, url_id)
    if row is None:
        raise LookupError(f"no reported URL with id {url_id}")
    origin = _origin_report(session, url_id)
    if origin is None:
        raise Refused(f"URL {url_id} is named by no report")
    running = session.scalar(select(DiscoveryJob.id).where(DiscoveryJob.reported_url_id == url_id,
                                                           DiscoveryJob.state == QUEUED))
    if running is not None:
        raise Refused(f"a crawl from this URL is already queued (job {running})")
    chosen = limits or default_limits(app)
    job = DiscoveryJob(reported_url_id=url_id, origin_report_id=origin, seed_url=row.url,
                       domain=registrable(app, row.url), trigger=trigger, requested_by=actor, state=QUEUED,
                       max_depth=chosen.depth, max_pages=chosen.pages, max_bytes=chosen.bytes,
                       max_seconds=chosen.seconds, per_host_rate=chosen.per_host_rate, pages=0, bytes=0, seconds=0.0,
                       matched=0)
    session.add(job)
    session.flush()
    session.add(DiscoveryFrontier(job_id=job.id, url=row.url, depth=0, state="pending"))
    audit.record(session, actor, "discovery.start", "discovery_job", job.id, reported_url_id=url_id,
                 seed=row.url, domain=job.domain, trigger=trigger, depth=chosen.depth, pages=chosen.pages,
                 bytes=chosen.bytes, seconds=chosen.seconds, per_host_rate=chosen.per_host_rate)
    return job


def cancel_job(session: Session, job_id: int, actor: User) -> DiscoveryJob:
    if not has_role(actor, "supervisor"):
        raise Refused("only a supervisor can stop a crawl")
    job = session.get(DiscoveryJob, job_id)
    if job is None:
        raise LookupError(f"no discovery job {job_id}")
    if job.state == QUEUED:
        from hotline.models import utcnow

        job.state, job.stop_reason, job.finished_at = CANCELLED, f"stopped by {actor.name}", utcnow()
        audit.record(session, actor.name, "discovery.cancel", "discovery_job", job.id)
    return job


def _origin_report(session: Session, url_id: int) -> int | None:
    """The first report naming the URL that is not itself a discovery report (else the first one)."""
    rows = session.execute(select(Report.id, Report.source).join(ReportUrl, ReportUrl.report_id == Report.id)
                           .where(ReportUrl.reported_url_id == url_id).order_by(Report.id)).all()
    own = [report_id for report_id, source in rows if source != ReportSource.DISCOVERY]
    chosen = own or [report_id for report_id, _ in rows]
    return chosen[0] if chosen else None


# -- the trigger ---------------------------------------------------------------------------------------
TRIGGER_BATCH = 20


def confirmed(url_id_column: Any = ReportedUrl.id) -> ColumnElement[bool]:
    """SQL: the URL is assessed baseline or national, or its media matched a trusted hash list."""
    assessed = exists().where(Assessment.reported_url_id == url_id_column, Assessment.legal.in_(ILLEGAL))
    trusted = (exists().where(Capture.reported_url_id == url_id_column, MediaItem.capture_id == Capture.id,
                              Match.media_item_id == MediaItem.id, Match.hash_list_id == HashList.id,
                              HashList.trusted))
    return assessed | trusted


def queue_confirmed(app: Hotline) -> int:
    """Start a crawl for each confirmed URL (not found by discovery itself) whose rule or policy says
    `discover = true` and that has had none yet; how many were started."""
    if not app.settings.discovery_enabled:
        return 0
    rules = {rule.id for rule in app.ruleset.rule if rule.discover}
    policies = {policy.id for policy in app.ruleset.policy if policy.discover}
    if not rules and not policies:
        return 0
    by_rule = exists().where(Proposal.reported_url_id == ReportedUrl.id, Proposal.rule.in_(rules))
    by_policy = exists().where(Assessment.reported_url_id == ReportedUrl.id, Assessment.policy.in_(policies))
    crawled = exists().where(DiscoveryJob.reported_url_id == ReportedUrl.id)
    reported_by_people = exists().where(ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id,
                                        Report.source != ReportSource.DISCOVERY)
    started = 0
    with app.db.session() as session:
        if discovery_paused(session):
            return 0
        candidates = session.scalars(
            select(ReportedUrl.id).where(by_rule | by_policy, confirmed(), ~crawled, reported_by_people)
            .order_by(ReportedUrl.id).limit(TRIGGER_BATCH)
        ).all()
        for url_id in candidates:
            trigger = _trigger_of(session, url_id, rules, policies)
            try:
                with session.begin_nested():
                    start_job(app, session, url_id, actor="system", trigger=trigger)
                started += 1
            except Refused as exc:
                # Kept as a job that never ran (e.g. an address has no registrable domain to stay in), so the
                # trigger does not try the URL again every time; the reason shows in `hotline discover ls`.
                _record_refusal(session, url_id, trigger, str(exc))
    return started


def _record_refusal(session: Session, url_id: int, trigger: str, why: str) -> None:
    from hotline.models import utcnow

    row = session.get(ReportedUrl, url_id)
    origin = _origin_report(session, url_id)
    if row is None or origin is None:
        return
    job = DiscoveryJob(reported_url_id=url_id, origin_report_id=origin, seed_url=row.url, domain="", trigger=trigger,
                       requested_by="system", state=CANCELLED, stop_reason=f"not started: {why}", pages=0, bytes=0,
                       seconds=0.0, matched=0, finished_at=utcnow())
    session.add(job)
    session.flush()
    audit.record(session, "system", "discovery.skip", "discovery_job", job.id, reported_url_id=url_id, why=why)


def _trigger_of(session: Session, url_id: int, rules: set[str], policies: set[str]) -> str:
    policy = session.scalar(select(Assessment.policy).where(Assessment.reported_url_id == url_id,
                                                            Assessment.policy.in_(policies)))
    if policy:
        return f"policy:{policy}"
    rule = session.scalar(select(Proposal.rule).where(Proposal.reported_url_id == url_id, Proposal.rule.in_(rules)))
    return f"rule:{rule}"
