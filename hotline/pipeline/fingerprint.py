"""Fingerprint stage: hash every captured media item and match it against lists and assessed items.

Attachments (media a report brought without a URL) have no URL to wait in a state: the `attachments`
job hashes and matches those not hashed yet, with the same pool and the same rows.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TYPE_CHECKING

from sqlalchemy import select

from hotline.matching.index import ITEM, LIST, match_service
from hotline.models import (
    Capture,
    Fingerprint,
    HashListEntry,
    Match,
    MediaItem,
    ReportedUrl,
    UrlState,
    utcnow,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from fingerprints import Match as IndexMatch
    from fingerprints import MediaFingerprint
    from hotline.app import Hotline

# Below this many items a batch is hashed in-process: starting worker processes would cost more.
POOL_THRESHOLD = 4


class HashPool:
    """Perceptual hashing is CPU-bound: a process pool per app uses every core."""

    def __init__(self, app: Hotline):
        self.pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("spawn"))

    def map(self, blobs: list[tuple[bytes, str | None]]) -> list[MediaFingerprint]:
        from fingerprints import fingerprint_bytes

        if len(blobs) < POOL_THRESHOLD:
            return [fingerprint_bytes(data, ctype) for data, ctype in blobs]
        return list(self.pool.map(_fingerprint, blobs, chunksize=2))

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def _fingerprint(item: tuple[bytes, str | None]) -> MediaFingerprint:
    from fingerprints import fingerprint_bytes

    return fingerprint_bytes(*item)


def fingerprint_stage(app: Hotline, token: str, ids: list[int]) -> None:
    for url_id in ids:
        with app.db.sessions() as session:
            row = session.get(ReportedUrl, url_id)
            if row is None or not row.held_by(token, UrlState.CAPTURED):
                continue
            capture = row.latest_capture
            todo = [(m.id, m.blob, m.content_type) for m in (capture.media if capture else [])
                    if m.blob and m.fingerprinted_at is None]
        blobs = [(app.evidence.get_blob(blob), ctype) for _, blob, ctype in todo]
        results = app.service(HashPool).map(blobs) if blobs else []
        service = match_service(app)
        matches = [service.match(result.matchable()) for result in results]
        with app.db.session() as session:
            row = session.get(ReportedUrl, url_id)
            if row is None or not row.held_by(token, UrlState.CAPTURED):
                continue
            for (media_id, _, _), result, found in zip(todo, results, matches, strict=True):
                media = session.get(MediaItem, media_id)
                if media is None or media.fingerprinted_at is not None:
                    continue  # done by an earlier run that crashed before moving the URL on
                store_fingerprints(media, result)
                store_matches(session, media, found)
            row.advance(UrlState.FINGERPRINTED)


ATTACHMENT_BATCH = 20


def fingerprint_attachments(app: Hotline, capture_ids: Sequence[int] | None = None) -> int:
    """Hash and match attachments not hashed yet (those of `capture_ids`, or any); returns how many."""
    stmt = (select(MediaItem.id, MediaItem.blob, MediaItem.content_type)
            .join(Capture, Capture.id == MediaItem.capture_id)
            .where(Capture.report_id.is_not(None), MediaItem.fingerprinted_at.is_(None), MediaItem.blob.is_not(None))
            .order_by(MediaItem.id).limit(ATTACHMENT_BATCH))
    if capture_ids is not None:
        stmt = stmt.where(Capture.id.in_(list(capture_ids)))
    with app.db.sessions() as session:
        todo = [(media_id, blob, ctype) for media_id, blob, ctype in session.execute(stmt) if blob]
    if not todo:
        return 0
    results = app.service(HashPool).map([(app.evidence.get_blob(blob), ctype) for _, blob, ctype in todo])
    service = match_service(app)
    matches = [service.match(result.matchable()) for result in results]
    with app.db.session() as session:
        for (media_id, _, _), result, found in zip(todo, results, matches, strict=True):
            media = session.get(MediaItem, media_id)
            if media is None or media.fingerprinted_at is not None:
                continue  # another worker was quicker
            store_fingerprints(media, result)
            store_matches(session, media, found)
    return len(todo)


def attachments_job(app: Hotline) -> int:
    """The periodic job: attachments a poll stored but did not hash (it stopped, or hashing failed)."""
    return fingerprint_attachments(app)


def store_fingerprints(media: MediaItem, result: MediaFingerprint) -> None:
    from fingerprints import signal_for

    # Whether a hash may be matched is its kind's own rule (PDQ: quality 50 or more).
    for kind, value in result.hashes.items():
        quality = result.quality.get(kind)
        media.fingerprints.append(Fingerprint(kind=kind, value=value, frame=-1, quality=quality,
                                              usable=signal_for(kind).usable(quality)))
    for frame in result.frames:
        for kind, value in frame.hashes.items():
            quality = frame.quality.get(kind)
            media.fingerprints.append(Fingerprint(kind=kind, value=value, frame=frame.index, quality=quality,
                                                  usable=signal_for(kind).usable(quality)))
    media.fingerprinted_at = utcnow()
    notes = [note for note in (result.error, result.video_frames_status) if note]
    media.fingerprint_note = "; ".join(notes) or None


def store_matches(session: Session, media: MediaItem, found: list[IndexMatch]) -> None:
    """One Match row per list entry or assessed item, at its closest distance."""
    best: dict[tuple[str, int], IndexMatch] = {}
    for match in found:
        key = (match.namespace, match.ref)
        if key not in best or match.distance < best[key].distance:
            best[key] = match
    for (namespace, ref), match in best.items():
        if namespace == LIST:
            entry = session.get(HashListEntry, ref)
            if entry is None:
                continue  # the list was removed since the index was built
            media.matches.append(Match(kind=match.kind, distance=match.distance, hash_list_id=entry.hash_list_id,
                                       hash_list_entry_id=entry.id, verdict=entry.hash_list.verdict))
        elif namespace == ITEM and ref != media.id:
            media.matches.append(Match(kind=match.kind, distance=match.distance, matched_media_item_id=ref))
