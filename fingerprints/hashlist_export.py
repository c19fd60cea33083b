"""Write hash lists in the formats partners read: python-threatexchange's line format, HMA bank content
JSON and the project's own CSV (which `parse_hash_list` reads back).

Each format carries the hash kinds of its own versioned list below, under the names it uses: a new kind
inside the product never changes what goes out until it is added here. threatexchange and HMA know a
photo only by its PDQ; an MD5 or SHA-256 goes out as `video_md5` / `video_sha256` only for a video, and
the rest is counted as left out, so the caller can say so.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

ExportFormat = Literal["tx", "csv", "hma"]
EXPORT_FORMATS: tuple[str, ...] = ("tx", "csv", "hma")
EXPORT_VERSION = 1
# Our kind -> the signal type name in python-threatexchange 1.2 and HMA, by version of this export.
TX_HASH_KINDS: dict[int, dict[str, str]] = {
    1: {"pdq": "pdq", "pdq_tx": "pdq", "md5": "video_md5", "sha256": "video_sha256"}}
HMA_HASH_KINDS: dict[int, dict[str, str]] = {
    1: {"pdq": "pdq", "pdq_tx": "pdq", "md5": "video_md5", "sha256": "video_sha256"}}
LIST_CSV_HASH_KINDS: dict[int, tuple[str, ...]] = {1: ("md5", "sha1", "sha256", "phash", "dhash", "pdq", "pdq_tx")}
_VIDEO_TYPES = frozenset({"video_md5", "video_sha256"})


@dataclass(frozen=True)
class ExportRow:
    """The hashes of one item (or one list entry), its label, and whether it is a video."""

    hashes: dict[str, str]
    label: str | None = None
    video: bool = False


@dataclass
class Written:
    """The file's text, how many signals it holds, and the hashes (by kind) its format cannot carry."""

    text: str
    signals: int
    left_out: dict[str, int] = field(default_factory=dict)


def write_hash_list(rows: Iterable[ExportRow], fmt: ExportFormat, *, name: str = "hotline") -> Written:
    if fmt == "tx":
        return write_tx(rows)
    if fmt == "hma":
        return write_hma(rows, name)
    return write_csv(rows)


def _typed(row: ExportRow, names: dict[str, str], left_out: Counter[str]) -> list[tuple[str, str]]:
    """(signal type, value) for each hash of the row the format carries."""
    typed = []
    for kind, value in row.hashes.items():
        signal_type = names.get(kind)
        if signal_type is None or (signal_type in _VIDEO_TYPES and not row.video):
            left_out[kind] += 1
            continue
        typed.append((signal_type, value))
    return typed


def write_tx(rows: Iterable[ExportRow]) -> Written:
    """`TYPE VALUE` per line, each signal once: what a threatexchange `local_file` collaboration reads."""
    left_out: Counter[str] = Counter()
    seen: dict[tuple[str, str], None] = {}
    for row in rows:
        for pair in _typed(row, TX_HASH_KINDS[EXPORT_VERSION], left_out):
            seen.setdefault(pair, None)
    return Written("".join(f"{kind} {value}\n" for kind, value in seen), len(seen), dict(left_out))


def write_hma(rows: Iterable[ExportRow], bank: str) -> Written:
    """A JSON list of bank content as HMA's API shows it (`signals` per item). An item with two PDQs
    (ours and threatexchange's, for a palette image) becomes two items: a signal type appears once per
    item. Each `signals` object is also the body HMA's `POST /c/bank/<bank>/signal` takes."""
    left_out: Counter[str] = Counter()
    contents: list[dict[str, Any]] = []
    for row in rows:
        variants: list[dict[str, str]] = []
        for signal_type, value in _typed(row, HMA_HASH_KINDS[EXPORT_VERSION], left_out):
            slot = next((v for v in variants if signal_type not in v), None)
            if slot is None:
                slot = {}
                variants.append(slot)
            slot[signal_type] = value
        for signals in variants:
            contents.append({"id": len(contents) + 1, "bank": {"name": bank, "matching_enabled_ratio": 1.0},
                             "disable_until_ts": 0, "collab_metadata": {}, "original_media_uri": None,
                             "signals": signals})
    count = sum(len(c["signals"]) for c in contents)
    return Written(json.dumps(contents, indent=1) + "\n", count, dict(left_out))


def write_csv(rows: Iterable[ExportRow]) -> Written:
    """A column per hash kind of the published list (those present), then `label`; one row per item."""
    listed = list(rows)
    carried = LIST_CSV_HASH_KINDS[EXPORT_VERSION]
    present = [kind for kind in carried if any(kind in row.hashes for row in listed)]
    left_out: Counter[str] = Counter(k for row in listed for k in row.hashes if k not in carried)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*present, "label"])
    signals = 0
    for row in listed:
        values = [row.hashes.get(kind, "") for kind in present]
        if any(values):
            writer.writerow([*values, row.label or ""])
            signals += sum(1 for value in values if value)
    return Written(out.getvalue(), signals, dict(left_out))
