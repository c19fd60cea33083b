"""RDAP: real registry responses served on loopback, parsed through RdapClient, cached per network."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from hotline.locate.rdap import MemoryRdapCache, RdapClient, RdapLookupError
from hotline.locate.rdap_parse import parse_rdap_response

# What each real response must yield: (country, network name, CIDR, abuse e-mails).
EXPECTED = {
    "2a00:2381:ffff::1": ("GB", "BT-WORLD-IPVSIX-LAUNCH", "2a00:2381:ffff::/64",
                          ["zzdnsr@bt.com", "steve.a.marshall@bt.com", "lee.bailey-hague@bt.com"]),
    "2001:240:10c:1::ca20:9d1d": ("JP", "IIJ-JPNIC-JP-20000308", "2001:240::/32", []),
    "2001:43f8:7b0::": ("KE", "ORG-TA38-AFRINIC", "2001:43f8:7b0::/48", []),
    "62.239.237.1": ("GB", "BT-CORPORATE", "62.239.237.0/24",
                     ["zzdnsr@bt.com", "steve.a.marshall@bt.com", "lee.bailey-hague@bt.com"]),
    "200.57.141.161": ("MX", "Triara.com, S.A. de C.V.", "200.57.141.161/32", ["operacion.redes@triara.com"]),
    # ARIN: no country on the network; the registrant's address gives it. Abuse is nested under GOGL.
    "2001:4860:4860::8888": ("US", "GOOGLE-IPV6", "2001:4860::/32", ["arin-contact@google.com"]),
    "210.107.73.73": ("KR", "BORANET-NET-210-107", "210.107.0.0/17", ["hostmaster@nic.or.kr"]),
    "2801:10:c000::": ("CO", "Universidad Catolica de Oriente", "2801:10:c000::/128",
                       ["sistemas.red@uco.edu.co"]),
    "74.125.225.229": ("US", "GOOGLE", "74.125.0.0/16", ["arin-contact@google.com"]),
    "196.11.240.215": ("ZA", "ORG-VSA1-AFRINIC", "196.11.239.0/24", []),
}


@pytest.mark.parametrize("ip", sorted(EXPECTED))
def test_real_registry_response_is_parsed_through_the_client(
    ip: str, rdap_samples: dict[str, Any], rdap_server: Any
) -> None:
    # Given a registry's real RDAP answer served on loopback
    rdap_server.add(rdap_samples[ip]["response"])
    client = RdapClient(rdap_server.url, timeout=2.0)

    # When the client looks the address up
    owner = client.lookup_ip(ip)

    # Then country, network name, CIDR and abuse contacts are those the registry published
    country, name, cidr, abuse = EXPECTED[ip]
    assert (owner.country, owner.network_name, owner.cidr, owner.abuse_emails) == (country, name, cidr, abuse)
    assert owner.source == "rdap" and owner.url == f"{rdap_server.url}ip/{ip}"
    assert rdap_server.queries == [f"/ip/{ip}"]


def test_all_five_registries_are_covered(rdap_samples: dict[str, Any]) -> None:
    registries = {sample["asn_data"]["asn_registry"] for sample in rdap_samples.values()}
    assert registries == {"arin", "ripencc", "apnic", "lacnic", "afrinic"}


def test_registrant_organisation_comes_from_the_registrant_entity(rdap_samples: dict[str, Any]) -> None:
    owner = parse_rdap_response("74.125.225.229", rdap_samples["74.125.225.229"]["response"])
    assert owner.registrant_org == "Google Inc."
    assert owner.country_from == "registrant-address"


def test_abuse_role_found_two_levels_down() -> None:
    # Given an abuse contact nested under a registrant nested under the network
    response = _network("5.2.128.0", "5.2.255.255", "DIGI-RO", "RO", entities=[{
        "handle": "ORG-1", "roles": ["registrant"],
        "vcardArray": ["vcard", [["fn", {}, "text", "Org One"], ["kind", {}, "text", "org"]]],
        "entities": [{"handle": "TECH-1", "roles": ["technical"], "entities": [
            {"handle": "AB-1", "roles": ["abuse"],
             "vcardArray": ["vcard", [["fn", {}, "text", "Abuse"], ["email", {}, "text", "Abuse@Org.example"]]]},
        ]}],
    }])
    owner = parse_rdap_response("5.2.130.10", response)
    assert owner.abuse_emails == ["abuse@org.example"]
    assert owner.registrant_org == "Org One"


def test_parsing_sends_no_packet(rdap_samples: dict[str, Any], loopback_only: list[Any]) -> None:
    # ipwhois's Net() builds a DNS resolver; parsing must not use it (nor anything else)
    for ip, sample in rdap_samples.items():
        parse_rdap_response(ip, sample["response"])
    assert loopback_only == []


def test_many_lookups_on_one_network_cost_one_query(rdap_samples: dict[str, Any], rdap_server: Any) -> None:
    # Given a /24 network at the registry and a shared cache
    rdap_server.add(rdap_samples["62.239.237.1"]["response"])
    client = RdapClient(rdap_server.url, cache=MemoryRdapCache())

    # When 10,000 URLs on one host and every other address of the network are located
    owners = [client.lookup_ip("62.239.237.1") for _ in range(10_000)]
    owners += [client.lookup_ip(str(ip)) for ip in ipaddress.ip_network("62.239.237.0/24")]

    # Then the registry was asked once, and every answer names the same network
    assert rdap_server.queries == ["/ip/62.239.237.1"]
    assert client.queries == 1
    assert {o.network_name for o in owners} == {"BT-CORPORATE"}
    assert owners[1].cached and not owners[0].cached


def test_ipv6_network_cache_covers_its_neighbours(rdap_samples: dict[str, Any], rdap_server: Any) -> None:
    rdap_server.add(rdap_samples["2a00:2381:ffff::1"]["response"])
    client = RdapClient(rdap_server.url)
    client.lookup_ip("2a00:2381:ffff::1")
    owner = client.lookup_ip("2a00:2381:ffff::dead:beef")
    assert owner.cached and owner.ip == "2a00:2381:ffff::dead:beef"
    assert len(rdap_server.queries) == 1


class _GetPutOnlyCache:
    """The minimal protocol: get and put, no get_many."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.gets = 0

    def get(self, key: str) -> dict[str, Any] | None:
        self.gets += 1
        return self.entries.get(key)

    def put(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        self.entries[key] = value


def test_a_get_put_only_cache_also_covers_the_network(rdap_samples: dict[str, Any], rdap_server: Any) -> None:
    cache = _GetPutOnlyCache()
    rdap_server.add(rdap_samples["196.11.240.215"]["response"])
    client = RdapClient(rdap_server.url, cache=cache)
    client.lookup_ip("196.11.240.215")
    # The range 196.11.239.0 - 196.11.246.255 is four CIDRs; an address in another of them is covered too
    owner = client.lookup_ip("196.11.239.7")
    assert owner.cached and owner.network_name == "ORG-VSA1-AFRINIC"
    assert len(rdap_server.queries) == 1
    assert "rdap:net:196.11.239.0/24" in cache.entries


def test_cache_is_shared_between_clients_and_expires(rdap_samples: dict[str, Any], rdap_server: Any) -> None:
    now = [0.0]
    cache = MemoryRdapCache(clock=lambda: now[0])
    rdap_server.add(rdap_samples["210.107.73.73"]["response"])
    RdapClient(rdap_server.url, cache=cache, ttl_seconds=60).lookup_ip("210.107.73.73")

    RdapClient(rdap_server.url, cache=cache, ttl_seconds=60).lookup_ip("210.107.1.2")
    assert len(rdap_server.queries) == 1

    now[0] = 61.0
    RdapClient(rdap_server.url, cache=cache, ttl_seconds=60).lookup_ip("210.107.1.2")
    assert len(rdap_server.queries) == 2


def test_unknown_network_is_a_clear_not_found_and_is_remembered(rdap_server: Any) -> None:
    client = RdapClient(rdap_server.url)
    for _ in range(3):
        with pytest.raises(RdapLookupError) as failure:
            client.lookup_ip("5.2.130.10")
        assert failure.value.kind == "not-found"
        assert "5.2.130.10" in str(failure.value) and "\n" not in str(failure.value)
    assert rdap_server.queries == ["/ip/5.2.130.10"]


def test_registry_redirect_is_followed(rdap_samples: dict[str, Any], rdap_server: Any) -> None:
    # Given a registry that sends the client to the one holding the space (as the RIRs do)
    from .conftest import LoopbackRdap

    with LoopbackRdap() as holder:
        holder.add(rdap_samples["62.239.237.1"]["response"])
        rdap_server.redirect_to = holder.url
        owner = RdapClient(rdap_server.url).lookup_ip("62.239.237.1")
    assert owner.network_name == "BT-CORPORATE"
    assert owner.url == f"{holder.url}ip/62.239.237.1"  # where the answer really came from
    assert len(rdap_server.queries) == len(holder.queries) == 1


def test_environment_proxies_are_not_used(
    rdap_samples: dict[str, Any], rdap_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy variable meant for something else must not divert (or break) registry queries
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    rdap_server.add(rdap_samples["62.239.237.1"]["response"])
    assert RdapClient(rdap_server.url).lookup_ip("62.239.237.1").country == "GB"


def test_silent_server_times_out_quickly(rdap_server: Any) -> None:
    rdap_server.silent = True
    client = RdapClient(rdap_server.url, timeout=0.3)
    with pytest.raises(RdapLookupError) as failure:
        client.lookup_ip("5.2.130.10")
    assert failure.value.kind == "timeout"


def test_unreachable_server_is_reported() -> None:
    with pytest.raises(RdapLookupError) as failure:
        RdapClient("http://127.0.0.1:1/", timeout=1.0).lookup_ip("5.2.130.10")
    assert failure.value.kind == "unreachable"


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "fe80::1"])
def test_private_addresses_are_not_sent_to_a_registry(ip: str, rdap_server: Any) -> None:
    with pytest.raises(RdapLookupError) as failure:
        RdapClient(rdap_server.url).lookup_ip(ip)
    assert failure.value.kind == "not-public"
    assert rdap_server.queries == []


def test_non_rdap_answer_is_invalid(rdap_server: Any) -> None:
    rdap_server.networks.append((ipaddress.ip_address("5.0.0.0"), ipaddress.ip_address("5.255.255.255"),
                                 {"hello": "world"}))
    with pytest.raises(RdapLookupError) as failure:
        RdapClient(rdap_server.url).lookup_ip("5.2.130.10")
    assert failure.value.kind == "invalid"


class _RecordingAdapter(BaseAdapter):
    """Answers every request itself: proves which URL was chosen without any network."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.body = body

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.urls.append(str(request.url))
        response = requests.Response()
        response.status_code, response.url, response.request = 200, str(request.url), request
        response._content = __import__("json").dumps(self.body).encode()
        return response

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("ip", "registry_url", "registry"), [
    ("62.239.237.1", "https://rdap.db.ripe.net/ip/62.239.237.1", "ripencc"),
    ("74.125.225.229", "https://rdap.arin.net/registry/ip/74.125.225.229", "arin"),
    ("200.57.141.161", "https://rdap.lacnic.net/rdap/ip/200.57.141.161", "lacnic"),
    ("2001:43f8:7b0::", "https://rdap.afrinic.net/rdap/ip/2001:43f8:7b0::", "afrinic"),
    ("210.107.73.73", "https://rdap.apnic.net/ip/210.107.73.73", "apnic"),
])
def test_without_base_url_the_shipped_bootstrap_picks_the_registry(
    ip: str, registry_url: str, registry: str, rdap_samples: dict[str, Any]
) -> None:
    adapter = _RecordingAdapter(rdap_samples[ip]["response"])
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)

    owner = RdapClient(None, session=session).lookup_ip(ip)

    assert adapter.urls == [registry_url]
    assert owner.registry == registry


def _network(start: str, end: str, name: str, country: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return {"objectClassName": "ip network", "handle": name, "startAddress": start, "endAddress": end,
            "name": name, "country": country, "ipVersion": "v4", "entities": entities}
