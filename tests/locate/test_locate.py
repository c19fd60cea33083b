"""locate(): the whole hosting record, against the synthetic internet's DNS and RDAP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from hotline.locate import HostingRecord, MemoryRdapCache, OfflineIpData, RdapClient, locate
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.networks import BY_KEY


@pytest.fixture(scope="module")
def net() -> Iterator[SyntheticInternet]:
    with SyntheticInternet(default_sites=False) as synthetic:
        yield synthetic


def _locate(net: SyntheticInternet, url: str, rdap: RdapClient | None = None, **kwargs: Any) -> HostingRecord:
    return locate(url, nameservers=[net.dns_nameserver], dns_timeout=1.0, dns_retries=0,
                  rdap=rdap if rdap is not None else RdapClient(net.rdap_url, timeout=2.0), **kwargs)


@pytest.mark.parametrize("key", ["RO", "NL", "DE", "US", "JP", "BR", "ZA"])
def test_hosting_record_in_each_registry_style(net: SyntheticInternet, key: str) -> None:
    # Given a site hosted on a network of one of the five registries
    network = BY_KEY[key]
    host = f"site-{key.lower()}.example-synth.ro"
    [ip] = net.add_host(host, country=key)

    # When it is located
    record = _locate(net, f"http://{host}/gallery?id=1")

    # Then the record names the owner, the country and the abuse desk, each from RDAP
    assert record.host == host and record.registrable_domain == "example-synth.ro"
    assert record.ips == [ip] and record.sources["ips"] == "dns"
    assert (record.country, record.country_status) == (network.country, "known")
    assert record.abuse_email == network.abuse_email  # ARIN's sits one entity down
    assert record.network_name == network.name
    assert record.cidr is not None and record.provider
    assert record.sources["country"] == record.sources["abuse_email"] == "rdap"
    assert not record.behind_cdn and record.platform is None
    assert record.errors == []
    assert record.dns is not None and record.dns.ns  # NS of the registrable domain
    if network.registry == "arin":  # ARIN's origin-AS extension carries the AS number
        assert (record.asn, record.sources["asn"]) == (network.asn, "rdap")


def test_capture_addresses_are_preferred_to_the_resolvers(net: SyntheticInternet) -> None:
    net.add_host("moved.example-synth.nl", country="NL")
    connected = net.pool.allocate("DE")
    record = _locate(net, "http://moved.example-synth.nl/", connected_ips=[connected])
    assert record.ips == [connected] and record.sources["ips"] == "capture"
    assert record.country == "DE"


def test_capture_addresses_are_checked(net: SyntheticInternet) -> None:
    [ip] = net.add_host("checked.example-synth.ro", country="RO")
    record = _locate(net, "http://checked.example-synth.ro/", connected_ips=["not-an-ip", ip, ip])
    assert record.ips == [ip]
    assert "capture: 'not-an-ip' is not an IP address" in record.errors


def test_cdn_fronted_host_is_flagged_with_the_cdns_abuse_channel(net: SyntheticInternet) -> None:
    # Given a site whose name is a CNAME into Cloudflare, answering with a Cloudflare edge address
    edge = "shop-ro.example-synth.ro.cdn.cloudflare.net"
    net.add_host(edge, country="CLOUDFLARE")
    net.add_cname("shop-ro.example-synth.ro", edge)

    record = _locate(net, "https://shop-ro.example-synth.ro/item")

    # Then it is behind a CDN, its country unknown, and the CDN's abuse desk recorded with evidence
    assert record.behind_cdn and record.cdn == "Cloudflare"
    assert (record.country, record.country_status) == (None, "unknown-behind-cdn")
    assert record.cdn_match is not None and record.cdn_match.abuse_email == "abuse@cloudflare.com"
    assert record.cdn_match.matched_by == "cname" and edge in record.cdn_match.evidence
    assert record.sources["cdn"] == "cdn-list" and "country" not in record.sources
    assert record.owners[0].rdap is not None and record.owners[0].rdap.country == "US"  # the edge, kept


def test_cdn_edge_without_cname_is_found_by_its_range(net: SyntheticInternet) -> None:
    net.add_host("direct-edge.example-synth.ro", country="FASTLY")
    record = _locate(net, "http://direct-edge.example-synth.ro/")
    assert record.cdn == "Fastly" and record.cdn_match and record.cdn_match.matched_by == "range"


def test_platform_content_is_recognised(net: SyntheticInternet) -> None:
    net.add_host("i.imgur.com", country="US")
    record = _locate(net, "https://i.imgur.com/abc.png")
    assert record.platform is not None
    assert (record.platform.name, record.platform.site_type) == ("Imgur", "image-host")
    assert record.sources["platform"] == "platform-list"


def test_rdap_down_falls_back_to_offline_data_and_says_so(net: SyntheticInternet) -> None:
    [ip] = net.add_host("fallback.example-synth.ro", country="RO")
    record = _locate(net, "http://fallback.example-synth.ro/", rdap=RdapClient("http://127.0.0.1:1/", timeout=0.5))
    assert record.ips == [ip]
    assert (record.country, record.sources["country"]) == ("RO", "offline:geoip2fast")
    assert record.provider and record.sources["provider"] == "offline:geoip2fast"
    assert record.abuse_email is None
    assert any(e.startswith("rdap: ") for e in record.errors)


def test_rdap_not_configured_uses_offline_data_only(net: SyntheticInternet) -> None:
    net.add_host("offline-only.example-synth.nl", country="NL")
    record = locate("http://offline-only.example-synth.nl/", nameservers=[net.dns_nameserver], dns_timeout=1.0,
                    rdap=None, offline=OfflineIpData())
    assert (record.country, record.sources["country"]) == ("NL", "offline:geoip2fast")
    assert record.errors == []


def test_rate_limited_registry_is_an_error_not_a_wait(net: SyntheticInternet) -> None:
    net.add_host("busy.example-synth.ro", country="RO")
    net.rdap.rate_limit(1, retry_after=120)
    record = _locate(net, "http://busy.example-synth.ro/")
    assert any("rate limited" in e for e in record.errors)
    assert record.country == "RO" and record.sources["country"] == "offline:geoip2fast"


def test_unknown_name_gives_a_record_with_the_dns_failure(net: SyntheticInternet) -> None:
    record = _locate(net, "http://gone.example-synth.ro/x")
    assert record.dns is not None and record.dns.status == "nxdomain"
    assert record.ips == [] and record.country_status == "unknown"
    assert any("no such domain" in e for e in record.errors)


def test_ten_thousand_urls_on_one_host_cost_one_rdap_query(net: SyntheticInternet) -> None:
    # Given one site, its neighbours on the same network, and a shared cache
    [ip] = net.add_host("busy-gallery.example-synth.ro", country="RO")
    neighbour = net.pool.allocate("RO")
    before = net.rdap.ip_queries
    client = RdapClient(net.rdap_url, cache=MemoryRdapCache())

    # When many of its URLs (addresses known from the capture) and a neighbour are located
    records = [
        locate(f"http://busy-gallery.example-synth.ro/p/{n}", connected_ips=[ip], nameservers=[net.dns_nameserver],
               rdap=client)
        for n in range(50)
    ]
    owners = [client.lookup_ip(ip) for _ in range(10_000)] + [client.lookup_ip(neighbour)]

    # Then the registry was asked once
    assert net.rdap.ip_queries - before == 1
    assert {r.abuse_email for r in records} == {BY_KEY["RO"].abuse_email}
    assert {o.network_name for o in owners} == {BY_KEY["RO"].name}


def test_ip_literal_url_skips_dns(net: SyntheticInternet) -> None:
    ip = net.pool.allocate("JP")
    record = _locate(net, f"http://{ip}:8080/x")
    assert record.dns is None and record.ips == [ip] and record.sources["ips"] == "url"
    assert record.country == "JP" and record.registrable_domain is None


def test_record_is_plain_json(net: SyntheticInternet) -> None:
    net.add_host("json.example-synth.ro", country="RO")
    record = _locate(net, "http://json.example-synth.ro/")
    data = json.loads(record.model_dump_json())
    assert data["country"] == "RO" and data["dns"]["status"] == "ok"
    assert HostingRecord.model_validate(data) == record


def test_hosting_columns_summarise_the_record(net: SyntheticInternet) -> None:
    net.add_host("cols.example-synth.ro.cdn.cloudflare.net", country="CLOUDFLARE")
    net.add_cname("cols.example-synth.ro", "cols.example-synth.ro.cdn.cloudflare.net")
    columns = _locate(net, "http://cols.example-synth.ro/").hosting_columns()
    assert (columns["cdn_name"], columns["behind_cdn"], columns["country"]) == ("Cloudflare", True, None)
    assert columns["country_status"] == "unknown-behind-cdn"
    assert columns["record"]["cdn_match"]["abuse_email"] == "abuse@cloudflare.com"
    json.dumps(columns)  # storable as JSON as it is


def test_url_without_host_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no host"):
        locate("http:///nothing", rdap=None)
