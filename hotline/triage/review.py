"""Scriptable review: find a URL by reference, and describe queue and results as data (who acts:
hotline.auth's named_user, system_user and api_user).

Shared by `hotline queue|assess|approve` and the triage API. The actions themselves (assess, approve,
four-eyes, claims) and the queue order are hotline.triage.assessment's, the one service the workspace uses
too; this module only finds things and shapes answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import Refused
from hotline.models import Assessment, Forward, ReportedUrl, User
from hotline.triage.assessment import claim_holder
from hotline.triage.queue import REVIEW_STATES, QueueFilter, review_queue
from hotline.triage.views import UnknownReference, find_report


# -- which URL -------------------------------------------------------------------------------------
def resolve_url(session: Session, ref: str, position: int | None = None) -> ReportedUrl:
    """A URL by its id ("12" or "#12", as `hotline queue` shows it) or by report reference.

    A report with several URLs needs `position` (1-based, the order the reporter gave them) unless
    exactly one of them waits for review.
    """
    text = ref.strip()
    if text.lstrip("#").isdigit():
        if position is not None:
            raise Refused("--url chooses among a report's URLs; give a report reference with it, not a URL id")
        row = session.get(ReportedUrl, int(text.lstrip("#")))
        if row is None:
            raise Refused(f"there is no reported URL {text.lstrip('#')}")
        return row
    try:
        report = find_report(session, text)
    except UnknownReference as exc:
        raise Refused(str(exc)) from None
    rows = [link.reported_url for link in report.urls]
    if position is not None:
        if not 1 <= position <= len(rows):
            raise Refused(f"report {report.reference} has {len(rows)} URL(s): --url must be 1 to {len(rows)}")
        return rows[position - 1]
    if len(rows) == 1:
        return rows[0]
    waiting = [row for row in rows if row.state in REVIEW_STATES]
    if len(waiting) == 1:
        return waiting[0]
    raise Refused(f"report {report.reference} has {len(rows)} URLs; choose one with --url 1 to {len(rows)}")


# -- answers as data -------------------------------------------------------------------------------
def queue_items(session: Session, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The review queue in the workspace's order, as plain data."""
    if state is not None and state not in {s.value for s in REVIEW_STATES}:
        allowed = ", ".join(s.value for s in REVIEW_STATES)
        raise Refused(f"unknown queue state {state!r}: use one of {allowed}")
    items = []
    for row, rank in review_queue(session, QueueFilter(state=state, limit=limit)):
        hosting = row.latest_hosting
        holder = claim_holder(row)
        claimed_by = session.get(User, holder) if holder is not None else None
        items.append({
            "id": row.id,
            "url": row.url,
            "state": row.state.value,
            "rank": rank,
            "references": sorted({link.report.reference for link in row.report_links}),
            "sources": sorted({str(link.report.source) for link in row.report_links}),
            "categories": sorted({c for link in row.report_links if (c := link.report.category_claimed)}),
            "country": hosting.country if hosting else None,
            "pending_proposals": sum(1 for p in row.proposals if p.state == "pending"),
            "claimed_by": claimed_by.name if claimed_by else None,
            "reported_at": row.first_reported_at.isoformat(),
        })
    return items


def assessment_view(session: Session, assessment: Assessment) -> dict[str, Any]:
    assessor = session.get(User, assessment.assessor_id) if assessment.assessor_id else None
    return {
        "id": assessment.id,
        "legal": assessment.legal,
        "content_type": assessment.content_type,
        "site_type": assessment.site_type,
        "age_group": assessment.age_group,
        "gender": assessment.gender,
        "notes": assessment.notes,
        "media_item_id": assessment.media_item_id,
        "assessor": assessor.name if assessor else None,
        "policy": assessment.policy,
    }


def forward_view(forward: Forward) -> dict[str, Any]:
    return {"id": forward.id, "destination": forward.destination, "channel": forward.channel,
            "state": forward.state, "proposal_id": forward.proposal_id}


def result_view(
    session: Session, row: ReportedUrl, assessment: Assessment | None = None, forwards: Sequence[Forward] = ()
) -> dict[str, Any]:
    """What an assess or approve did to one URL: its state, the assessment, open proposals, new forwards."""
    session.refresh(row, ["proposals"])
    return {
        "url_id": row.id,
        "url": row.url,
        "state": row.state.value,
        "state_reason": row.state_reason,
        "assessment": assessment_view(session, assessment) if assessment else None,
        "pending_proposals": [
            {"id": p.id, "destination": p.destination, "destination_kind": p.destination_kind,
             "rule": p.rule, "reason": p.reason}
            for p in row.proposals if p.state == "pending"
        ],
        "forwards": [forward_view(f) for f in forwards],
    }


def latest_assessment(session: Session, row: ReportedUrl) -> Assessment | None:
    return session.scalars(
        select(Assessment).where(Assessment.reported_url_id == row.id).order_by(Assessment.id.desc()).limit(1)
    ).first()
