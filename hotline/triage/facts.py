"""What the rules see of one URL (Facts), built from the database.

Before an analyst has assessed a URL, a stand-in classification lets the queue already show where the
item would go, best first: an assessment of matching media elsewhere, the verdict of a matching hash
list, then the reporter's category. The sentence returned with it says what it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from hotline.models import Assessment, Match, MediaItem, ReportedUrl

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.rules import Classification, Facts, HashMatchFact, HostingFacts

# What a reporter's category suggests until an analyst decides.
PROVISIONAL_LEGAL = {
    "csam": "baseline",
    "grooming": "national",
    "adult-minors": "adult-minors",
}
PROVISIONAL_PREFIX = "Provisional until an analyst confirms the reporter's category: "


@dataclass
class Prefetched:
    """What build_facts reads from the database for many URLs at once, in two queries (the triage stage
    proposes for a batch)."""

    assessments: dict[int, Assessment] = field(default_factory=dict)  # URL id -> its latest URL assessment
    matches: dict[int, list[Match]] = field(default_factory=dict)  # capture id -> its media's matches

    @classmethod
    def load(cls, session: Session, rows: Sequence[ReportedUrl]) -> Prefetched:
        known = cls()
        for assessment in session.scalars(
            select(Assessment)
            .where(Assessment.reported_url_id.in_([row.id for row in rows]), Assessment.media_item_id.is_(None))
            .order_by(Assessment.id)
        ):
            if assessment.reported_url_id is not None:  # always, by the query; says so to the type checker
                known.assessments[assessment.reported_url_id] = assessment  # the last one read is the latest
        captures = [row.latest_capture.id for row in rows if row.latest_capture is not None]
        for capture_id in captures:
            known.matches[capture_id] = []
        for match, capture_id in session.execute(
            select(Match, MediaItem.capture_id)
            .join(MediaItem, Match.media_item_id == MediaItem.id)
            .where(MediaItem.capture_id.in_(captures))
            .options(joinedload(Match.hash_list))
            .order_by(Match.distance, Match.id)
        ):
            known.matches[capture_id].append(match)
        return known


def build_facts(app: Hotline, session: Session, row: ReportedUrl,
                known: Prefetched | None = None) -> tuple[Facts, str | None]:
    """The rules' view of one URL, and (when no analyst has classified it) what the stand-in rests on.

    `known`, when given, holds this URL's assessment and matches, read for a whole batch."""
    from hotline.rules import Facts

    # Read once: the stand-ins and the rules both use them.
    known = known if known is not None else Prefetched.load(session, [row])
    capture = row.latest_capture
    matches = known.matches.get(capture.id, []) if capture is not None else []
    own = known.assessments.get(row.id)
    classification, provisional = _classification(session, row, matches, own)
    return (
        Facts(
            classification=classification,
            hosting=hosting_facts(row),
            from_partner=any(link.report.partner_id is not None for link in row.report_links),
            media_count=len([m for m in capture.media if m.kind != "page"]) if capture else 0,
            hash_matches=tuple(_hash_matches(matches)),
            our_country=app.settings.own_country,
        ),
        provisional,
    )


def hosting_facts(row: ReportedUrl) -> HostingFacts:
    from hotline.rules import HostingFacts

    hosting = row.latest_hosting
    if hosting is None:
        return HostingFacts()
    platform = hosting.record.get("platform") or {}
    status = hosting.country_status if hosting.country_status in {"known", "unknown-behind-cdn"} else "unknown"
    if status == "known" and not hosting.country:
        status = "unknown"
    return HostingFacts.model_validate(
        {
            "country": hosting.country if status == "known" else None,
            "country_status": status,
            "behind_cdn": hosting.behind_cdn,
            "cdn": hosting.cdn_name,
            "platform": hosting.platform,
            "site_type": platform.get("site_type"),
            "reporting_channel": platform.get("reporting_channel"),
            "cdn_abuse_channel": (hosting.record.get("cdn_match") or {}).get("abuse_email"),
            "abuse_email": hosting.abuse_email,
            "provider": hosting.provider,
        }
    )


def _classification(session: Session, row: ReportedUrl, matches: list[Match],
                    own: Assessment | None) -> tuple[Classification | None, str | None]:
    """The analyst's classification, else the best stand-in and a sentence saying what it rests on.

    Stand-ins, best first: an assessment of matching media on another URL, the verdict of a hash list
    the media matched (an analyst confirms it without opening the image), the reporter's category.
    """
    if own is not None:
        return _as_classification(own), None
    prior = _assessment_of_matched_media(session, row, matches)
    if prior is not None:
        assessment, distance = prior
        return _as_classification(assessment), (
            f"Provisional: the media match an item already assessed as {assessment.legal} "
            f"(distance {distance}); an analyst confirms. "
        )
    listed = _list_verdict(matches)
    if listed is not None:
        verdict, list_name, distance = listed
        return _stand_in(verdict), (
            f"Provisional: the media match the hash list {list_name!r} (verdict {verdict}, distance "
            f"{distance}); an analyst confirms without opening the images. "
        )
    claimed = {link.report.category_claimed for link in row.report_links} - {None}
    for category in ("csam", "grooming", "adult-minors"):
        if category in claimed:
            return _stand_in(PROVISIONAL_LEGAL[category]), PROVISIONAL_PREFIX
    return None, None


def _stand_in(legal: str) -> Classification:
    from hotline.rules import Classification

    unknown = {"age_group": "unknown", "gender": "unknown"} if legal in ("baseline", "national") else {}
    return Classification.model_validate({"legal": legal, **unknown})


def _as_classification(assessment: Assessment) -> Classification:
    from hotline.rules import Classification

    return Classification.model_validate(
        {
            "legal": assessment.legal,
            "content_type": assessment.content_type,
            "site_type": assessment.site_type,
            "age_group": assessment.age_group,
            "gender": assessment.gender,
            "notes": assessment.notes,
        }
    )


def _latest_url_assessment(session: Session, url_id: int) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .where(Assessment.reported_url_id == url_id, Assessment.media_item_id.is_(None))
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()


def _assessment_of_matched_media(session: Session, row: ReportedUrl,
                                 matches: list[Match]) -> tuple[Assessment, int] | None:
    for match in matches:
        if match.matched_media_item_id is None:
            continue
        item = session.get(MediaItem, match.matched_media_item_id)
        if item is None:
            continue
        assessment = session.scalars(
            select(Assessment)
            .where(Assessment.media_item_id == item.id)
            .order_by(Assessment.id.desc())
            .limit(1)
        ).first()
        url_id = item.capture.reported_url_id  # None for an attachment: it has only its own assessments
        if assessment is None and url_id is not None:
            assessment = _latest_url_assessment(session, url_id)
        if assessment is not None and url_id != row.id:
            return assessment, match.distance
    return None


def _list_verdict(matches: list[Match]) -> tuple[str, str, int] | None:
    from hotline.rules import LegalAssessment

    known = {str(v) for v in LegalAssessment}
    for match in matches:
        if match.hash_list is not None and match.verdict in known:
            return match.verdict, match.hash_list.name, match.distance
    return None


def _hash_matches(matches: list[Match]) -> list[HashMatchFact]:
    from hotline.rules import HashMatchFact

    found = [(match, match.hash_list) for match in matches if match.hash_list is not None]
    facts = []
    for match, hash_list in found:
        try:
            facts.append(
                HashMatchFact.model_validate(
                    {
                        "media_ref": str(match.media_item_id),
                        "list_name": hash_list.name,
                        "verdict": hash_list.verdict,
                        "trusted": hash_list.trusted,
                        "distance": match.distance,
                        "confirmations": hash_list.confirmations,
                    }
                )
            )
        except ValueError:
            continue  # a list whose verdict is outside the taxonomy gives no rule input
    return facts
