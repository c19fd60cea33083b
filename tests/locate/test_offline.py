"""Offline IP data: geoip2fast's bundled snapshot by default, a user's .mmdb when given; no network."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hotline.locate.offline import OfflineIpData

from .mmdb_writer import write_mmdb


def test_public_address_gets_a_country_and_as_name_without_network(loopback_only: list[Any]) -> None:
    info = OfflineIpData().lookup("5.2.130.10")
    assert info.country == "RO"
    assert info.as_name  # the bundled data names the AS, not its number
    assert info.asn is None
    assert info.prefix and info.prefix.startswith("5.2.")
    assert info.source == "offline:geoip2fast"
    assert loopback_only == []


def test_ipv6_is_covered() -> None:
    assert OfflineIpData().lookup("2a00:2381:ffff::1").country == "GB"


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.0.0.1", "::1"])
def test_private_addresses_have_no_country(ip: str) -> None:
    info = OfflineIpData().lookup(ip)
    assert info.country is None and info.source is None


def test_data_loads_once_per_process() -> None:
    OfflineIpData().lookup("5.2.130.10")  # warm
    started = time.monotonic()
    for _ in range(200):
        OfflineIpData().lookup("62.239.237.1")
    assert time.monotonic() - started < 1.0


def test_user_mmdb_fields_win_and_bundled_data_fills_the_rest(tmp_path: Path) -> None:
    pytest.importorskip("maxminddb", reason="maxminddb (reader for user .mmdb files) is not installed")
    # Given a GeoLite2-ASN-shaped database the user points to
    path = write_mmdb(tmp_path / "asn.mmdb", {
        "5.2.128.0/17": {"autonomous_system_number": 8708, "autonomous_system_organization": "RCS & RDS SA"},
    }, database_type="GeoLite2-ASN")

    info = OfflineIpData(path).lookup("5.2.130.10")

    # Then AS number and name come from it, the country from the bundled data, each labelled
    assert (info.asn, info.as_name, info.prefix) == (8708, "RCS & RDS SA", "5.2.128.0/17")
    assert info.country == "RO"
    assert info.sources == {"asn": "offline:mmdb", "as_name": "offline:mmdb", "prefix": "offline:mmdb",
                            "country": "offline:geoip2fast"}
    assert info.source == "offline:geoip2fast"


def test_country_mmdb_gives_the_country(tmp_path: Path) -> None:
    pytest.importorskip("maxminddb", reason="maxminddb (reader for user .mmdb files) is not installed")
    path = write_mmdb(tmp_path / "country.mmdb", {"2a02:2f00::/24": {"country": {"iso_code": "ro"}}},
                      database_type="GeoLite2-Country")
    info = OfflineIpData([path]).lookup("2a02:2f0c::1")
    assert info.country == "RO" and info.source == "offline:mmdb"


def test_corrupt_mmdb_is_one_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("maxminddb", reason="maxminddb (reader for user .mmdb files) is not installed")
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a database")
    with pytest.raises(RuntimeError, match="not a readable MaxMind database"):
        OfflineIpData(bad)


def test_missing_mmdb_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="offline IP database not found"):
        OfflineIpData(tmp_path / "nope.mmdb")
