"""TOML data files written by people: the shipped ones, a hotline's own on top, one clear line per problem.

Every data file a hotline adapts (partner directory, CDN list, platform list) is read by `load_layered`
with the same rules:

- entries are `[[TABLE]]` tables identified by one field (`id`, or `name`);
- a local file's entry with a new key adds an entry; with a known key it changes only the fields it
  sets (a list it sets replaces the shipped list); `disabled = true` removes the entry;
- every problem is one line, `file:line: TABLE "key", key FIELD: message`, raised together as
  FileProblems.

tomllib keeps no line numbers, so a problem is located by searching the text: first the block of the
n-th `[[rule]]` (or `[[destination]]`, `[[policy]]`), then the keys of the error's path inside it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Entry = TypeVar("Entry", bound=BaseModel)
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_SYNTAX_LINE = re.compile(r"at line (\d+)")


class FileProblems(Exception):
    """One or more problems in a data, rule or directory file; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class SourceText:
    """A TOML file's name and text, kept to point at lines when something is wrong."""

    name: str
    text: str

    @classmethod
    def read(cls, path: str | Path) -> SourceText:
        path = Path(path)
        try:
            return cls(str(path), path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise FileProblems([f"{path}: cannot read the file: {exc}"]) from exc

    def parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            found = _SYNTAX_LINE.search(str(exc))
            where = f"{self.name}:{found.group(1)}" if found else self.name
            raise FileProblems([f"{where}: TOML syntax error: {exc}"]) from exc

    def problem(self, loc: Sequence[str | int], message: str, label: str | None = None) -> str:
        """`file:line: rule "id", key when.legal: message` (line and label when they can be found)."""
        line = self.line_of(loc)
        where = f"{self.name}:{line}" if line else self.name
        key = format_key(loc[2:] if len(loc) >= 2 and isinstance(loc[1], int) else loc)
        details = [part for part in (label, f"key {key}" if key else None) if part]
        head = f"{where}: {', '.join(details)}" if details else where
        return f"{head}: {message}"

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        lines = self.text.splitlines()
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            block = _array_block(lines, loc[0], loc[1])
            if block is None:
                return None
            start, end = block
            found = _find_keys(lines, start, end, loc[2:])
            # A whole-entry problem (missing key, contradiction) is shown at the entry's id line.
            return (found if found is not None else _id_line(lines, start, end)) + 1
        found = _find_keys(lines, 0, len(lines), loc) if loc else None
        return None if found is None else found + 1


def load_layered(shipped: SourceText | None, local: Sequence[str | Path], *, table: str, key: str,
                 model: type[Entry], context: dict[str, Any] | None = None) -> list[Entry]:
    """The entries of `shipped`, then of each local file in turn on top (see the module docstring).
    `context` reaches the model's validators (what they check against, e.g. the known channels)."""
    sources = ([shipped] if shipped is not None else []) + [SourceText.read(path) for path in local]
    merged: dict[str, dict[str, Any]] = {}
    last_touched: dict[str, tuple[SourceText, int]] = {}
    problems: list[str] = []
    for source in sources:
        for index, entry in enumerate(_entries(source, table, key, problems)):
            entry_key = entry.get(key)
            if not isinstance(entry_key, str) or not entry_key:
                problems.append(source.problem((table, index, key), f"every {table} needs a {key}"))
                continue
            merged.setdefault(entry_key, {}).update(entry)
            last_touched[entry_key] = (source, index)
    found = []
    for entry_key, fields in merged.items():
        if fields.pop("disabled", False) is True:
            continue
        try:
            found.append(model.model_validate(fields, context=context))
        except ValidationError as exc:
            source, index = last_touched[entry_key]
            problems += validation_problems(source, exc, (table, index), f'{table} "{entry_key}"')
    if problems:
        raise FileProblems(problems)
    return found


def _entries(source: SourceText, table: str, key: str, problems: list[str]) -> list[dict[str, Any]]:
    data = source.parse()
    for name in data:
        if name != table:
            problems.append(source.problem((name,), f"unknown table; this file has only [[{table}]]"))
    entries = data.get(table, [])
    if not isinstance(entries, list):
        problems.append(source.problem((table,), f"write each entry as a [[{table}]] table"))
        return []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        entry_key = entry.get(key)
        if entry_key in seen:
            problems.append(source.problem((table, index, key), f"duplicate {key} {entry_key!r} in the same file",
                                           f'{table} "{entry_key}"'))
        seen.add(entry_key)
    return entries


def format_key(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def validation_problems(
    source: SourceText, exc: ValidationError, prefix: Sequence[str | int], label: str | None
) -> list[str]:
    """One line per pydantic error, located in `source` under the key path `prefix`."""
    return [
        source.problem((*prefix, *error_loc(error)), error_message(error), label) for error in exc.errors()
    ]


def error_loc(error: ErrorDetails) -> tuple[str | int, ...]:
    return tuple(part for part in error["loc"] if isinstance(part, str | int))


def error_message(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in ("enum", "literal_error", "string_pattern_mismatch", "bool_type", "int_type"):
        message += f", not {error['input']!r}"
    return message


def _array_block(lines: list[str], table: str, index: int) -> tuple[int, int] | None:
    """Line range of the index-th `[[table]]`, up to the next header that does not belong to it."""
    starts = [i for i, line in enumerate(lines) if re.match(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]", line)]
    if index >= len(starts):
        return None
    start = starts[index]
    for i in range(start + 1, len(lines)):
        header = _HEADER.match(lines[i])
        if header and (header.group(1) == table or not header.group(1).startswith(table + ".")):
            return start, i
    return start, len(lines)


def _find_keys(lines: list[str], start: int, end: int, keys: Sequence[str | int]) -> int | None:
    """Best line for the key path inside lines[start:end]: the deepest key found, None if none is."""
    position: int | None = None
    previous: str | None = None
    for key in keys:
        if isinstance(key, int):
            if previous is not None and position is not None:
                position = _nth_array_table(lines, position, end, previous, key)
            continue
        pattern = re.compile(rf"(^|[\s.\[{{,]){re.escape(key)}\s*(=|\]|\.)")
        begin = start if position is None else position
        found = next((i for i in range(begin, end) if pattern.search(_strip_comment(lines[i]))), None)
        if found is None:
            break
        position, previous = found, key
    return position


def _id_line(lines: list[str], start: int, end: int) -> int:
    return next((i for i in range(start, end) if re.match(r"^\s*id\s*=", lines[i])), start)


def _nth_array_table(lines: list[str], start: int, end: int, key: str, index: int) -> int:
    """Line of the index-th `[[... .key]]` header from start, or start when the array is inline."""
    pattern = re.compile(rf"^\s*\[\[\s*[A-Za-z0-9_.-]*\b{re.escape(key)}\s*\]\]")
    headers = [i for i in range(start, end) if pattern.match(lines[i])]
    return headers[index] if index < len(headers) else start


def _strip_comment(line: str) -> str:
    return line.split("#", 1)[0] if '"' not in line else line
