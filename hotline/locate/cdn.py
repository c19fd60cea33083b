"""Is a host behind a CDN or reverse proxy? Match its CNAME chain, edge IPs and AS number.

Evidence strength, strongest first: a CNAME into the CDN's namespace, an IP in its published
ranges, its AS number. The shipped list (data/cdn.toml) is adapted by a hotline's own files of the same shape
(HOTLINE_CDN_FILES), merged by provider `name` as every data file is (hotline/datafiles.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.datafiles import SourceText, load_layered

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class CdnProvider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    abuse_email: str | None = None
    report_url: str | None = None
    asns: list[int] = Field(default_factory=list)
    ranges: list[str] = Field(default_factory=list)
    cname_suffixes: list[str] = Field(default_factory=list)

    @field_validator("ranges")
    @classmethod
    def _valid_ranges(cls, ranges: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(r, strict=False)) for r in ranges]

    @field_validator("cname_suffixes")
    @classmethod
    def _plain_suffixes(cls, suffixes: list[str]) -> list[str]:
        # "*.cloudfront.net", ".cloudfront.net" and "cloudfront.net" all mean the same suffix.
        return [s.strip().lower().removeprefix("*").strip(".") for s in suffixes if s.strip()]

    @field_validator("abuse_email", "report_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class CdnMatch(BaseModel):
    name: str
    abuse_email: str | None = None
    report_url: str | None = None
    matched_by: Literal["cname", "range", "asn"]
    evidence: str  # e.g. "CNAME x.cdn.cloudflare.net matches *.cdn.cloudflare.net"


class CdnDirectory:
    def __init__(self, providers: Iterable[CdnProvider]) -> None:
        self.providers = list(providers)
        self._ranges: list[tuple[IpNetwork, CdnProvider]] = [
            (ipaddress.ip_network(r), p) for p in self.providers for r in p.ranges
        ]

    @classmethod
    def load(cls, local_files: Iterable[Path | str] = (), include_shipped: bool = True) -> CdnDirectory:
        """The shipped list with each local file (`[[provider]]` tables) on top; raises FileProblems."""
        shipped = None
        if include_shipped:
            text = resources.files("hotline.locate.data").joinpath("cdn.toml").read_text("utf-8")
            shipped = SourceText("hotline/locate/data/cdn.toml", text)
        return cls(load_layered(shipped, list(local_files), table="provider", key="name", model=CdnProvider))

    def match(self, ip: str | None, cname_chain: Iterable[str] = (), asn: int | None = None) -> CdnMatch | None:
        """The CDN in front of a host, with the evidence, or None."""
        return self._by_cname(cname_chain) or self._by_range(ip) or self._by_asn(asn)

    def _by_cname(self, cname_chain: Iterable[str]) -> CdnMatch | None:
        for name in cname_chain:
            name = name.lower().rstrip(".")
            for provider in self.providers:
                for suffix in provider.cname_suffixes:
                    if name == suffix or name.endswith("." + suffix):
                        return self._found(provider, "cname", f"CNAME {name} matches *.{suffix}")
        return None

    def _by_range(self, ip: str | None) -> CdnMatch | None:
        if not ip:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        for network, provider in self._ranges:
            if network.version == address.version and address in network:
                return self._found(provider, "range", f"IP {address} is in {network}")
        return None

    def _by_asn(self, asn: int | None) -> CdnMatch | None:
        if asn is None:
            return None
        for provider in self.providers:
            if asn in provider.asns:
                return self._found(provider, "asn", f"AS{asn} belongs to {provider.name}")
        return None

    @staticmethod
    def _found(provider: CdnProvider, matched_by: Literal["cname", "range", "asn"], evidence: str) -> CdnMatch:
        return CdnMatch(
            name=provider.name,
            abuse_email=provider.abuse_email,
            report_url=provider.report_url,
            matched_by=matched_by,
            evidence=evidence,
        )
