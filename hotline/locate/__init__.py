"""Hosting location: DNS, RDAP, offline IP data, registrable domains, CDN and platform awareness.

`locate(url, ...)` returns a HostingRecord; the parts are usable alone.
"""

from hotline.locate.cache import MemoryRdapCache, RdapCache
from hotline.locate.cdn import CdnDirectory, CdnMatch, CdnProvider
from hotline.locate.dns import DnsAnswer, resolve_host
from hotline.locate.domains import DomainParts, registrable_domain
from hotline.locate.locate import HostingRecord, IpFacts, locate
from hotline.locate.offline import OfflineInfo, OfflineIpData
from hotline.locate.platforms import Platform, PlatformDirectory, PlatformMatch
from hotline.locate.rdap import IpOwner, RdapClient, RdapLookupError

__all__ = [
    "CdnDirectory", "CdnMatch", "CdnProvider", "DnsAnswer", "DomainParts", "HostingRecord", "IpFacts",
    "IpOwner", "MemoryRdapCache", "OfflineInfo", "OfflineIpData", "Platform", "PlatformDirectory",
    "PlatformMatch", "RdapCache", "RdapClient", "RdapLookupError", "locate", "registrable_domain",
    "resolve_host",
]
