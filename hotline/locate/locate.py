"""One URL to one hosting record: where the content sits, who to tell, and how sure we are.

Steps: split the host (tldextract, offline) -> DNS (A/AAAA, CNAME chain, NS) -> the IPs the capture
connected to, else the resolver's -> per IP: RDAP owner (cached) and offline country/AS ->
CDN check (CNAME, ranges, ASN) -> platform check (domain). Every field says where it came from.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from hotline.locate.cdn import CdnDirectory, CdnMatch
from hotline.locate.dns import DnsAnswer, resolve_host
from hotline.locate.domains import registrable_domain
from hotline.locate.offline import OfflineInfo, OfflineIpData
from hotline.locate.platforms import PlatformDirectory, PlatformMatch
from hotline.locate.rdap import IpOwner, RdapClient, RdapLookupError

CountryStatus = Literal["known", "unknown-behind-cdn", "unknown"]


class Memo:
    """DNS answers by host and owner facts by IP, kept for a batch of URLs (seconds), so a host named by
    many URLs is resolved and looked up once. Not shared between batches: answers may change."""

    def __init__(self) -> None:
        self.dns: dict[str, DnsAnswer] = {}
        self.ips: dict[str, IpFacts] = {}
MAX_IPS = 8  # a host answering with more addresses is one operator; don't query RDAP for all


class IpFacts(BaseModel):
    ip: str
    rdap: IpOwner | None = None
    rdap_error: str | None = None
    offline: OfflineInfo | None = None


class HostingRecord(BaseModel):
    url: str
    host: str
    registrable_domain: str | None = None
    suffix: str = ""
    dns: DnsAnswer | None = None  # None when the URL's host is an IP literal
    ips: list[str] = Field(default_factory=list)
    owners: list[IpFacts] = Field(default_factory=list)  # one per IP, same order
    country: str | None = None
    country_status: CountryStatus = "unknown"
    asn: int | None = None
    as_name: str | None = None
    provider: str | None = None  # registrant organisation, else network name, else AS name
    abuse_email: str | None = None
    abuse_emails: list[str] = Field(default_factory=list)
    cidr: str | None = None
    network_name: str | None = None
    cdn: str | None = None
    cdn_match: CdnMatch | None = None  # the CDN's abuse channel and the evidence
    behind_cdn: bool = False
    platform: PlatformMatch | None = None
    sources: dict[str, str] = Field(default_factory=dict)  # field -> "rdap" | "offline:..." | "dns" | ...
    errors: list[str] = Field(default_factory=list)

    def hosting_columns(self) -> dict[str, Any]:
        """The summary fields as the Hosting table names them, plus the whole record as JSON."""
        return {
            "host": self.host,
            "registrable_domain": self.registrable_domain,
            "ips": list(self.ips),
            "country": self.country,
            "country_status": self.country_status,
            "asn": self.asn,
            "provider": self.provider,
            "network_name": self.network_name,
            "cidr": self.cidr,
            "abuse_email": self.abuse_email,
            "behind_cdn": self.behind_cdn,
            "cdn_name": self.cdn,
            "platform": self.platform.name if self.platform else None,
            "sources": dict(self.sources),
            "record": self.model_dump(mode="json"),
        }


@lru_cache(maxsize=1)
def _default_cdns() -> CdnDirectory:
    return CdnDirectory.load()


@lru_cache(maxsize=1)
def _default_platforms() -> PlatformDirectory:
    return PlatformDirectory.load()


def host_of(url: str) -> str:
    """The host of a URL (or of a bare host name); ValueError when there is none."""
    parsed = urlsplit(url if "//" in url else f"//{url}")
    if not parsed.hostname:
        raise ValueError(f"no host in URL {url!r}")
    return parsed.hostname


def _valid_ips(ips: list[str], errors: list[str]) -> list[str]:
    """Canonical, de-duplicated addresses; anything else is reported and dropped."""
    valid: list[str] = []
    for ip in ips:
        try:
            canonical = str(ipaddress.ip_address(ip.strip().strip("[]")))
        except ValueError:
            errors.append(f"capture: {ip!r} is not an IP address")
            continue
        if canonical not in valid:
            valid.append(canonical)
    return valid


def _ip_facts(ip: str, rdap: RdapClient | None, offline: OfflineIpData, memo: Memo | None = None) -> IpFacts:
    if memo is not None and ip in memo.ips:
        return memo.ips[ip]
    facts = IpFacts(ip=ip, offline=offline.lookup(ip))
    if rdap is not None:
        try:
            facts.rdap = rdap.lookup_ip(ip)
        except RdapLookupError as exc:
            facts.rdap_error = str(exc)
    if memo is not None:
        memo.ips[ip] = facts
    return facts


def _pick(record: HostingRecord, field: str, *candidates: tuple[object, str | None]) -> None:
    """Set `field` from the first candidate with a value, and record its source."""
    for value, source in candidates:
        if value not in (None, "", []):
            setattr(record, field, value)
            if source:
                record.sources[field] = source
            return


def _fill_owner_fields(record: HostingRecord, facts: IpFacts) -> None:
    owner, offline = facts.rdap, facts.offline
    off_src = offline.sources if offline else {}
    _pick(record, "country", (owner and owner.country, "rdap"),
          (offline and offline.country, off_src.get("country")))
    _pick(record, "asn", (owner and owner.asn, "rdap"), (offline and offline.asn, off_src.get("asn")))
    _pick(record, "as_name", (offline and offline.as_name, off_src.get("as_name")))
    _pick(record, "provider", (owner and owner.registrant_org, "rdap"), (owner and owner.network_name, "rdap"),
          (offline and offline.as_name, off_src.get("as_name")))
    _pick(record, "abuse_emails", (owner and owner.abuse_emails, "rdap"))
    record.abuse_email = record.abuse_emails[0] if record.abuse_emails else None
    if record.abuse_email:
        record.sources["abuse_email"] = "rdap"
    _pick(record, "cidr", (owner and owner.cidr, "rdap"), (offline and offline.prefix, off_src.get("prefix")))
    _pick(record, "network_name", (owner and owner.network_name, "rdap"))


def _apply_cdn(record: HostingRecord, cdns: CdnDirectory) -> None:
    chain = record.dns.cname_chain if record.dns else []
    match = None
    candidates: list[str | None] = list(record.ips) or [None]  # no IP: the CNAME alone can tell
    for ip in candidates:
        match = cdns.match(ip, chain, record.asn)
        if match:
            break
    if match is None:
        return
    record.cdn, record.cdn_match, record.behind_cdn = match.name, match, True
    record.sources["cdn"] = "cdn-list"
    # The edge's country says nothing about where the content is stored.
    record.country = None
    record.sources.pop("country", None)


def locate(
    url: str,
    *,
    connected_ips: list[str] | None = None,
    nameservers: list[str] | None = None,
    dns_timeout: float = 2.0,
    dns_retries: int = 2,
    extra_suffixes: tuple[str, ...] = (),
    rdap: RdapClient | None = None,
    offline: OfflineIpData | None = None,
    cdn: CdnDirectory | None = None,
    platforms: PlatformDirectory | None = None,
    memo: Memo | None = None,
) -> HostingRecord:
    """The hosting record of `url`. DNS/RDAP failures end up in `errors`, never as exceptions.

    `connected_ips` are the addresses the capture actually connected to (preferred over DNS);
    `rdap=None` means offline data only. Raises ValueError only for a URL without a host.
    """
    offline = offline or OfflineIpData()
    parts = registrable_domain(host_of(url), extra_suffixes)
    record = HostingRecord(url=url, host=parts.host, registrable_domain=parts.registrable, suffix=parts.suffix)
    if parts.registrable:
        record.sources["registrable_domain"] = "tldextract"
    if parts.is_ip:
        record.ips, record.sources["ips"] = [parts.host], "url"
    else:
        cached = memo.dns.get(parts.host) if memo is not None else None
        record.dns = cached or resolve_host(parts.host, nameservers, dns_timeout, dns_retries, extra_suffixes)
        if memo is not None:
            memo.dns[parts.host] = record.dns
        if record.dns.error:
            record.errors.append(f"dns: {record.dns.error}")
        captured = _valid_ips(connected_ips or [], record.errors)
        if captured:
            record.ips, record.sources["ips"] = captured, "capture"
        elif record.dns.addresses:
            record.ips, record.sources["ips"] = record.dns.addresses, "dns"
    if not record.ips:
        record.errors.append(f"no IP address known for {parts.host}")
    record.owners = [_ip_facts(ip, rdap, offline, memo) for ip in record.ips[:MAX_IPS]]
    record.errors.extend(f"rdap: {f.rdap_error}" for f in record.owners if f.rdap_error)
    if record.owners:
        _fill_owner_fields(record, record.owners[0])
    _apply_cdn(record, cdn or _default_cdns())
    record.country_status = (
        "unknown-behind-cdn" if record.behind_cdn else "known" if record.country else "unknown"
    )
    record.platform = (platforms or _default_platforms()).match(parts.host)
    if record.platform:
        record.sources["platform"] = "platform-list"
    return record
