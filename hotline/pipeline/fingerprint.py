"""Fingerprint stage: hash every captured media item and match it against lists and assessed items."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

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


# Media bytes held in memory at once while a batch is hashed (a URL's own media are never split).
HASH_BUDGET_BYTES = 64 * 1024 * 1024

Todo = tuple[int, str, str | None, int]  # media item id, blob key, content type, size


def fingerprint_stage(app: Hotline, token: str, ids: list[int]) -> None:
    """Hash the new media of the leased URLs together (one pool map per group of URLs, so every core
    works even when each URL has a few images), match them against one snapshot of the index, and
    store each group's hashes and matches in one transaction (a failing batch is run again one URL at
    a time by the executor)."""
    with app.db.sessions() as session:
        rows = session.scalars(
            select(ReportedUrl).where(ReportedUrl.id.in_(ids))
            .options(selectinload(ReportedUrl.captures).selectinload(Capture.media))
        ).all()
        todo: dict[int, list[Todo]] = {}
        for row in rows:
            if row.held_by(token, UrlState.CAPTURED):
                capture = row.latest_capture
                todo[row.id] = [(m.id, m.blob, m.content_type, m.size or 0) for m in (capture.media if capture else [])
                                if m.blob and m.fingerprinted_at is None]
    for group in _groups(todo):
        flat = [item for url_id in group for item in todo[url_id]]
        blobs = [(app.evidence.get_blob(blob), ctype) for _, blob, ctype, _ in flat]
        results = iter(app.service(HashPool).map(blobs) if blobs else [])
        index = match_service(app).index() if flat else None
        hashed = {url_id: [(media_id, result := next(results), index.match_pairs(result.matchable()) if index else [])
                           for media_id, _, _, _ in todo[url_id]] for url_id in group}
        _store(app, token, hashed)


def _groups(todo: dict[int, list[Todo]]) -> list[list[int]]:
    """URL ids in groups whose media stay under HASH_BUDGET_BYTES (a URL over it alone is a group)."""
    groups: list[list[int]] = [[]]
    held = 0
    for url_id, items in todo.items():
        size = sum(item[3] for item in items)
        if groups[-1] and held + size > HASH_BUDGET_BYTES:
            groups.append([])
            held = 0
        groups[-1].append(url_id)
        held += size
    return [group for group in groups if group]


def _store(app: Hotline, token: str, hashed: dict[int, list[tuple[int, MediaFingerprint, list[IndexMatch]]]]) -> None:
    with app.db.session() as session:
        rows = session.scalars(select(ReportedUrl).where(ReportedUrl.id.in_(list(hashed)))).all()
        media = {m.id: m for m in session.scalars(
            select(MediaItem).where(MediaItem.id.in_([media_id for items in hashed.values() for media_id, _, _ in items]))
        )}
        fingerprints: list[dict[str, object]] = []
        for row in rows:
            if not row.held_by(token, UrlState.CAPTURED):
                continue  # someone else finished it meanwhile; keep the first answer
            for media_id, result, found in hashed[row.id]:
                item = media.get(media_id)
                if item is None or item.fingerprinted_at is not None:
                    continue  # done by an earlier run that crashed before moving the URL on
                fingerprints += fingerprint_rows(item, result)
                store_matches(session, item, found)
            row.advance(UrlState.FINGERPRINTED)
        if fingerprints:
            # One INSERT for the group: the rows are many (every kind, every frame) and need no ORM state.
            session.execute(insert(Fingerprint), fingerprints)


def fingerprint_rows(media: MediaItem, result: MediaFingerprint) -> list[dict[str, object]]:
    """The Fingerprint rows of one hashed item, as values; marks the item as fingerprinted."""
    from fingerprints import signal_for

    # Whether a hash may be matched is its kind's own rule (PDQ: quality 50 or more).
    rows: list[dict[str, object]] = []
    for frame, hashes, quality in [(-1, result.hashes, result.quality),
                                   *((f.index, f.hashes, f.quality) for f in result.frames)]:
        rows += [{"media_item_id": media.id, "kind": kind, "value": value, "frame": frame,
                  "quality": quality.get(kind), "usable": signal_for(kind).usable(quality.get(kind))}
                 for kind, value in hashes.items()]
    media.fingerprinted_at = utcnow()
    notes = [note for note in (result.error, result.video_frames_status) if note]
    media.fingerprint_note = "; ".join(notes) or None
    return rows


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
