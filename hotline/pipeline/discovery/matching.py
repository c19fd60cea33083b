"""Which crawled pages matter: a page matters only when one of its media matches a trusted hash list or an
item analysts assessed as illegal (baseline or national), within the match index's usual radii.

Everything else stays a crawl record nobody is shown; its hashes are kept for the retention period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.matching.index import ITEM, LIST, match_service
from hotline.models import Assessment, Capture, HashListEntry, MediaItem

if TYPE_CHECKING:
    from fingerprints import Match as IndexMatch
    from fingerprints import MediaFingerprint
    from hotline.app import Hotline
    from hotline.capture.models import CaptureResult

ILLEGAL = ("baseline", "national")


@dataclass
class PageVerdict:
    media: list[dict[str, Any]] = field(default_factory=list)  # what the crawl record keeps of each medium
    blobs: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # empty: nothing known on the page


def fingerprint_media(app: Hotline, results: list[CaptureResult]) -> dict[str, MediaFingerprint]:
    """Hash every medium the pages brought (once per content), keyed by blob (sha256); no more than the
    fingerprint stage's memory budget of media is held at once."""
    from hotline.pipeline.fingerprint import HASH_BUDGET_BYTES, HashPool

    wanted: dict[str, tuple[str | None, int]] = {}
    for result in results:
        for resource in result.resources:
            if resource.blob and resource.blob not in wanted:
                wanted[resource.blob] = (resource.content_type, resource.size or 0)
    groups: list[list[str]] = [[]]
    held = 0
    for key, (_, size) in wanted.items():
        if groups[-1] and held + size > HASH_BUDGET_BYTES:
            groups.append([])
            held = 0
        groups[-1].append(key)
        held += size
    hashed: dict[str, MediaFingerprint] = {}
    for group in groups:
        if group:
            done = app.service(HashPool).map([(app.evidence.get_blob(key), wanted[key][0]) for key in group])
            hashed.update(zip(group, done, strict=True))
    return hashed


def judge_page(app: Hotline, session: Session, result: CaptureResult,
               hashed: dict[str, MediaFingerprint]) -> PageVerdict:
    verdict = PageVerdict()
    index = match_service(app).index()
    for resource in result.resources:
        kept: dict[str, Any] = {"url": resource.url, "kind": resource.kind, "status": resource.status,
                                "outcome": resource.outcome}
        fingerprint = hashed.get(resource.blob) if resource.blob else None
        if fingerprint is not None and resource.blob:
            kept["hashes"] = dict(fingerprint.hashes)
            verdict.blobs.append(resource.blob)
            for match in index.match_pairs(fingerprint.matchable()):
                reason = _reason(session, match)
                if reason:
                    line = f"{resource.url}: {reason}"
                    if line not in verdict.reasons:
                        verdict.reasons.append(line)
        verdict.media.append(kept)
    return verdict


def _reason(session: Session, match: IndexMatch) -> str | None:
    if match.namespace == LIST:
        entry = session.get(HashListEntry, match.ref)
        if entry is not None and entry.hash_list.trusted:
            return f"on trusted list {entry.hash_list.name} ({match.kind}, distance {match.distance})"
        return None
    if match.namespace == ITEM:
        legal = _assessed(session, match.ref)
        if legal in ILLEGAL:
            return f"like item {match.ref} assessed {legal} ({match.kind}, distance {match.distance})"
    return None


def _assessed(session: Session, media_id: int) -> str | None:
    """The newest assessment of the item itself, else of the URL it was captured from."""
    own = session.scalar(select(Assessment.legal).where(Assessment.media_item_id == media_id)
                         .order_by(Assessment.id.desc()).limit(1))
    if own is not None:
        return own
    return session.scalar(
        select(Assessment.legal).join(Capture, Capture.reported_url_id == Assessment.reported_url_id)
        .join(MediaItem, MediaItem.capture_id == Capture.id).where(MediaItem.id == media_id)
        .order_by(Assessment.id.desc()).limit(1)
    )
