"""What one forward says, built from the database: URL, hosting record, classification and hashes.

The classification comes from the assessment the approval was based on (else the latest one), mapped
to the forwarders' categories; hashes come from the Fingerprint rows of the assessed media item (else
the first fingerprinted media of the capture). Media bytes are added only when the caller says the
partner agreement allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarders.base import DestinationKind, Notice, NoticeItem
from hotline.models import (
    Assessment,
    Capture,
    Fingerprint,
    Forward,
    MediaItem,
    Report,
    ReportedUrl,
    ReportUrl,
)

# Romanian authorities read the bilingual notice in Romanian first; everyone abroad reads English.
ROMANIAN_FIRST = (DestinationKind.POLICE, DestinationKind.REGULATOR)

# Our legal assessment -> the category (and severity) partner hotlines and abuse desks understand.
CATEGORY = {
    "baseline": {"category": "csam", "severity": "baseline"},
    # Illegal here but not under the INTERPOL baseline: exploitation material for the recipient.
    "national": {"category": "csem", "exploitation_type": "distribution"},
    "adult-minors": {"category": "adult_unprotected"},
    "other-harmful": {"category": "other"},
    "not-illegal": {"category": "other"},
}
CLAIMED = {"csam": "csam", "grooming": "grooming", "adult-minors": "adult_unprotected"}

BlobReader = Callable[[str], bytes]


def build_notice(session: Session, forward: Forward, *, address: str,
                 media_reader: BlobReader | None = None) -> Notice:
    """The Notice for `forward`, sent to `address`; `media_reader` set: attach the assessed media."""
    row = session.get(ReportedUrl, forward.reported_url_id)
    if row is None:
        raise LookupError(f"forward {forward.id} points at URL {forward.reported_url_id}, which is gone")
    assessment = _assessment(session, forward, row)
    media = _media(session, row, assessment)
    classification = classification_of(assessment, _claimed_category(session, row))
    if media is not None:
        classification.setdefault("media_type", "video" if media.kind == "video" else "image")
    capture = row.latest_capture
    blob = media_reader(media.blob) if media_reader and media is not None and media.blob else None
    item = NoticeItem(
        url=row.url,
        hosting=hosting_of(row),
        classification=classification,
        hashes=hashes_of(session, media),
        captured_at=(capture.finished_at or capture.started_at) if capture else None,
        media=blob,
        media_type=media.content_type if blob is not None and media is not None else None,
    )
    return Notice(
        reference=reference_of(session, row),
        idempotency_key=forward.idempotency_key,
        destination_kind=forward.destination_kind,
        destination_address=address,
        items=[item],
        language="ro" if forward.destination_kind in ROMANIAN_FIRST else "en",
    )


def classification_of(assessment: Assessment | None, claimed: str | None = None) -> dict[str, Any]:
    if assessment is None:
        return {"category": CLAIMED.get(claimed or "", "other")}
    mapped = dict(CATEGORY.get(assessment.legal, {"category": "other"}))
    if assessment.content_type in ("image", "video"):
        mapped["media_type"] = assessment.content_type
    mapped["detection_method"] = "automated_scan" if assessment.policy else "manual_review"
    return mapped


def hosting_of(row: ReportedUrl) -> dict[str, Any]:
    hosting = row.latest_hosting
    if hosting is None:
        return {}
    record: dict[str, Any] = {"ips": [str(ip) for ip in hosting.ips or []]}
    for key in ("country", "asn", "provider", "abuse_email"):
        value = getattr(hosting, key)
        if value:
            record[key] = value
    return record


def hashes_of(session: Session, media: MediaItem | None) -> dict[str, str]:
    if media is None:
        return {}
    rows = session.scalars(
        # Every kind we have: each wire format picks the kinds its own published list names.
        select(Fingerprint).where(Fingerprint.media_item_id == media.id, Fingerprint.frame == -1)
    )
    return {fp.kind: fp.value.lower() for fp in rows if fp.usable}


def reference_of(session: Session, row: ReportedUrl) -> str:
    reference = session.scalar(
        select(Report.reference).join(ReportUrl, ReportUrl.report_id == Report.id)
        .where(ReportUrl.reported_url_id == row.id).order_by(Report.id).limit(1)
    )
    return reference or f"URL-{row.id}"


def _assessment(session: Session, forward: Forward, row: ReportedUrl) -> Assessment | None:
    wanted = (forward.payload or {}).get("assessment_id")
    if wanted is not None:
        found = session.get(Assessment, wanted)
        if found is not None:
            return found
    return row.assessments[-1] if row.assessments else None


def _media(session: Session, row: ReportedUrl, assessment: Assessment | None) -> MediaItem | None:
    if assessment is not None and assessment.media_item_id is not None:
        return session.get(MediaItem, assessment.media_item_id)
    # The first fingerprinted image/video of the URL's captures (a page's own hashes say little).
    return session.scalars(
        select(MediaItem).join(Capture, MediaItem.capture_id == Capture.id)
        .where(Capture.reported_url_id == row.id, Capture.purpose != "monitor", MediaItem.kind != "page",
               MediaItem.fingerprints.any())
        .order_by(Capture.id.desc(), MediaItem.id).limit(1)
    ).first()


def _claimed_category(session: Session, row: ReportedUrl) -> str | None:
    return session.scalar(
        select(Report.category_claimed).join(ReportUrl, ReportUrl.report_id == Report.id)
        .where(ReportUrl.reported_url_id == row.id).order_by(Report.id).limit(1)
    )
