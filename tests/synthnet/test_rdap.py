"""The synthetic RDAP server answers in the registries' real shapes, which ipwhois parses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from ipwhois.net import Net
from ipwhois.rdap import RDAP

from hotline.synthnet import SyntheticInternet

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "rdap" / "ipwhois-rdap-samples.json"


def get(net: SyntheticInternet, path: str) -> requests.Response:
    return requests.get(net.rdap_url + path, timeout=5)


def parse(address: str, document: dict[str, Any], registry: str) -> dict[str, Any]:
    return RDAP(Net(address)).lookup(response=document, asn_data={"asn_registry": registry},  # type: ignore[no-any-return]
                                     root_ent_check=False)


def abuse_emails(document: dict[str, Any]) -> list[str]:
    """Abuse e-mails at any depth of the entity tree, as a careful client reads them."""
    found: list[str] = []
    pending = list(document.get("entities", []))
    while pending:
        entity = pending.pop()
        pending.extend(entity.get("entities", []))
        if "abuse" in entity.get("roles", []):
            found += [f[3] for f in entity.get("vcardArray", ["vcard", []])[1] if f[0] == "email"]
    return found


@pytest.mark.parametrize(("address", "registry", "country", "cidr"), [
    ("5.2.130.10", "ripencc", "RO", "5.2.128.0/17"),
    ("145.97.2.10", "ripencc", "NL", "145.97.0.0/16"),
    ("66.96.130.10", "arin", None, "66.96.128.0/18"),
    ("210.130.2.10", "apnic", "JP", "210.130.0.0/16"),
    ("200.147.2.10", "lacnic", "BR", "200.147.0.0/16"),
    ("196.25.2.10", "afrinic", "ZA", "196.25.0.0/16"),
    ("2a02:2f00::10", "ripencc", "RO", "2a02:2f00::/32"),
])
def test_each_registry_style_parses_with_ipwhois(net: SyntheticInternet, address: str, registry: str,
                                                  country: str | None, cidr: str) -> None:
    response = get(net, f"ip/{address}")

    result = parse(address, response.json(), registry)

    assert response.headers["Content-Type"] == "application/rdap+json"
    assert result["network"]["cidr"] == cidr and result["network"]["country"] == country
    assert response.json()["port43"].startswith("whois.")
    assert len(set(abuse_emails(response.json()))) == 1


def test_arin_keeps_the_abuse_contact_nested_under_the_org(net: SyntheticInternet) -> None:
    document = get(net, "ip/66.96.130.10").json()

    top_roles = [role for entity in document["entities"] for role in entity["roles"]]
    nested_roles = [role for entity in document["entities"][0]["entities"] for role in entity["roles"]]

    assert "abuse" not in top_roles and "abuse" in nested_roles
    assert abuse_emails(document) == ["abuse@synthetic-hosting.example"]


def test_cdn_range_is_the_cdn(net: SyntheticInternet) -> None:
    document = get(net, "ip/104.16.5.10").json()

    assert document["name"] == "CLOUDFLARENET" and document["arin_originas0_originautnums"] == [13335]


def test_unknown_network_is_404_in_rdap_form(net: SyntheticInternet) -> None:
    response = get(net, "ip/8.8.8.8")

    assert response.status_code == 404 and response.json()["errorCode"] == 404


def test_autnum_and_entity(net: SyntheticInternet) -> None:
    autnum = get(net, "autnum/13335").json()
    handle = autnum["entities"][0]["handle"]

    assert autnum["handle"] == "AS13335" and autnum["startAutnum"] == 13335
    assert get(net, f"entity/{handle}").json()["handle"] == handle
    assert get(net, "autnum/1").status_code == 404


def test_queries_are_counted(net: SyntheticInternet) -> None:
    for _ in range(3):
        get(net, "ip/5.2.130.10")
    get(net, "autnum/65501")

    assert net.rdap.ip_queries == 3 and len(net.rdap.queries) == 4


def test_rate_limit_answers_429_with_retry_after_then_recovers(net: SyntheticInternet) -> None:
    net.rdap.rate_limit(requests=2, retry_after=7)

    limited = [get(net, "ip/5.2.130.10") for _ in range(2)]

    assert [r.status_code for r in limited] == [429, 429] and limited[0].headers["Retry-After"] == "7"
    assert get(net, "ip/5.2.130.10").status_code == 200


def test_raw_document_wins_for_its_network(net: SyntheticInternet) -> None:
    net.rdap.serve_raw("5.2.130.0/24", {"objectClassName": "ip network", "handle": "RAW"})

    assert get(net, "ip/5.2.130.99").json()["handle"] == "RAW"
    assert get(net, "ip/5.2.131.1").json()["handle"] != "RAW"


@pytest.mark.skipif(not SAMPLES.exists(), reason=f"real RDAP samples not present at {SAMPLES}")
def test_real_registry_samples_are_served_verbatim(net: SyntheticInternet) -> None:
    samples = json.loads(SAMPLES.read_text())
    for address, sample in samples.items():
        net.rdap.serve_raw(address, sample["response"])

    for address, sample in samples.items():
        served = get(net, f"ip/{address}").json()
        assert served == sample["response"]
        assert parse(address, served, sample["asn_data"]["asn_registry"])["network"]["handle"]


def test_slow_mode_makes_a_client_time_out_then_answers_normally(net: SyntheticInternet) -> None:
    net.rdap.slow_down(requests=1, seconds=2)

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(net.rdap_url + "ip/5.2.130.10", timeout=0.2)

    assert get(net, "ip/5.2.130.10").status_code == 200
