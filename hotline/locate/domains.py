"""Registrable domain and public suffix, from tldextract's bundled suffix list only.

tldextract's default extractor fetches the Public Suffix List over the network and writes a cache
under ~/.cache; ours never does either: no suffix-list URLs, no cache dir, bundled snapshot only.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

import tldextract
from pydantic import BaseModel


class DomainParts(BaseModel):
    """A host split at its public suffix (ICANN section of the Public Suffix List)."""

    host: str
    registrable: str | None  # "example.co.uk"; None for IP literals and bare suffixes
    suffix: str  # "co.uk"; "" when the host has no known suffix
    subdomain: str  # "www"; "" when none
    is_ip: bool = False


@lru_cache(maxsize=8)
def _extractor(extra_suffixes: tuple[str, ...]) -> tldextract.TLDExtract:
    # Built once per suffix set: loading the bundled snapshot takes tens of milliseconds.
    return tldextract.TLDExtract(
        cache_dir=None,
        suffix_list_urls=(),
        fallback_to_snapshot=True,
        extra_suffixes=extra_suffixes,
    )


def normalise_host(host: str) -> str:
    """Lower-case, strip a trailing dot and brackets, and IDNA-encode a host name."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host:
        return host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # not valid IDNA: keep it as given; DNS will answer NXDOMAIN or an error


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str, extra_suffixes: tuple[str, ...] = ()) -> DomainParts:
    """Split `host` into subdomain, registrable domain and public suffix, without any network.

    `extra_suffixes` adds suffixes the bundled list lacks (tests use "test").
    """
    host = normalise_host(host)
    if is_ip_literal(host):
        return DomainParts(host=host, registrable=None, suffix="", subdomain="", is_ip=True)
    parts = _extractor(tuple(extra_suffixes))(host)
    registrable = parts.top_domain_under_public_suffix or None
    return DomainParts(host=host, registrable=registrable, suffix=parts.suffix, subdomain=parts.subdomain)
