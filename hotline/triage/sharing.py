"""Sharing what our analysts assessed: the hashes of illegal items, as hash lists partners read.

An item is shared when the assessment that governs it (the latest one naming the item, else the latest
of its URL) was made by a person (not an auto-forward policy), classifies it as illegal (baseline or
national) and, where that classification needs a second analyst, was confirmed. Only the item's own
hashes go (not those of single animation or video frames), and only those good enough to match on.
Every export, of our items or of an imported list, is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import Assessment, Capture, Fingerprint, MediaItem
from hotline.rules.taxonomy import LegalAssessment
from hotline.triage.assessment import four_eyes_classifications

if TYPE_CHECKING:
    from fingerprints import ExportRow, Written
    from fingerprints.hashlist_export import ExportFormat

ASSESSED = "assessed"  # the export source for our own assessed items


@dataclass(frozen=True)
class Export:
    written: Written
    source: str  # a list name, or "assessed"
    items: int


def _governing(session: Session) -> tuple[dict[int, Assessment], dict[int, Assessment]]:
    """The latest assessment per media item and per URL (URL-wide ones)."""
    by_item: dict[int, Assessment] = {}
    by_url: dict[int, Assessment] = {}
    for assessment in session.scalars(select(Assessment).order_by(Assessment.id)):
        if assessment.media_item_id is not None:
            by_item[assessment.media_item_id] = assessment
        else:
            by_url[assessment.reported_url_id] = assessment
    return by_item, by_url


def _shareable(assessment: Assessment, four_eyes: set[str]) -> bool:
    if assessment.policy is not None:
        return False
    if not LegalAssessment(assessment.legal).is_illegal:
        return False
    return assessment.legal not in four_eyes or assessment.confirmed_by_id is not None


def shareable_rows(session: Session) -> list[ExportRow]:
    """One row per distinct assessed-illegal item: its usable item-level hashes, labelled by the legal
    classification."""
    from fingerprints import ExportRow

    by_item, by_url = _governing(session)
    four_eyes = four_eyes_classifications(session)
    items = session.execute(
        select(MediaItem.id, MediaItem.kind, Capture.reported_url_id)
        .join(Capture, MediaItem.capture_id == Capture.id)
        .where(MediaItem.kind != "page",
               or_(MediaItem.id.in_(list(by_item)), Capture.reported_url_id.in_(list(by_url))))
        .order_by(MediaItem.id)
    ).all()
    chosen: dict[int, tuple[str, str]] = {}  # item id -> (media kind, legal classification)
    for item_id, kind, url_id in items:
        assessment = by_item.get(item_id) or by_url.get(url_id)
        if assessment is not None and _shareable(assessment, four_eyes):
            chosen[item_id] = (kind, assessment.legal)
    hashes: dict[int, dict[str, str]] = {}
    for item_id, kind, value in session.execute(
        select(Fingerprint.media_item_id, Fingerprint.kind, Fingerprint.value)
        .where(Fingerprint.media_item_id.in_(list(chosen)), Fingerprint.frame == -1, Fingerprint.usable)
    ):
        hashes.setdefault(item_id, {})[kind] = value
    rows: dict[tuple[tuple[str, str], ...], ExportRow] = {}
    for item_id, (kind, legal) in chosen.items():
        found = hashes.get(item_id)
        if found:  # the same file found twice is one row
            rows.setdefault(tuple(sorted(found.items())), ExportRow(found, legal, kind == "video"))
    return list(rows.values())


def export_hashes(session: Session, actor: str, *, list_name: str | None, fmt: ExportFormat,
                  via: str = "cli") -> Export:
    """Our assessed items (`list_name` None) or an imported list, written in `fmt`; audited in the caller's
    transaction. LookupError names the lists when `list_name` is unknown."""
    from fingerprints import write_hash_list
    from hotline.matching.lists import find_list, list_rows

    if list_name is None:
        rows, source, subject = shareable_rows(session), ASSESSED, ("hash_export", ASSESSED)
    else:
        hash_list = find_list(session, list_name)
        rows, source, subject = list_rows(session, hash_list), list_name, ("hash_list", str(hash_list.id))
    written = write_hash_list(rows, fmt, name=source)
    audit.record(session, actor, "hashlist.export", *subject, source=source, format=fmt, via=via,
                 items=len(rows), signals=written.signals, left_out=written.left_out)
    return Export(written, source, len(rows))
