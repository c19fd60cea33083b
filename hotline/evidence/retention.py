"""Evidence retention: delete the sealed files of old captures of finished URLs, keep the records.

What goes: the WARC and media blobs of captures started more than `older_than_days` ago, of URLs in
the chosen finished states that have not changed for as long, unless any report naming the URL is on
legal hold. A blob is shared by every capture whose media has its content, so it is deleted only when
no capture that stays still refers to it. Rows stay: the capture gets `purged_at`, its `warc_path`
and its media's `blob` are cleared (hashes and fingerprints are kept, for statistics and matching).

Order of work: the rows are marked and one audit event written in one transaction, then the files are
deleted. A list of the files to delete is written first (``evidence/.purge-pending.json``) and finished
by the next run if this one stops half way; it deletes only files no row refers to any more.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.evidence.legal_hold import held_url_ids
from hotline.evidence.store import EvidenceStore
from hotline.models import Capture, MediaItem, ReportedUrl, Setting, UrlState, put_setting, utcnow

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

DEFAULT_STATES = (UrlState.REMOVED, UrlState.CLOSED)
# Evidence of URLs still being worked on or watched is never purged, whatever is asked.
PURGEABLE_STATES = (UrlState.REMOVED, UrlState.CLOSED, UrlState.REFUSED)
# A blob a capture wrote or reused this recently may be about to get a new row: leave it for later.
BLOB_GRACE = timedelta(hours=6)
PENDING = ".purge-pending.json"
_CHUNK = 500


class PurgeRefused(ValueError):
    """The purge was asked for with values that are not allowed; the message says why."""


@dataclass
class PurgeResult:
    older_than_days: float
    states: list[str]
    dry_run: bool
    captures: int = 0
    warcs: int = 0
    blobs: int = 0
    blobs_shared: int = 0  # kept because a capture that stays still refers to them
    blobs_in_use: int = 0  # kept for now: a capture wrote or reused them moments ago
    held: int = 0  # captures left alone because a report naming their URL is on legal hold
    bytes: int = 0
    capture_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        found = asdict(self)
        found.pop("capture_ids")
        return found


def check_request(older_than_days: float, states: Iterable[str]) -> list[UrlState]:
    if older_than_days < 1:
        raise PurgeRefused("--older-than must be at least 1 day")
    chosen = []
    for name in states:
        try:
            value = UrlState(name.strip().lower())
        except ValueError:
            value = None
        if value not in PURGEABLE_STATES:
            allowed = ", ".join(s.value for s in PURGEABLE_STATES)
            raise PurgeRefused(f"evidence is purged only for URLs in the states {allowed}, not {name!r}")
        chosen.append(value)
    if not chosen:
        raise PurgeRefused("name at least one state")
    return chosen


def _due(cutoff: datetime, states: Sequence[UrlState]) -> Select[Any]:
    """Captures whose evidence may go: old, of a finished URL unchanged since, not purged yet."""
    return (
        select(Capture.id)
        .join(ReportedUrl, ReportedUrl.id == Capture.reported_url_id)
        .where(Capture.started_at < cutoff, Capture.purged_at.is_(None), ReportedUrl.state.in_(states),
               ReportedUrl.updated_at < cutoff,
               or_(Capture.warc_path.is_not(None),
                   exists().where(MediaItem.capture_id == Capture.id, MediaItem.blob.is_not(None))))
    )


def purge(app: Hotline, older_than_days: float, states: Iterable[str] = DEFAULT_STATES, *,
          actor: str = "cli", dry_run: bool = False, now: datetime | None = None) -> PurgeResult:
    """Purge (or with `dry_run`, only count) what retention lets go; see the module's docstring.

    The dry run does the very same marking inside the transaction and rolls it back, so it counts
    exactly what a real run would delete."""
    chosen = check_request(older_than_days, [str(s) for s in states])
    store = app.evidence
    finish_pending(app)
    moment = now or utcnow()
    cutoff = moment - timedelta(days=older_than_days)
    result = PurgeResult(older_than_days, [s.value for s in chosen], dry_run)
    due = _due(cutoff, chosen)
    with store.maintenance(), app.db.session() as session:
        result.held = session.scalar(
            select(func.count()).select_from(due.where(Capture.reported_url_id.in_(held_url_ids())).subquery())
        ) or 0
        ids = list(session.scalars(due.where(Capture.reported_url_id.not_in(held_url_ids())).order_by(Capture.id)))
        warcs = _mark_captures(session, ids, moment)
        blobs, in_use = _blobs_to_delete(session, store, result)
        _release_blobs(session, in_use)
        result.captures, result.capture_ids, result.warcs = len(ids), ids, len(warcs)
        files = warcs + [store.blob_relative(b) for b in sorted(blobs)]
        result.bytes = sum(_size(store, f) for f in files)
        if dry_run:
            session.rollback()
            return result
        _write_pending(store, files)
        audit.record(session, actor, "evidence.purge", None, None, **result.counts())
    _delete(app, store, files)
    return result


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):  # IN lists stay under SQLite's parameter limit
        yield items[start : start + _CHUNK]


def _mark_captures(session: Session, ids: list[int], moment: datetime) -> list[str]:
    """Mark the captures purged and clear their WARC paths; returns the WARC files to delete."""
    warcs: list[str] = []
    for chunk in _chunks(ids):
        warcs += [p for p in session.scalars(select(Capture.warc_path).where(Capture.id.in_(chunk))) if p]
        session.execute(update(Capture).where(Capture.id.in_(chunk)).values(warc_path=None, purged_at=moment)
                        .execution_options(synchronize_session=False))
    return warcs


def _purged_media() -> Select[Any]:
    """Media of purged captures still pointing at a blob: this run's, and any an earlier run left."""
    return (select(MediaItem.id).join(Capture, Capture.id == MediaItem.capture_id)
            .where(Capture.purged_at.is_not(None), MediaItem.blob.is_not(None)))


def _blobs_to_delete(session: Session, store: EvidenceStore, result: PurgeResult) -> tuple[set[str], set[str]]:
    """(blobs no capture that stays refers to, blobs kept for now because a capture just used them)."""
    candidates = {b for b in session.scalars(
        select(MediaItem.blob).where(MediaItem.id.in_(_purged_media())).distinct()) if b}
    shared: set[str] = set()
    for chunk in _chunks(sorted(candidates)):
        shared.update(b for b in session.scalars(
            select(MediaItem.blob).join(Capture, Capture.id == MediaItem.capture_id)
            .where(MediaItem.blob.in_(chunk), Capture.purged_at.is_(None)).distinct()
        ) if b)
    recent_limit = time.time() - BLOB_GRACE.total_seconds()
    in_use = {b for b in candidates - shared if _mtime(store, b) > recent_limit}
    gone = candidates - shared - in_use
    result.blobs, result.blobs_shared, result.blobs_in_use = len(gone), len(shared), len(in_use)
    return gone, in_use


def _release_blobs(session: Session, in_use: set[str]) -> None:
    """Purged media let go of their blobs, except those held back for a capture under way."""
    stmt = update(MediaItem).where(MediaItem.id.in_(_purged_media()))
    if in_use:
        stmt = stmt.where(MediaItem.blob.not_in(sorted(in_use)))
    session.execute(stmt.values(blob=None).execution_options(synchronize_session=False))


def _size(store: EvidenceStore, relative: str) -> int:
    try:
        return (store.root / relative).stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(store: EvidenceStore, sha256: str) -> float:
    try:
        return store.blob_path(sha256).stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _write_pending(store: EvidenceStore, files: list[str]) -> None:
    from hotline.sealing.keyring import write_private

    write_private(store.root / PENDING, json.dumps(files).encode())


def _delete(app: Hotline, store: EvidenceStore, files: list[str]) -> int:
    """Delete the listed files that no row refers to any more, then drop the pending list."""
    warcs = [f for f in files if f.startswith("warc/")]
    blobs = [f.rsplit("/", 1)[-1].removesuffix(".enc") for f in files if f.startswith("blobs/")]
    still: set[str] = set()
    with app.db.sessions() as session:
        for chunk in _chunks(warcs):
            still.update(p for p in session.scalars(select(Capture.warc_path).where(Capture.warc_path.in_(chunk))) if p)
        for chunk in _chunks(blobs):
            still.update(store.blob_relative(b) for b in session.scalars(
                select(MediaItem.blob).where(MediaItem.blob.in_(chunk))) if b)
    deleted = 0
    with store.maintenance():
        for relative in files:
            if relative not in still and store.remove(relative):
                deleted += 1
        (store.root / PENDING).unlink(missing_ok=True)
    return deleted


def finish_pending(app: Hotline) -> int:
    """Finish the deletions of a purge that stopped between its commit and its last file."""
    store = app.evidence
    try:
        files = json.loads((store.root / PENDING).read_bytes())
    except FileNotFoundError:
        return 0
    except ValueError:
        os.unlink(store.root / PENDING)  # half written: its purge never committed
        return 0
    return _delete(app, store, [str(f) for f in files])


RETENTION_EVERY = timedelta(hours=1)
RETENTION_LAST_RUN = "evidence_retention_last_run"


def retention_job(app: Hotline) -> int:
    """With HOTLINE_RETENTION_DAYS set, purge what retention lets go, at most once an hour."""
    days = app.settings.retention_days
    if not days:
        return 0
    now = utcnow()
    with app.db.session() as session:
        row = session.get(Setting, RETENTION_LAST_RUN, with_for_update=True)
        if row is not None and now - datetime.fromisoformat(row.value["at"]) < RETENTION_EVERY:
            return 0
        put_setting(session, RETENTION_LAST_RUN, {"at": now.isoformat()})
    result = purge(app, days, app.settings.retention_states, actor="retention", now=now)
    if result.captures:
        log.info("retention purged the evidence of %d captures", result.captures)
    return result.captures
