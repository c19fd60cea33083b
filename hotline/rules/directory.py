"""The partner directory: who receives forwards (hotlines, police, regulator, CDN and platform desks).

Shipped as data (`directory.toml` next to this module). Admins override it with their own files in the
same format (HOTLINE_DIRECTORY_FILES), merged as every data file is (hotline/datafiles.py): an entry
with a known `id` changes only the keys it sets, a new `id` adds a destination, `disabled = true`
removes one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from forwarders.base import DestinationKind
from hotline.datafiles import FileProblems, SourceText, load_layered
from hotline.rules.facts import normalise_country

PLACEHOLDER = "configure-me"
_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_CHANNEL_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


class Destination(BaseModel):
    """One recipient of forwards. `endpoint` stays "configure-me" until an admin sets it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID_PATTERN)
    kind: DestinationKind
    name: str = Field(min_length=1)
    country: str | None = None
    inhope_member: bool = False
    primary: bool = False  # the hotline to use when a country has several
    # A delivery channel by name (hotline.outbox.channels.CHANNELS); checked when the app loads the directory.
    channel: str = Field(pattern=_CHANNEL_PATTERN)
    endpoint: str = PLACEHOLDER
    aliases: tuple[str, ...] = ()  # names the locate stage may report for a platform or CDN
    notes: str = ""

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("channels")
        if known is not None and value not in known:
            raise ValueError(f"unknown channel {value!r}: choose from {', '.join(known)}")
        return value

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
        self._by_id = {d.id: d for d in destinations}

    @classmethod
    def load(cls, paths: Iterable[str | Path] = (), *, include_default: bool = True,
             channels: Collection[str] | None = None) -> Directory:
        """The shipped directory, then each file in `paths` on top of it; raises FileProblems. With
        `channels` (the outbox's), a destination naming another channel is a problem too."""
        shipped = default_directory_source() if include_default else None
        return cls(load_layered(shipped, list(paths), table="destination", key="id", model=Destination,
                                context={"channels": list(channels) if channels is not None else None}))

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


def check_directory_file(path: str | Path, *, include_default: bool = True,
                         channels: Collection[str] | None = None) -> list[str]:
    """Problems of an admin directory file (merged over the shipped one); empty when it is fine."""
    try:
        Directory.load([path], include_default=include_default, channels=channels)
    except FileProblems as exc:
        return exc.problems
    return []
