"""Content platforms (social networks, image hosts, file lockers) recognised by domain.

The shipped list (data/platforms.toml) is adapted by a hotline's own files of the same shape
(HOTLINE_PLATFORM_FILES), merged by platform `name` as every data file is (hotline/datafiles.py); an
added platform claiming a shipped one's domain takes it over.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.datafiles import SourceText, load_layered
from hotline.locate.domains import normalise_host


class Platform(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    site_type: str  # social-network | image-host | file-locker | video | blog-host | free-hosting | ...
    domains: list[str] = Field(default_factory=list)
    report_url: str | None = None
    abuse_email: str | None = None

    @field_validator("domains")
    @classmethod
    def _normalised(cls, domains: list[str]) -> list[str]:
        return [normalise_host(d.removeprefix("*.")) for d in domains if d.strip()]

    @field_validator("report_url", "abuse_email")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class PlatformMatch(BaseModel):
    name: str
    site_type: str
    report_url: str | None = None
    abuse_email: str | None = None
    matched_domain: str  # the listed domain the host fell under


class PlatformDirectory:
    def __init__(self, platforms: Iterable[Platform]) -> None:
        self.platforms = list(platforms)
        self._by_domain: dict[str, Platform] = {}
        for platform in self.platforms:  # later entries win a shared domain
            for domain in platform.domains:
                self._by_domain[domain] = platform

    @classmethod
    def load(cls, local_files: Iterable[Path | str] = (), include_shipped: bool = True) -> PlatformDirectory:
        """The shipped list with each local file (`[[platform]]` tables) on top; raises FileProblems."""
        shipped = None
        if include_shipped:
            text = resources.files("hotline.locate.data").joinpath("platforms.toml").read_text("utf-8")
            shipped = SourceText("hotline/locate/data/platforms.toml", text)
        return cls(load_layered(shipped, list(local_files), table="platform", key="name", model=Platform))

    def match(self, domain: str) -> PlatformMatch | None:
        """The platform a host or registrable domain belongs to; the most specific listing wins."""
        labels = normalise_host(domain).split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            platform = self._by_domain.get(candidate)
            if platform is not None:
                return PlatformMatch(
                    name=platform.name,
                    site_type=platform.site_type,
                    report_url=platform.report_url,
                    abuse_email=platform.abuse_email,
                    matched_domain=candidate,
                )
        return None
