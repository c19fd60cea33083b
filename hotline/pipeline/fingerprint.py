"""Fingerprint stage: hash every captured media item and match it against lists and assessed items; and
re-match the items already fingerprinted when a hash list is imported (`rematch_list`, `rematch_job`).

Attachments (media a report brought without a URL) have no URL to wait in a state: the `attachments`
job hashes and matches those not hashed yet, with the same pool and the same rows.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
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
        fingerprints: list[dict[str, object]] = []
        for (media_id, _, _), result, found in zip(todo, results, matches, strict=True):
            media = session.get(MediaItem, media_id)
            if media is None or media.fingerprinted_at is not None:
                continue  # another worker was quicker
            fingerprints += fingerprint_rows(media, result)
            store_matches(session, media, found)
        if fingerprints:
            session.execute(insert(Fingerprint), fingerprints)
    return len(todo)


def attachments_job(app: Hotline) -> int:
    """The periodic job: attachments a poll stored but did not hash (it stopped, or hashing failed)."""
    return fingerprint_attachments(app)


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


# -- re-matching media fingerprinted before a hash list came in ----------------------------------------
REMATCH_SETTING = "rematch_pending"  # lists whose re-match the background job still has to finish
REMATCH_BATCH = 500  # media items per step
INLINE_ITEMS = 5000  # up to this many items are re-matched while `hashlist import` waits; beyond, in the background


@dataclass
class Rematched:
    exact: int = 0  # Match rows added at once by exact hashes (every item, however many)
    similar: int = 0  # Match rows added by the item-by-item pass (perceptual hashes)
    items: int = 0  # items looked at by that pass
    background: bool = False  # the pass goes on in the background job


def rematch_list(app: Hotline, hash_list_id: int, inline_items: int = INLINE_ITEMS) -> Rematched:
    """Match the media already fingerprinted against a list just imported, so items on it are hidden
    from analysts like items matched at capture time.

    Exact hashes are matched at once for every item, in the database. The perceptual pass (radius search
    in the match index) runs now for up to `inline_items` items and otherwise goes on in the background
    job (`rematch_job`), a batch at a time, resuming after a restart."""
    done = Rematched(exact=_match_exact(app, hash_list_id))
    after = 0
    while True:
        step = _rematch_step(app, hash_list_id, after)
        if step is None:
            return done
        after, added, looked = step
        done.similar += added
        done.items += looked
        if done.items >= inline_items:
            _queue_rematch(app, hash_list_id, after)
            done.background = True
            return done


def rematch_job(app: Hotline) -> int:
    """The periodic job: one batch of the oldest unfinished re-match; how many items it looked at."""
    from hotline.models import Setting, put_setting

    with app.db.sessions() as session:
        row = session.get(Setting, REMATCH_SETTING)
        pending = list(row.value.get("lists", [])) if row else []
    if not pending:
        return 0
    first = pending[0]
    step = _rematch_step(app, int(first["list"]), int(first["after"]))
    with app.db.session() as session:
        row = session.get(Setting, REMATCH_SETTING)
        current = [p for p in (row.value.get("lists", []) if row else []) if p["list"] != first["list"]]
        if step is not None:
            current.insert(0, {"list": first["list"], "after": step[0]})
        put_setting(session, REMATCH_SETTING, {"lists": current})
    return step[2] if step else 0


def _queue_rematch(app: Hotline, hash_list_id: int, after: int) -> None:
    from hotline.models import Setting, put_setting

    with app.db.session() as session:
        row = session.get(Setting, REMATCH_SETTING)
        pending = [p for p in (row.value.get("lists", []) if row else []) if p["list"] != hash_list_id]
        put_setting(session, REMATCH_SETTING, {"lists": [*pending, {"list": hash_list_id, "after": after}]})


def _match_exact(app: Hotline, hash_list_id: int) -> int:
    """Every fingerprint equal to an exact hash of the list, joined in the database (indexed both sides)."""
    from sqlalchemy import and_, select

    from fingerprints import SIGNAL_TYPES
    from hotline import audit

    exact_kinds = [name for name, signal in SIGNAL_TYPES.items() if signal.index_kind == "exact"]
    with app.db.session() as session:
        audit.take_write_turn(session)  # no other writer adds the same rows meanwhile
        already = select(Match.id).where(Match.media_item_id == Fingerprint.media_item_id,
                                         Match.hash_list_entry_id == HashListEntry.id)
        pairs = session.execute(
            select(Fingerprint.media_item_id, HashListEntry.id, HashListEntry.kind)
            .join(HashListEntry, and_(HashListEntry.kind == Fingerprint.kind, HashListEntry.value == Fingerprint.value))
            .where(HashListEntry.hash_list_id == hash_list_id, Fingerprint.usable, Fingerprint.kind.in_(exact_kinds),
                   ~already.exists())
            .distinct()
        ).all()
        verdict = _list_verdict(session, hash_list_id)
        for media_id, entry_id, kind in pairs:
            session.add(Match(media_item_id=media_id, kind=kind, distance=0, hash_list_id=hash_list_id,
                              hash_list_entry_id=entry_id, verdict=verdict))
        if pairs:
            audit.record(session, "system", "hashlist.rematch", "hash_list", hash_list_id, how="exact",
                         matches=len(pairs), media_items=sorted({p[0] for p in pairs})[:1000])
    return len(pairs)


def _list_verdict(session: Session, hash_list_id: int) -> str | None:
    from hotline.models import HashList

    found = session.get(HashList, hash_list_id)
    return found.verdict if found else None


def _rematch_step(app: Hotline, hash_list_id: int, after: int) -> tuple[int, int, int] | None:
    """Match the next batch of fingerprinted items (ids above `after`) against the list through the
    match index; (last id, Match rows added, items looked at), or None when no item is left."""
    from sqlalchemy import select

    from hotline import audit
    from hotline.models import HashList

    with app.db.sessions() as session:
        if session.get(HashList, hash_list_id) is None:
            return None  # removed meanwhile
        ids = list(session.scalars(select(MediaItem.id).where(MediaItem.id > after, MediaItem.fingerprinted_at.is_not(None))
                                   .order_by(MediaItem.id).limit(REMATCH_BATCH)))
        if not ids:
            return None
        pairs: dict[int, list[tuple[str, str]]] = {}
        for media_id, kind, value in session.execute(
            select(Fingerprint.media_item_id, Fingerprint.kind, Fingerprint.value)
            .where(Fingerprint.media_item_id.in_(ids), Fingerprint.usable)
        ):
            pairs.setdefault(media_id, []).append((kind, value))
    service = match_service(app)
    found = {media_id: service.match(item_pairs) for media_id, item_pairs in pairs.items()}
    added = 0
    with app.db.session() as session:
        audit.take_write_turn(session)
        matched_items = []
        for media_id, matches in found.items():
            media = session.get(MediaItem, media_id)
            if media is None:
                continue
            known = {m.hash_list_entry_id for m in media.matches if m.hash_list_entry_id is not None}
            ours = [m for m in matches if m.namespace == LIST and m.ref not in known]
            entries = {e.id: e for e in (session.get(HashListEntry, m.ref) for m in ours) if e is not None}
            new = [m for m in ours if m.ref in entries and entries[m.ref].hash_list_id == hash_list_id]
            before = len(media.matches)
            store_matches(session, media, new)
            if len(media.matches) > before:
                added += len(media.matches) - before
                matched_items.append(media_id)
        if matched_items:
            audit.record(session, "system", "hashlist.rematch", "hash_list", hash_list_id, how="index",
                         matches=added, media_items=matched_items[:1000])
    return ids[-1], added, len(ids)
