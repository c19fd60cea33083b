"""Parse the hash lists hotlines exchange: CSV/TSV (delimiter sniffed) and JSON lines.

Columns are recognised case-insensitively by hash kind name or alias ("SHA-256", "sha256", "PDQ"), plus a
label/verdict column, a source column and an optional PDQ quality column. Bad rows are reported with their
line number and skipped; every good row is kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from fingerprints.signals import SIGNAL_TYPES, InvalidHash, canonical_kind, signal_for

ListFormat = Literal["auto", "csv", "tsv", "jsonl"]
LABEL_COLUMNS = {"label", "verdict", "classification", "category", "tag", "tags"}
SOURCE_COLUMNS = {"source", "sourcename", "list", "listname", "origin", "provider"}
QUALITY_COLUMNS = {"quality", "pdqquality", "pdq_quality"}


class HashListError(ValueError):
    """The file as a whole cannot be read (no hash columns, unknown format); one clear line."""


@dataclass(frozen=True)
class HashListEntry:
    """One good row: its line number, hashes by kind (normalised hex), label/verdict, source, quality."""

    line: int
    hashes: dict[str, str]
    label: str | None = None
    source: str | None = None
    quality: dict[str, int] = field(default_factory=dict)


@dataclass
class ParsedList:
    """Good entries, bad rows as (line number, message), and counts: rows, entries, errors, per kind."""

    entries: list[HashListEntry]
    errors: list[tuple[int, str]]
    counts: dict[str, int]


def parse_hash_list(source: str | Path | IO[str] | IO[bytes], fmt: ListFormat = "auto") -> ParsedList:
    """Parse a file path or an open text/binary stream."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        if fmt == "auto":
            fmt = _format_from_suffix(path.suffix.lower())
    else:
        raw = source.read()
        text = raw.decode("utf-8-sig", errors="replace") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    if fmt == "auto":
        fmt = "jsonl" if text.lstrip().startswith("{") else "csv"
    rows = _jsonl_rows(text) if fmt == "jsonl" else _delimited_rows(text, "\t" if fmt == "tsv" else None)
    return _collect(rows)


def _format_from_suffix(suffix: str) -> ListFormat:
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".tsv": "tsv", ".tab": "tsv", ".csv": "csv"}.get(
        suffix, "auto"
    )  # type: ignore[return-value]


# A row is (line number, {column: value}) or (line number, error message).
Row = tuple[int, dict[str, str] | str]


def _delimited_rows(text: str, delimiter: str | None) -> Iterator[Row]:
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    for fields in reader:
        if not any(f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            _check_header(header)
            continue
        if len(fields) != len(header):
            yield reader.line_num, f"expected {len(header)} fields, found {len(fields)}"
            continue
        yield reader.line_num, dict(zip(header, fields))


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return "\t" if "\t" in first else ","


def _check_header(header: list[str]) -> None:
    if not any(canonical_kind(column) for column in header):
        raise HashListError(
            "no hash column in the header (expected columns such as md5, sha1, sha256, phash, pdq)"
        )


def _jsonl_rows(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"invalid JSON: {exc.msg}"
            continue
        if not isinstance(record, dict):
            yield number, "each line must be a JSON object"
            continue
        yield number, {str(k): "" if v is None else str(v) for k, v in record.items()}


def _collect(rows: Iterator[Row]) -> ParsedList:
    entries: list[HashListEntry] = []
    errors: list[tuple[int, str]] = []
    kinds: Counter[str] = Counter()
    total = 0
    for line, row in rows:
        total += 1
        entry = _entry(line, row) if isinstance(row, dict) else row
        if isinstance(entry, str):
            errors.append((line, entry))
            continue
        entries.append(entry)
        kinds.update(entry.hashes.keys())
    counts = {"rows": total, "entries": len(entries), "errors": len(errors), **dict(sorted(kinds.items()))}
    return ParsedList(entries, errors, counts)


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]", "", name.strip().lower())


def _entry(line: int, row: dict[str, str]) -> HashListEntry | str:
    """A good entry, or the reason the row is bad."""
    hashes: dict[str, str] = {}
    quality: dict[str, int] = {}
    row_quality: int | None = None
    label = source = None
    for column, raw in row.items():
        value = raw.strip()
        key = _column_key(column)
        kind = canonical_kind(column)
        if kind is not None:
            if not value:
                continue
            try:
                hashes[kind] = signal_for(kind).normalize(value)
            except InvalidHash as exc:
                return str(exc)
        elif key in LABEL_COLUMNS and value:
            label = value
        elif key in SOURCE_COLUMNS and value:
            source = value
        elif key in QUALITY_COLUMNS and value:
            if not value.isdigit() or int(value) > 100:
                return f"quality must be an integer 0-100, got {value!r}"
            row_quality = int(value)
    if not hashes:
        return "no hash in this row"
    if row_quality is not None:
        # A quality column rates the row's hashes of the kinds that have a quality (PDQ).
        quality = {kind: row_quality for kind in hashes if SIGNAL_TYPES[kind].min_quality is not None}
    return HashListEntry(line, hashes, label, source, quality)
