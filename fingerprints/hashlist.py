"""Parse the hash lists hotlines exchange, in the formats partners actually send.

Formats (`fmt`, or detected from the content when "auto"):

- ``csv`` / ``tsv``: columns named by hash kind or alias ("SHA-256", "sha256", "PDQ"), plus a
  label/verdict column, a source column and an optional PDQ quality column (the project's own CSV; the
  delimiter is sniffed). A header ``signal_type,signal_str,...`` is python-threatexchange's CSV instead.
- ``tx-csv``: ``threatexchange dataset -P --csv``: ``signal_type,signal_str,collab,category,tags``.
- ``tx``: python-threatexchange's line format, ``TYPE VALUE`` per line (what ``dataset -P -S`` prints and a
  ``local_file`` collaboration reads).
- ``hma``: Hasher-Matcher-Actioner bank content as JSON: a list of objects each with ``signals``
  (``{"pdq": ..., "video_md5": ...}``), or one such object, or a bare signals object.
- ``jsonl``: one JSON object per line, keys as the CSV columns.
- ``plain``: one bare hash per line, no header: the kind must be given (``kind=``).

threatexchange and HMA name video hashes ``video_md5`` / ``video_sha256`` (MD5 / SHA-256 of the file, our
``md5`` / ``sha256``); other signal types (url, raw_text...) are not hashes of media: such rows are
counted as skipped, by type, not as errors. Bad rows are reported with their line (or item) number and
skipped; every good row is kept.
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
from typing import IO, Any, Literal

from fingerprints.signals import SIGNAL_TYPES, InvalidHash, canonical_kind, signal_for

ListFormat = Literal["auto", "csv", "tsv", "jsonl", "tx", "tx-csv", "hma", "plain"]
LIST_FORMATS: tuple[str, ...] = ("auto", "csv", "tsv", "jsonl", "tx", "tx-csv", "hma", "plain")
LABEL_COLUMNS = {"label", "verdict", "classification", "category", "tag", "tags"}
SOURCE_COLUMNS = {"source", "sourcename", "list", "listname", "origin", "provider", "collab"}
QUALITY_COLUMNS = {"quality", "pdqquality", "pdq_quality"}
# Signal type names of python-threatexchange and HMA that are hashes of media, and our kind for each.
TX_SIGNAL_KINDS: dict[str, str] = {"pdq": "pdq", "video_md5": "md5", "video_sha256": "sha256"}
# Their other signal types: recognised (a file of them is a tx file), counted as skipped.
TX_OTHER_TYPES = frozenset({"url", "url_md5", "raw_text", "trend_query", "vpdq", "tmk", "photodna"})
TX_CSV_COLUMNS = ("signal_type", "signal_str")
_BARE_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{16,}$")
_TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


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
    """Good entries, bad rows as (line number, message), counts (rows, entries, errors, skipped, per kind),
    the format read and the signal types skipped (not hashes of media) with how often."""

    entries: list[HashListEntry]
    errors: list[tuple[int, str]]
    counts: dict[str, int]
    format: str = "csv"
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RawRow:
    """A row before validation: its fields, or why it is bad, plus signal types left out of it."""

    line: int
    fields: dict[str, str] | None = None
    error: str | None = None
    skipped: tuple[str, ...] = ()


def parse_hash_list(source: str | Path | IO[str] | IO[bytes], fmt: ListFormat = "auto",
                    kind: str | None = None) -> ParsedList:
    """Parse a file path or an open text/binary stream; `kind` names the hashes of a headerless list."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        if fmt == "auto":
            fmt = _format_from_suffix(path.suffix.lower())
    else:
        raw = source.read()
        text = raw.decode("utf-8-sig", errors="replace") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    if fmt == "auto":
        fmt = detect_format(text)
    if kind is not None:
        try:
            kind = signal_for(kind).name
        except KeyError as exc:
            raise HashListError(str(exc.args[0])) from None
    return _collect(_rows(text, fmt, kind), fmt)


def _rows(text: str, fmt: str, kind: str | None) -> Iterator[RawRow]:
    if fmt == "jsonl":
        return _jsonl_rows(text)
    if fmt == "tx":
        return _tx_line_rows(text, kind)
    if fmt == "hma":
        return _hma_rows(text)
    if fmt == "plain":
        if kind is None:
            raise HashListError("a list of bare hashes has no header: say which kind they are with --kind "
                                f"({', '.join(SIGNAL_TYPES)})")
        return _plain_rows(text, kind)
    return _delimited_rows(text, "\t" if fmt == "tsv" else None)


def _format_from_suffix(suffix: str) -> ListFormat:
    known: dict[str, ListFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".tsv": "tsv", ".tab": "tsv"}
    return known.get(suffix, "auto")


def detect_format(text: str) -> ListFormat:
    """The format of a hash list, from its content."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "hma"
    if stripped.startswith("{"):
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError:
            return "jsonl"  # several objects, one per line
        return "hma" if isinstance(whole, dict) and _is_hma_object(whole) else "jsonl"
    first = next((line.strip() for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), "")
    if _BARE_HASH.match(first):
        return "plain"
    tokens = first.split()
    if len(tokens) >= 2 and not any(sep in first for sep in ",;\t|") and _TYPE_NAME.match(tokens[0]):
        name = tokens[0].lower()
        if name in TX_SIGNAL_KINDS or name in TX_OTHER_TYPES or canonical_kind(name) is not None:
            return "tx"
    return "csv"  # the project's CSV, or threatexchange's, told apart by the header


# -- the project's CSV / TSV (and threatexchange's CSV, by its header) --------------------------------
def _delimited_rows(text: str, delimiter: str | None) -> Iterator[RawRow]:
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    tx_columns = False
    for fields in reader:
        if not any(f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            tx_columns = all(column in header for column in TX_CSV_COLUMNS)
            if not tx_columns:
                _check_header(header)
            continue
        if len(fields) != len(header):
            yield RawRow(reader.line_num, error=f"expected {len(header)} fields, found {len(fields)}")
            continue
        row = dict(zip(header, fields, strict=True))
        yield _tx_csv_row(reader.line_num, row) if tx_columns else RawRow(reader.line_num, row)


def _tx_csv_row(line: int, row: dict[str, str]) -> RawRow:
    """`signal_type,signal_str,collab,category,tags`: one signal per row."""
    signal_type = row.get("signal_type", "").strip()
    kind = _kind_of_signal_type(signal_type)
    if kind is None:
        return RawRow(line, skipped=(signal_type or "(none)",))
    fields = {kind: row.get("signal_str", "")}
    if row.get("category", "").strip():
        fields["label"] = row["category"]
    if row.get("collab", "").strip():
        fields["source"] = row["collab"]
    return RawRow(line, fields)


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
            "no hash column in the header (expected columns such as md5, sha1, sha256, phash, pdq; for "
            "threatexchange or HMA files or bare hashes, see --format)"
        )


# -- python-threatexchange's line format, HMA's JSON, bare hashes, JSON lines ------------------------
def _kind_of_signal_type(name: str) -> str | None:
    lowered = name.strip().lower()
    if lowered in TX_OTHER_TYPES:
        return None
    return TX_SIGNAL_KINDS.get(lowered) or canonical_kind(lowered)


def _tx_line_rows(text: str, kind: str | None) -> Iterator[RawRow]:
    """`TYPE VALUE` per line (extra words after the value, as `dataset -P` prints them, are ignored);
    with `kind`, a line may be the value alone, as in a collaboration with a fixed signal type."""
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) == 1:
            if kind is None:
                yield RawRow(number, error="expected `TYPE VALUE` (or give the kind of bare values with --kind)")
            else:
                yield RawRow(number, {kind: words[0]})
            continue
        found = _kind_of_signal_type(words[0])
        yield RawRow(number, {found: words[1]}) if found else RawRow(number, skipped=(words[0],))


def _is_hma_object(value: dict[str, Any]) -> bool:
    return "signals" in value or any(isinstance(value.get(k), list) for k in ("content", "contents", "items"))


def _hma_rows(text: str) -> Iterator[RawRow]:
    """Bank content as HMA's API gives it (`GET /c/bank/<bank>/content/<id>?include_signals=true`):
    objects with a `signals` map, in a list or under `content`; or one bare signals map (the body of
    `POST /c/bank/<bank>/signal`). Numbered by item, from 1."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HashListError(f"not JSON (HMA bank content): {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict):
        listed = next((data[k] for k in ("content", "contents", "items") if isinstance(data.get(k), list)), None)
        data = listed if listed is not None else [data if "signals" in data else {"signals": data}]
    if not isinstance(data, list):
        raise HashListError("HMA bank content must be a JSON list of objects with `signals`")
    for number, item in enumerate(data, start=1):
        signals = item.get("signals") if isinstance(item, dict) else None
        if not isinstance(signals, dict):
            yield RawRow(number, error="each item needs a `signals` object such as {\"pdq\": \"...\"}")
            continue
        fields, skipped = {}, []
        for signal_type, value in signals.items():
            found = _kind_of_signal_type(str(signal_type)) if isinstance(value, str) else None
            if found:
                fields[found] = value
            else:
                skipped.append(str(signal_type))
        collab = item.get("collab_metadata") if isinstance(item, dict) else None
        if isinstance(collab, dict) and collab:
            fields["source"] = ", ".join(sorted(map(str, collab)))
        yield RawRow(number, fields or None, skipped=tuple(skipped))


def _plain_rows(text: str, kind: str) -> Iterator[RawRow]:
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if value and not value.startswith("#"):
            yield RawRow(number, {kind: value})


def _jsonl_rows(text: str) -> Iterator[RawRow]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRow(number, error=f"invalid JSON: {exc.msg}")
            continue
        if not isinstance(record, dict):
            yield RawRow(number, error="each line must be a JSON object")
            continue
        yield RawRow(number, {str(k): "" if v is None else str(v) for k, v in record.items()})


# -- validation ----------------------------------------------------------------------------------
def _collect(rows: Iterator[RawRow], fmt: str) -> ParsedList:
    entries: list[HashListEntry] = []
    errors: list[tuple[int, str]] = []
    kinds: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    total = 0
    for row in rows:
        total += 1
        skipped.update(row.skipped)
        if row.fields is None and row.error is None:
            continue  # nothing but signals that are not media hashes
        entry = _entry(row.line, row.fields) if row.fields is not None else row.error or "bad row"
        if isinstance(entry, str):
            errors.append((row.line, entry))
            continue
        entries.append(entry)
        kinds.update(entry.hashes.keys())
    counts = {"rows": total, "entries": len(entries), "errors": len(errors), "skipped": sum(skipped.values()),
              **dict(sorted(kinds.items()))}
    return ParsedList(entries, errors, counts, "csv" if fmt == "auto" else fmt, dict(sorted(skipped.items())))


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
