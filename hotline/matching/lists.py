"""Hash lists in the database: import, list, remove. The match index follows via its generation number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from hotline.matching.index import bump_generation
from hotline.models import HashList, HashListEntry, Match

if TYPE_CHECKING:
    from fingerprints import ExportRow
    from fingerprints.hashlist import ListFormat


class HashListExists(ValueError):
    pass


@dataclass
class Imported:
    hash_list: HashList
    rows: int
    hashes: int
    errors: list[tuple[int, str]]
    format: str = "csv"
    skipped: dict[str, int] = field(default_factory=dict)  # signal types that are not media hashes


def import_list(
    session: Session,
    path: Path,
    *,
    name: str,
    verdict: str,
    source: str | None = None,
    trusted: bool = False,
    confirmations: int = 0,
    replace: bool = False,
    on_progress: Callable[[int], None] | None = None,
    fmt: ListFormat = "auto",
    kind: str | None = None,
) -> Imported:
    """Store every good row of the file (in the caller's transaction); bad rows are counted, not fatal.
    `fmt` is detected from the content unless given; `kind` names the hashes of a headerless list."""
    from fingerprints import parse_hash_list

    parsed = parse_hash_list(path, fmt, kind)  # HashListError when the file cannot be read as a list
    existing = session.scalar(select(HashList).where(HashList.name == name))
    if existing is not None:
        if not replace:
            raise HashListExists(f"a hash list named {name!r} exists; remove it first or pass --replace")
        remove_list(session, existing)
    hash_list = HashList(name=name, verdict=verdict, source=source, trusted=trusted, confirmations=confirmations)
    session.add(hash_list)
    session.flush()
    batch: list[dict[str, object]] = []
    stored = 0
    for entry in parsed.entries:
        label = entry.label or entry.source
        for hash_kind, value in entry.hashes.items():
            batch.append({"hash_list_id": hash_list.id, "kind": hash_kind, "value": value, "label": label})
        if len(batch) >= 5000:
            stored += _flush(session, batch)
            if on_progress:
                on_progress(stored)
    stored += _flush(session, batch)
    hash_list.entry_count = stored
    bump_generation(session)
    return Imported(hash_list, parsed.counts.get("rows", 0), stored, parsed.errors, parsed.format, parsed.skipped)


def _flush(session: Session, batch: list[dict[str, object]]) -> int:
    if not batch:
        return 0
    session.execute(insert(HashListEntry), batch)
    count = len(batch)
    batch.clear()
    return count


def remove_list(session: Session, hash_list: HashList) -> None:
    # Matches against the list go with it: the evidence of what matched is in the audit log.
    session.execute(delete(Match).where(Match.hash_list_id == hash_list.id))
    session.execute(delete(HashListEntry).where(HashListEntry.hash_list_id == hash_list.id))
    session.delete(hash_list)
    session.flush()
    bump_generation(session)


def list_lists(session: Session) -> list[dict[str, object]]:
    counts = dict(
        session.execute(select(HashListEntry.hash_list_id, func.count()).group_by(HashListEntry.hash_list_id)).all()
    )
    return [
        {
            "name": hl.name,
            "verdict": hl.verdict,
            "source": hl.source,
            "trusted": hl.trusted,
            "confirmations": hl.confirmations,
            "hashes": counts.get(hl.id, 0),
            "imported_at": hl.imported_at.isoformat(),
        }
        for hl in session.scalars(select(HashList).order_by(HashList.name))
    ]


def find_list(session: Session, name: str) -> HashList:
    found = session.scalar(select(HashList).where(HashList.name == name))
    if found is None:
        known = ", ".join(session.scalars(select(HashList.name).order_by(HashList.name))) or "none yet"
        raise LookupError(f"no hash list named {name!r} (lists: {known})")
    return found


def list_rows(session: Session, hash_list: HashList) -> list[ExportRow]:
    """A list's entries as rows to export, one hash each, with their labels."""
    from fingerprints import ExportRow

    entries = session.execute(select(HashListEntry.kind, HashListEntry.value, HashListEntry.label)
                              .where(HashListEntry.hash_list_id == hash_list.id).order_by(HashListEntry.id))
    return [ExportRow({kind: value}, label) for kind, value, label in entries]
