"""IP to country and AS from data on disk: no network, ever.

By default geoip2fast's bundled GeoLite2 snapshot (country, AS name and prefix; no AS number).
A user may point to MaxMind-format .mmdb files (GeoLite2-Country/City/ASN or compatible); their
fields win and geoip2fast fills what they lack. Each field records where it came from.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

GEOIP2FAST_SOURCE = "offline:geoip2fast"
MMDB_SOURCE = "offline:mmdb"
_GEOIP2FAST_FILE = "geoip2fast-asn-ipv6.dat.gz"  # country + AS name, IPv4 and IPv6

_load_lock = threading.Lock()
_geoip2fast_instance: Any = None


class OfflineInfo(BaseModel):
    ip: str
    country: str | None = None  # ISO 3166 alpha-2
    as_name: str | None = None
    asn: int | None = None
    prefix: str | None = None  # the data's network containing the IP
    source: str | None = None  # where the country came from (else the first field found)
    sources: dict[str, str] = Field(default_factory=dict)  # field -> "offline:geoip2fast" | "offline:mmdb"


def _geoip2fast() -> Any:
    # Loading the bundled data takes a noticeable moment (~0.3 s): once per process.
    global _geoip2fast_instance
    if _geoip2fast_instance is None:
        with _load_lock:
            if _geoip2fast_instance is None:
                from geoip2fast import GeoIP2Fast

                _geoip2fast_instance = GeoIP2Fast(geoip2fast_data_file=_GEOIP2FAST_FILE, verbose=False)
    return _geoip2fast_instance


@lru_cache(maxsize=8)
def _mmdb_reader(path: str) -> Any:
    try:
        import maxminddb
    except ImportError:
        raise RuntimeError("reading .mmdb files needs the maxminddb package: pip install maxminddb") from None
    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise RuntimeError(f"{path} is not a readable MaxMind database: {exc}") from None


def _country_code(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 2 and value.isalpha():
        return value.upper()
    return None


def _from_geoip2fast(ip: str) -> dict[str, Any]:
    result = _geoip2fast().lookup(ip)
    if getattr(result, "is_private", False):
        return {}
    found: dict[str, Any] = {}
    if code := _country_code(getattr(result, "country_code", None)):
        found["country"] = code
        found["prefix"] = getattr(result, "cidr", None) or None
    if as_name := getattr(result, "asn_name", None):
        found["as_name"] = as_name
        found.setdefault("prefix", getattr(result, "asn_cidr", None) or None)
    return {k: v for k, v in found.items() if v}


def _from_mmdb_record(record: dict[str, Any]) -> dict[str, Any]:
    """Fields of a GeoLite2 Country/City/ASN record, or of the flat layouts other vendors use."""
    found: dict[str, Any] = {}
    for holder in ("country", "registered_country"):
        code = _country_code((record.get(holder) or {}).get("iso_code"))
        if code:
            found["country"] = code
            break
    else:
        if code := _country_code(record.get("country_code")):
            found["country"] = code
    asn = record.get("autonomous_system_number", record.get("asn"))
    if isinstance(asn, str):
        asn = asn.upper().removeprefix("AS")
    try:
        if asn is not None:
            found["asn"] = int(asn)
    except ValueError:
        pass
    as_name = record.get("autonomous_system_organization") or record.get("as_name")
    if as_name:
        found["as_name"] = str(as_name)
    return found


class OfflineIpData:
    """Offline IP facts; construct freely: the underlying data loads once per process."""

    def __init__(self, mmdb_path: Path | str | Sequence[Path | str] | None = None) -> None:
        if mmdb_path is None:
            paths: list[Path] = []
        elif isinstance(mmdb_path, (str, Path)):
            paths = [Path(mmdb_path)]
        else:
            paths = [Path(p) for p in mmdb_path]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"offline IP database not found: {', '.join(missing)}")
        self.mmdb_paths = paths
        for path in paths:
            _mmdb_reader(str(path))  # open now: a bad file is a startup error, not a lookup error

    def lookup(self, ip: str) -> OfflineInfo:
        """Country, AS name, AS number (mmdb only) and prefix; empty fields when the data has none."""
        address = str(ipaddress.ip_address(ip.strip().strip("[]")))
        fields: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for path in self.mmdb_paths:
            record, prefix_length = _mmdb_reader(str(path)).get_with_prefix_len(address)
            if not isinstance(record, dict):
                continue
            for key, value in _from_mmdb_record(record).items():
                if key not in fields:
                    fields[key], sources[key] = value, MMDB_SOURCE
            if "prefix" not in fields:
                network = ipaddress.ip_network(f"{address}/{prefix_length}", strict=False)
                fields["prefix"], sources["prefix"] = str(network), MMDB_SOURCE
        for key, value in _from_geoip2fast(address).items():
            if key not in fields:
                fields[key], sources[key] = value, GEOIP2FAST_SOURCE
        source = sources.get("country") or next(iter(sources.values()), None)
        return OfflineInfo(ip=address, source=source, sources=sources, **fields)
