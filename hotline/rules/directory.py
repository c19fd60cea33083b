"""The partner directory: who receives forwards (hotlines, police, regulator, CDN and platform desks).

Shipped as data (`directory.toml` next to this module). Admins override it with their own file in the
same format: an entry with a known `id` changes only the keys it sets (the admin file wins), a new `id`
adds a destination, and `disabled = true` removes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline.rules.facts import normalise_country
from hotline.rules.source import FileProblems, SourceText, validation_problems

PLACEHOLDER = "configure-me"
_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


class DestinationKind(StrEnum):
    HOTLINE = "hotline"
    POLICE = "police"
    REGULATOR = "regulator"
    PLATFORM = "platform"
    CDN = "cdn"
    HOSTING_PROVIDER = "hosting-provider"


class ChannelKind(StrEnum):
    PARTNER_API = "partner-api"
    EMAIL = "email"
    WEB_FORM = "web-form"
    X_ARF = "x-arf"


class Destination(BaseModel):
    """One recipient of forwards. `endpoint` stays "configure-me" until an admin sets it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID_PATTERN)
    kind: DestinationKind
    name: str = Field(min_length=1)
    country: str | None = None
    inhope_member: bool = False
    primary: bool = False  # the hotline to use when a country has several
    channel: ChannelKind
    endpoint: str = PLACEHOLDER
    aliases: tuple[str, ...] = ()  # names the locate stage may report for a platform or CDN
    notes: str = ""
    disabled: bool = False

    @field_validator("country")
    @classmethod
    def _normalise_country(cls, value: str | None) -> str | None:
        return None if value is None else normalise_country(value)

    @property
    def configured(self) -> bool:
        return bool(self.endpoint) and self.endpoint != PLACEHOLDER

    def known_as(self, name: str) -> bool:
        wanted = name.strip().lower()
        return wanted == self.id or wanted in (alias.lower() for alias in self.aliases)


class Directory:
    """Destinations by id, with the look-ups the rules need."""

    def __init__(self, destinations: Iterable[Destination]) -> None:
        self._by_id = {d.id: d for d in destinations if not d.disabled}

    @classmethod
    def load(cls, paths: Iterable[str | Path] = (), *, include_default: bool = True) -> Directory:
        """The shipped directory, then each file in `paths` on top of it; raises FileProblems."""
        sources = [default_directory_source()] if include_default else []
        sources += [SourceText.read(path) for path in paths]
        return cls(_merge_and_validate(sources))

    def destination(self, destination_id: str) -> Destination:
        try:
            return self._by_id[destination_id]
        except KeyError:
            raise KeyError(f"no destination {destination_id!r} in the partner directory") from None

    def get(self, destination_id: str) -> Destination | None:
        return self._by_id.get(destination_id)

    def all(self) -> list[Destination]:
        return sorted(self._by_id.values(), key=lambda d: (d.kind, d.country or "", d.id))

    def partner_for_country(self, country: str) -> Destination | None:
        """The INHOPE member hotline of a country (the `primary` one when there are several)."""
        code = normalise_country(country)
        hotlines = [
            d for d in self._by_id.values()
            if d.kind is DestinationKind.HOTLINE and d.inhope_member and d.country == code
        ]
        hotlines.sort(key=lambda d: (not d.primary, d.id))
        return hotlines[0] if hotlines else None

    def member_countries(self) -> frozenset[str]:
        return frozenset(
            d.country for d in self._by_id.values()
            if d.kind is DestinationKind.HOTLINE and d.inhope_member and d.country
        )

    def of_kind_in_country(self, kind: DestinationKind, country: str) -> Destination | None:
        code = normalise_country(country)
        found = sorted(
            (d for d in self._by_id.values() if d.kind is kind and d.country == code),
            key=lambda d: (not d.primary, d.id),
        )
        return found[0] if found else None

    def named(self, kind: DestinationKind, name: str) -> Destination | None:
        """The CDN or platform the locate stage named (by id or alias, any case)."""
        return next((d for d in self._by_id.values() if d.kind is kind and d.known_as(name)), None)


def default_directory_source() -> SourceText:
    text = resources.files("hotline.rules").joinpath("directory.toml").read_text(encoding="utf-8")
    return SourceText("hotline/rules/directory.toml", text)


def check_directory_file(path: str | Path, *, include_default: bool = True) -> list[str]:
    """Problems of an admin directory file (merged over the shipped one); empty when it is fine."""
    try:
        Directory.load([path], include_default=include_default)
    except FileProblems as exc:
        return exc.problems
    return []


def _merge_and_validate(sources: list[SourceText]) -> list[Destination]:
    merged: dict[str, dict[str, Any]] = {}
    last_touched: dict[str, tuple[SourceText, int]] = {}
    problems: list[str] = []
    for source in sources:
        for index, entry in enumerate(_entries(source, problems)):
            entry_id = entry.get("id")
            if not isinstance(entry_id, str):
                problems.append(source.problem(("destination", index, "id"), "every destination needs an id"))
                continue
            merged.setdefault(entry_id, {}).update(entry)
            last_touched[entry_id] = (source, index)
    destinations = []
    for entry_id, entry in merged.items():
        try:
            destinations.append(Destination.model_validate(entry))
        except ValidationError as exc:
            source, index = last_touched[entry_id]
            problems += validation_problems(source, exc, ("destination", index), f'destination "{entry_id}"')
    if problems:
        raise FileProblems(problems)
    return destinations


def _entries(source: SourceText, problems: list[str]) -> list[dict[str, Any]]:
    data = source.parse()
    for key in data:
        if key != "destination":
            problems.append(source.problem((key,), "unknown table; a directory file has only [[destination]]"))
    entries = data.get("destination", [])
    if not isinstance(entries, list):
        problems.append(source.problem(("destination",), "write each destination as a [[destination]] table"))
        return []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        entry_id = entry.get("id")
        if entry_id in seen:
            problems.append(
                source.problem(
                    ("destination", index, "id"), f"duplicate id {entry_id!r} in the same file",
                    f'destination "{entry_id}"',
                )
            )
        seen.add(entry_id)
    return entries
