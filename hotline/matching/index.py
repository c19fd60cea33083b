"""The match index of one process: hash-list entries and the fingerprints of items analysts assessed.

The index lives in memory (fingerprints.MatchIndex) and on disk under data_dir/index. A generation
number in the database says when hash lists changed; a process whose copy is older reloads it from disk
when the saved copy is current, and otherwise rebuilds it from the database and saves it. Assessments
are far more frequent, so they do not force a rebuild: each process adds the media of assessments newer
than the last one it has seen (their ids only grow) to the index it holds.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from hotline.models import (
    Assessment,
    Capture,
    Fingerprint,
    HashListEntry,
    MediaItem,
    Setting,
    put_setting,
)

if TYPE_CHECKING:
    from fingerprints import Match, MatchIndex
    from hotline.app import Hotline

GENERATION = "match_index_generation"
LIST = "list"  # refs are HashListEntry ids
ITEM = "item"  # refs are MediaItem ids of assessed items


def bump_generation(session: Session) -> None:
    """Call in the transaction that changes hash lists or assessments."""
    setting = session.get(Setting, GENERATION)
    put_setting(session, GENERATION, {"generation": int(setting.value.get("generation", 0)) + 1 if setting else 1})


def current_generation(session: Session) -> int:
    setting = session.get(Setting, GENERATION)
    return int(setting.value.get("generation", 0)) if setting else 0


class MatchService:
    def __init__(self, app: Hotline):
        self.app = app
        self.directory = app.settings.data_dir / "index"
        self._lock = threading.Lock()
        self._index: MatchIndex | None = None
        self._generation = -1
        self._assessments_seen = 0  # highest Assessment.id whose media are in the index

    def index(self) -> MatchIndex:
        with self.app.db.sessions() as session:
            wanted = current_generation(session)
        with self._lock:
            if self._index is None or self._generation != wanted:
                loaded = self._load(wanted)
                self._index, self._assessments_seen = loaded or self._rebuild(wanted)
                self._generation = wanted
            self._catch_up()
            return self._index

    def _catch_up(self) -> None:
        """Add the media of assessments made since the index was built."""
        from fingerprints import IndexRow

        assert self._index is not None
        with self.app.db.sessions() as session:
            newest = session.scalar(select(func.max(Assessment.id))) or 0
            if newest <= self._assessments_seen:
                return
            rows = [
                IndexRow(kind, value, item_id, ITEM, quality)
                for item_id, kind, value, quality in session.execute(
                    select(Fingerprint.media_item_id, Fingerprint.kind, Fingerprint.value, Fingerprint.quality)
                    .where(Fingerprint.usable, Fingerprint.media_item_id.in_(
                        assessed_media_ids(after=self._assessments_seen, upto=newest)))
                )
            ]
        if rows:
            self._index.add_rows(rows)
        self._assessments_seen = newest

    def match(self, pairs: list[tuple[str, str]]) -> list[Match]:
        return self.index().match_pairs(pairs)

    def _load(self, generation: int) -> tuple[MatchIndex, int] | None:
        from fingerprints import IndexFormatError, MatchIndex

        stamp = self.directory / "generation.json"
        try:
            saved = json.loads(stamp.read_text())
            if saved["generation"] != generation:
                return None
            return MatchIndex.load(self.directory / "current"), int(saved["assessments_seen"])
        except (OSError, KeyError, ValueError, IndexFormatError):
            return None

    def _rebuild(self, generation: int) -> tuple[MatchIndex, int]:
        from fingerprints import IndexRow, MatchIndex

        rows: list[IndexRow] = []
        with self.app.db.sessions() as session:
            seen = session.scalar(select(func.max(Assessment.id))) or 0
            for entry_id, kind, value in session.execute(
                select(HashListEntry.id, HashListEntry.kind, HashListEntry.value)
            ).yield_per(10_000):
                rows.append(IndexRow(kind, value, entry_id, LIST, None))
            for item_id, kind, value, quality, usable in session.execute(
                select(Fingerprint.media_item_id, Fingerprint.kind, Fingerprint.value, Fingerprint.quality,
                       Fingerprint.usable)
                .where(Fingerprint.media_item_id.in_(assessed_media_ids(upto=seen)))
            ).yield_per(10_000):
                if usable:
                    rows.append(IndexRow(kind, value, item_id, ITEM, quality))
        index = MatchIndex.from_rows(rows)
        self._save(index, generation, seen)
        return index, seen

    def _save(self, index: MatchIndex, generation: int, assessments_seen: int) -> None:
        import fcntl
        import os
        import shutil

        from hotline.datadir import create_private_file, make_private, private_file, private_tree

        make_private(self.directory)  # the index names hashes of what was reported: owner-only
        create_private_file(self.directory / "lock")
        # Several processes may rebuild at once; the lock keeps the saved copy whole.
        with (self.directory / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            staging = self.directory / f"staging-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            index.save(staging)
            private_tree(staging)
            current = self.directory / "current"
            shutil.rmtree(current, ignore_errors=True)
            staging.rename(current)
            stamp = {"generation": generation, "assessments_seen": assessments_seen}
            create_private_file(self.directory / "generation.json")
            (self.directory / "generation.json").write_text(json.dumps(stamp))
            private_file(self.directory / "generation.json")


def assessed_media_ids(after: int = 0, upto: int | None = None) -> ScalarSelect[int]:
    """Media items an analyst has judged (one by one, or on a URL that was assessed) by the assessments
    with ids in (after, upto]."""
    window = [Assessment.id > after] + ([Assessment.id <= upto] if upto is not None else [])
    on_assessed_url = (
        select(MediaItem.id)
        .join(Capture, MediaItem.capture_id == Capture.id)
        .join(Assessment, Assessment.reported_url_id == Capture.reported_url_id)
        .where(MediaItem.kind != "page", *window)
    )
    one_by_one = select(Assessment.media_item_id).where(Assessment.media_item_id.is_not(None), *window)
    return on_assessed_url.union(one_by_one).scalar_subquery()


def match_service(app: Hotline) -> MatchService:
    return app.service(MatchService)
