"""locate() on the synthetic internet's built-in sites: what `hotline demo` and the pipeline meet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hotline.locate import HostingRecord, RdapClient, locate
from hotline.synthnet import SyntheticInternet


@pytest.fixture(scope="module")
def net() -> Iterator[SyntheticInternet]:
    with SyntheticInternet() as synthetic:
        yield synthetic


def _locate(net: SyntheticInternet, url: str, **kwargs: Any) -> HostingRecord:
    return locate(url, nameservers=[net.dns_nameserver], dns_timeout=0.3, dns_retries=0,
                  rdap=RdapClient(net.rdap_url, timeout=2.0), **kwargs)


def test_romanian_gallery_is_hosted_in_romania(net: SyntheticInternet) -> None:
    record = _locate(net, net.sites.gallery_ro)
    assert (record.country, record.country_status, record.sources["country"]) == ("RO", "known", "rdap")
    assert record.abuse_email and not record.behind_cdn and record.platform is None


def test_dutch_forum_is_hosted_in_the_netherlands(net: SyntheticInternet) -> None:
    record = _locate(net, net.sites.forum_nl)
    assert record.country == "NL" and record.abuse_email


def test_cdn_site_is_behind_cloudflare(net: SyntheticInternet) -> None:
    record = _locate(net, net.sites.cdn_site)
    assert record.behind_cdn and record.cdn == "Cloudflare"
    assert record.country_status == "unknown-behind-cdn" and record.country is None
    assert record.cdn_match is not None and record.cdn_match.abuse_email == "abuse@cloudflare.com"


def test_image_host_album_is_platform_content(net: SyntheticInternet) -> None:
    record = _locate(net, net.sites.platform_us)
    assert record.platform is not None and record.platform.site_type == "image-host"


@pytest.mark.parametrize(("key", "status"), [
    ("dns_timeout", "timeout"), ("dns_servfail", "servfail"), ("dns_nxdomain", "nxdomain"),
])
def test_hostile_dns_names_give_distinct_failures(net: SyntheticInternet, key: str, status: str) -> None:
    record = _locate(net, net.sites.hostile[key])
    assert record.dns is not None and record.dns.status == status
    assert record.ips == [] and record.country_status == "unknown"
    assert record.errors
