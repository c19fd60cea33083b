"""Triage stage: turn what is known about a URL into forwarding proposals, each with rule and reason.

Before an analyst has assessed a URL, the reporter's category stands in as a provisional classification
so the queue already shows where the item would go; the reason says so. An assessment replaces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Assessment, HashList, Match, MediaItem, Proposal, ReportedUrl, UrlState, utcnow
from hotline.pipeline.lease import advance, holds
from hotline.views import latest_capture, latest_hosting

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.rules import Classification, Evaluation, Facts, HostingFacts

# What a reporter's category suggests until an analyst decides.
PROVISIONAL_LEGAL = {
    "csam": "baseline",
    "grooming": "national",
    "adult-minors": "adult-minors",
}
PROVISIONAL_PREFIX = "Provisional until an analyst confirms the reporter's category: "


def triage_stage(app: Hotline, token: str, ids: list[int]) -> None:
    for url_id in ids:
        with app.db.session() as session:
            row = session.get(ReportedUrl, url_id)
            if row is None or not holds(row, token, UrlState.LOCATED):
                continue
            propose(app, session, row)
            advance(row, UrlState.TRIAGED)


def propose(app: Hotline, session: Session, row: ReportedUrl) -> Evaluation:
    """Replace the row's pending proposals with what the rules say now (in the caller's transaction)."""
    from hotline.rules import evaluate

    facts, provisional = build_facts(app, session, row)
    evaluation = evaluate(facts, app.ruleset, app.directory)
    for old in row.proposals:
        if old.state == "pending":
            old.state = "superseded"
    now = utcnow()
    for out in evaluation.proposals:
        reason = PROVISIONAL_PREFIX + out.reason if provisional else out.reason
        row.proposals.append(
            Proposal(
                destination=out.destination_id,
                destination_kind=str(out.destination_kind),
                rule=out.rule_id,
                reason=reason,
                channel=str(out.channel) if out.channel else None,
                address=out.endpoint,
                condition=out.hold,
                not_before=now + out.not_before if out.not_before else None,
            )
        )
    if not evaluation.proposals:
        row.state_reason = evaluation.no_forward_reason
    session.flush()
    return evaluation


POLICIES_PAUSED = "auto_forward_paused"


def policies_paused(session: Session) -> bool:
    """The supervisors' one switch that stops every auto-forward policy."""
    from hotline.models import Setting

    setting = session.get(Setting, POLICIES_PAUSED)
    return bool(setting and setting.value.get("paused"))


def build_facts(app: Hotline, session: Session, row: ReportedUrl) -> tuple[Facts, bool]:
    """The rules' view of one URL; the flag says whether the classification is only provisional."""
    from hotline.rules import Facts

    classification, provisional = _classification(session, row)
    capture = latest_capture(row)
    return (
        Facts(
            classification=classification,
            hosting=hosting_facts(row),
            from_partner=any(link.report.partner_id is not None for link in row.report_links),
            media_count=len([m for m in capture.media if m.kind != "page"]) if capture else 0,
            hash_matches=tuple(_hash_matches(session, row)),
            our_country=app.settings.own_country,
        ),
        provisional,
    )


def hosting_facts(row: ReportedUrl) -> HostingFacts:
    from hotline.rules import HostingFacts

    hosting = latest_hosting(row)
    if hosting is None:
        return HostingFacts()
    platform = hosting.record.get("platform") or {}
    status = hosting.country_status if hosting.country_status in {"known", "unknown-behind-cdn"} else "unknown"
    if status == "known" and not hosting.country:
        status = "unknown"
    return HostingFacts(
        country=hosting.country if status == "known" else None,
        country_status=status,
        behind_cdn=hosting.behind_cdn,
        cdn=hosting.cdn_name,
        platform=hosting.platform,
        site_type=platform.get("site_type"),
        reporting_channel=platform.get("reporting_channel"),
        cdn_abuse_channel=(hosting.record.get("cdn_match") or {}).get("abuse_email"),
        abuse_email=hosting.abuse_email,
        provider=hosting.provider,
    )


def _classification(session: Session, row: ReportedUrl) -> tuple[Classification | None, bool]:
    from hotline.rules import Classification

    assessment = session.scalars(
        select(Assessment)
        .where(Assessment.reported_url_id == row.id, Assessment.media_item_id.is_(None))
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()
    if assessment is not None:
        return (
            Classification(
                legal=assessment.legal,
                content_type=assessment.content_type,
                site_type=assessment.site_type,
                age_group=assessment.age_group,
                gender=assessment.gender,
                notes=assessment.notes,
            ),
            False,
        )
    claimed = {link.report.category_claimed for link in row.report_links} - {None}
    for category in ("csam", "grooming", "adult-minors"):
        if category in claimed:
            legal = PROVISIONAL_LEGAL[category]
            unknown = {"age_group": "unknown", "gender": "unknown"} if legal in ("baseline", "national") else {}
            return Classification(legal=legal, **unknown), True
    return None, False


def _hash_matches(session: Session, row: ReportedUrl) -> list[object]:
    from hotline.rules import HashMatchFact

    capture = latest_capture(row)
    if capture is None:
        return []
    found = session.execute(
        select(Match, HashList)
        .join(MediaItem, Match.media_item_id == MediaItem.id)
        .join(HashList, Match.hash_list_id == HashList.id)
        .where(MediaItem.capture_id == capture.id)
    ).all()
    facts = []
    for match, hash_list in found:
        try:
            facts.append(
                HashMatchFact(
                    media_ref=str(match.media_item_id),
                    list_name=hash_list.name,
                    verdict=hash_list.verdict,
                    trusted=hash_list.trusted,
                    distance=match.distance,
                    confirmations=hash_list.confirmations,
                )
            )
        except ValueError:
            continue  # a list whose verdict is outside the taxonomy gives no rule input
    return facts


__all__ = ["build_facts", "hosting_facts", "propose", "triage_stage"]
