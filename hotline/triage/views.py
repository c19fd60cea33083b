"""Read models: a report as plain data, the same for `hotline show --json`, the workspace and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fingerprints import SIGNAL_TYPES
from hotline.models import Capture, Hosting, Report, ReportedUrl, User


class UnknownReference(LookupError):
    pass


def find_report(session: Session, reference: str) -> Report:
    report = session.scalar(select(Report).where(Report.reference == reference.strip().upper()))
    if report is None:
        raise UnknownReference(f"no report with reference {reference!r}")
    return report


def report_view(session: Session, report: Report) -> dict[str, Any]:
    from hotline.evidence.legal_hold import hold_view

    names = {report.recorded_by_id, report.closed_by_id} - {None}
    users = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(names)))} if names else {}
    return {
        "reference": report.reference,
        "source": str(report.source),
        "via": report.via,
        "recorded_by": users.get(report.recorded_by_id) if report.recorded_by_id else None,
        "received_at": report.received_at.isoformat(),
        "category": report.category_claimed,
        "partner_reference": report.partner_reference,
        # A discovery report: the report whose confirmed URL the crawl that found these started from.
        "found_from": report.origin_report.reference if report.origin_report is not None else None,
        "legal_hold": hold_view(session, report),
        "closed": closed_view(report, users),
        "urls": [url_view(session, link.reported_url) | {"submitted": link.submitted_url}
                 for link in report.urls],
        # Pictures and videos the report brought without a URL (a mail's attachments).
        "attachments": [media_view(media) for capture in report.attachments for media in capture.media],
    }


def closed_view(report: Report, names: dict[int, str] | None = None) -> dict[str, Any] | None:
    """How a report was closed as not valid, as plain data (None while it is open)."""
    if report.closed_reason is None:
        return None
    return {
        "reason": report.closed_reason,
        "at": report.closed_at.isoformat() if report.closed_at else None,
        "by": (names or {}).get(report.closed_by_id) if report.closed_by_id else None,
        "note": report.close_note,
        "duplicate_of": report.duplicate_of.reference if report.duplicate_of else None,
    }


def url_view(session: Session, row: ReportedUrl) -> dict[str, Any]:
    capture = row.latest_capture
    hosting = row.latest_hosting
    return {
        "id": row.id,
        "url": row.url,
        "state": str(row.state),
        "state_reason": row.state_reason,
        "capture": capture_view(capture) if capture else None,
        "media": [media_view(m) for m in capture.media] if capture else [],
        "hosting": hosting_view(hosting) if hosting else None,
        "assessments": [
            {
                "legal": a.legal,
                "content_type": a.content_type,
                "site_type": a.site_type,
                "age_group": a.age_group,
                "gender": a.gender,
                "notes": a.notes,
                "assessor_id": a.assessor_id,
                "policy": a.policy,
                "created_at": a.created_at.isoformat(),
            }
            for a in row.assessments
        ],
        "proposals": [
            {
                "id": p.id,
                "destination": p.destination,
                "destination_kind": p.destination_kind,
                "rule": p.rule,
                "reason": p.reason,
                "condition": p.condition,
                "state": p.state,
            }
            for p in row.proposals
            if p.state != "superseded"
        ],
        "forwards": [
            {
                "id": f.id,
                "destination": f.destination,
                "channel": f.channel,
                "state": f.state,
                "attempts": f.attempts,
                "last_error": f.last_error,
                "receipt": f.receipt,
                "created_at": f.created_at.isoformat(),
                "delivered_at": f.delivered_at.isoformat() if f.delivered_at else None,
            }
            for f in row.forwards
        ],
        "checks": [
            {"due_at": c.due_at.isoformat(), "checked_at": c.checked_at.isoformat() if c.checked_at else None,
             "outcome": c.outcome, "detail": c.detail}
            for c in row.checks
        ],
    }


def capture_view(capture: Capture) -> dict[str, Any]:
    return {
        "id": capture.id,
        "engine": capture.engine,
        "outcome": capture.outcome,
        "reason": capture.reason,
        "status": capture.status,
        "final_url": capture.final_url,
        "content_type": capture.content_type,
        "hops": capture.hops,
        "tls": capture.tls,
        "warc": capture.warc_path,
        **({"screenshot": {"sha256": capture.screenshot_sha256}} if capture.screenshot_sha256 else {}),
        "purged_at": capture.purged_at.isoformat() if capture.purged_at else None,
        "started_at": capture.started_at.isoformat(),
        "finished_at": capture.finished_at.isoformat() if capture.finished_at else None,
    }


def media_view(media: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": media.id,
        "url": media.url,
        "kind": media.kind,
        "status": media.status,
        "content_type": media.content_type,
        "size": media.size,
        "outcome": media.outcome,
        "reason": media.reason,
        "sha256": media.sha256,
        "note": media.fingerprint_note,
    }
    # Every hash kind has its key (None until hashed); kinds that rate their hashes also have a quality.
    for signal in SIGNAL_TYPES.values():
        view.setdefault(signal.name, None)
        if signal.min_quality is not None:
            view[f"{signal.name}_quality"] = None
    for fp in media.fingerprints:
        if fp.frame == -1:
            view[fp.kind] = fp.value
            if fp.quality is not None:
                view[f"{fp.kind}_quality"] = fp.quality
    view["matches"] = [
        {
            "kind": m.kind,
            "distance": m.distance,
            "list": m.hash_list.name if m.hash_list else None,
            "verdict": m.verdict,
            "matched_media_item_id": m.matched_media_item_id,
        }
        for m in media.matches
    ]
    return view


def hosting_view(hosting: Hosting) -> dict[str, Any]:
    return {
        "ips": hosting.ips,
        "country": hosting.country,
        "country_status": hosting.country_status,
        "asn": hosting.asn,
        "provider": hosting.provider,
        "network_name": hosting.network_name,
        "cidr": hosting.cidr,
        "abuse_email": hosting.abuse_email,
        "registrable_domain": hosting.registrable_domain,
        "behind_cdn": hosting.behind_cdn,
        "cdn": hosting.cdn_name,
        "platform": hosting.platform,
        "sources": hosting.sources,
        "located_at": hosting.located_at.isoformat(),
    }
