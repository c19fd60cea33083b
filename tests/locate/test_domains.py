"""Registrable domains from tldextract's bundled list: no network, no files outside the data dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotline.locate.domains import registrable_domain


@pytest.mark.parametrize(("host", "registrable", "suffix", "subdomain"), [
    ("www.example.co.uk", "example.co.uk", "co.uk", "www"),
    ("gallery-ro.example-synth.ro", "example-synth.ro", "ro", "gallery-ro"),
    ("a.b.blogspot.com", "blogspot.com", "com", "a.b"),  # ICANN section only: the platform's domain
    ("WWW.Example.COM.", "example.com", "com", "www"),
    ("co.uk", None, "co.uk", ""),
])
def test_split(host: str, registrable: str | None, suffix: str, subdomain: str) -> None:
    parts = registrable_domain(host)
    assert (parts.registrable, parts.suffix, parts.subdomain) == (registrable, suffix, subdomain)


def test_internationalised_names_are_punycoded() -> None:
    assert registrable_domain("bücher.de").registrable == "xn--bcher-kva.de"


@pytest.mark.parametrize("host", ["5.2.130.10", "[2a02:2f0c::10]"])
def test_ip_literals_have_no_registrable_domain(host: str) -> None:
    parts = registrable_domain(host)
    assert parts.is_ip and parts.registrable is None


def test_extra_suffixes_make_test_names_registrable() -> None:
    assert registrable_domain("x.synth.test").registrable is None
    assert registrable_domain("x.synth.test", ("test",)).registrable == "synth.test"


def test_no_network_and_no_cache_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loopback_only: list[Any]
) -> None:
    # Given a home and XDG cache dir we can watch (tldextract's default cache lives there)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TLDEXTRACT_CACHE", raising=False)

    # When a fresh extractor is built (a new suffix set forces one) and used
    parts = registrable_domain("www.example.com.ro", ("never-seen-suffix",))

    # Then it answered from the bundled list without a packet or a file
    assert parts.registrable == "example.com.ro"
    assert loopback_only == []
    assert list(tmp_path.iterdir()) == []
