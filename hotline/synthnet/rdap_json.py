"""RDAP JSON documents in the shapes the five regional registries really use (RFC 9083 plus habits).

Each registry has its own style, copied from real responses:
- ARIN: NET- handles, no top-level country, cidr0 and originas0 extensions, the registrant org entity
  carries the abuse/technical contacts as nested entities (the abuse e-mail is one level down).
- RIPE NCC and APNIC: "first - last" handles, country, an abuse-role entity at the top level (RIPE's
  abuse-c, APNIC's IRT) next to technical/administrative contacts and a registrant org.
- LACNIC: the prefix as handle, lower-case type, the abuse contact at the top level and the org with
  the same contact nested again.
- AFRINIC: "first - last" handles, upper-case type, parentHandle, contacts with roles and a `lang`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hotline.synthnet.networks import Network

PORT43 = {"arin": "whois.arin.net", "ripencc": "whois.ripe.net", "apnic": "whois.apnic.net",
          "lacnic": "whois.lacnic.net", "afrinic": "whois.afrinic.net"}
SUFFIX = {"arin": "ARIN", "ripencc": "RIPE", "apnic": "AP", "lacnic": "LACNIC", "afrinic": "AFRINIC"}
TYPES = {"arin": "DIRECT ALLOCATION", "ripencc": "ASSIGNED PA", "apnic": "ALLOCATED PORTABLE",
         "lacnic": "allocated", "afrinic": "ASSIGNED PA"}
CONFORMANCE = {"arin": ["nro_rdap_profile_0", "rdap_level_0", "cidr0", "arin_originas0"],
               "ripencc": ["nro_rdap_profile_0", "cidr0", "rdap_level_0", "redacted"],
               "apnic": ["nro_rdap_profile_0", "cidr0", "rdap_level_0"],
               "lacnic": ["rdap_level_0", "cidr0", "nro_rdap_profile_0"],
               "afrinic": ["rdap_level_0"]}


def vcard(name: str, kind: str, email: str | None = None, country: str = "", phone: str | None = None,
          org: str | None = None) -> list[Any]:
    """A jCard (RFC 7095) array as registries emit it."""
    fields: list[list[Any]] = [["version", {}, "text", "4.0"], ["fn", {}, "text", name], ["kind", {}, "text", kind]]
    if org:
        fields.append(["org", {}, "text", org])
    fields.append(["adr", {"label": f"1 Synthetic Street\n{country}"}, "text",
                   ["", "", "1 Synthetic Street", "", "", "", country]])
    if email:
        fields.append(["email", {}, "text", email])
    if phone:
        fields.append(["tel", {"type": ["work", "voice"]}, "uri", f"tel:{phone}"])
    return ["vcard", fields]


def _handle(network: Network, role: str) -> str:
    """Contact handles in the registry's own spelling (ABUSE1-ARIN, AR123-RIPE, IRT-X-AP...)."""
    base = network.key.replace("-", "")
    suffix = SUFFIX[network.registry]
    if role == "abuse" and network.registry == "apnic":
        return f"IRT-{base}-{network.country}"
    if role == "registrant":
        return f"ORG-{base[:4]}1-{suffix}" if network.registry != "arin" else f"{base[:5]}{network.asn % 100}"
    return f"{role[:2].upper()}{network.asn % 1000}-{suffix}"


def entity(network: Network, role: str, nested: list[dict[str, Any]] | None = None,
           with_card: bool = True) -> dict[str, Any]:
    handle = _handle(network, role)
    document: dict[str, Any] = {"objectClassName": "entity", "handle": handle, "roles": [role]}
    if with_card:
        if role == "registrant":
            card = vcard(network.org, "org", country=network.country)
        elif role == "abuse":
            card = vcard(f"{network.org} Abuse", "group", email=network.abuse_email, country=network.country,
                         phone="+1-555-0100")
        else:
            card = vcard(f"{network.org} NOC", "group", email=network.abuse_email.replace("abuse@", "noc@"),
                         country=network.country)
        document["vcardArray"] = card
    if nested:
        document["entities"] = nested
    document["links"] = [{"rel": "self", "type": "application/rdap+json",
                          "href": f"https://rdap.example-registry.invalid/entity/{handle}"}]
    if network.registry == "afrinic":
        document["lang"] = "en"
    return document


def _bounds(network: Network, cidr: str) -> tuple[str, str]:
    block = ipaddress.ip_network(cidr)
    return str(block.network_address), str(block.broadcast_address)


def _network_handle(network: Network, first: str, last: str, cidr: str) -> str:
    if network.registry == "arin":
        return network.handle
    if network.registry == "lacnic":
        return cidr
    return f"{first} - {last}"


def _entities(network: Network) -> list[dict[str, Any]]:
    registrant = entity(network, "registrant")
    abuse, technical = entity(network, "abuse"), entity(network, "technical")
    if network.registry == "arin":  # contacts hang below the org
        registrant["entities"] = [abuse, technical]
        return [registrant]
    if network.registry == "lacnic":  # the abuse contact appears at the top and again below the org
        registrant["entities"] = [entity(network, "abuse")]
        return [abuse, registrant]
    return [registrant, abuse, technical]


def ip_network_document(network: Network, address: str, self_url: str) -> dict[str, Any]:
    """The /ip/<address> answer for an address inside `network` (its IPv4 or IPv6 block)."""
    ip = ipaddress.ip_address(address)
    cidr = network.cidr if ip.version == 4 else str(network.ipv6)
    first, last = _bounds(network, cidr)
    block = ipaddress.ip_network(cidr)
    registry = network.registry
    document: dict[str, Any] = {
        "rdapConformance": CONFORMANCE[registry],
        "notices": [{"title": "Terms and Conditions",
                     "description": ["Synthetic registry data for tests; no real registry wrote it."],
                     "links": [{"rel": "terms-of-service", "type": "text/html",
                                "href": "https://rdap.example-registry.invalid/terms"}]}],
        "objectClassName": "ip network",
        "handle": _network_handle(network, first, last, cidr),
        "startAddress": first,
        "endAddress": last,
        "ipVersion": f"v{ip.version}",
        "name": network.name,
        "type": TYPES[registry],
        "entities": _entities(network),
        "links": [{"rel": "self", "type": "application/rdap+json", "href": self_url, "value": self_url}],
        "events": [{"eventAction": "registration", "eventDate": "2012-03-14T09:21:00Z"},
                   {"eventAction": "last changed", "eventDate": "2024-11-02T16:05:41Z"}],
        "port43": PORT43[registry],
        "status": ["active"],
        "cidr0_cidrs": [{f"v{ip.version}prefix": str(block.network_address), "length": block.prefixlen}],
    }
    if registry != "arin":
        document["country"] = network.country
    else:
        document["arin_originas0_originautnums"] = [network.asn]
    if registry in ("afrinic", "apnic"):
        document["parentHandle"] = f"{block.supernet(new_prefix=8).network_address} - 255.255.255.255" \
            if ip.version == 4 else str(block.supernet(new_prefix=12))
    if registry == "afrinic":
        document["lang"] = "en"
    return document


def autnum_document(network: Network, self_url: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "rdapConformance": ["rdap_level_0"],
        "objectClassName": "autnum",
        "handle": f"AS{network.asn}",
        "startAutnum": network.asn,
        "endAutnum": network.asn,
        "name": network.name.split("-")[0] + "-AS" if network.registry != "arin" else network.name,
        "type": "DIRECT ALLOCATION" if network.registry == "arin" else "active",
        "status": ["active"],
        "entities": _entities(network),
        "links": [{"rel": "self", "type": "application/rdap+json", "href": self_url, "value": self_url}],
        "port43": PORT43[network.registry],
    }
    if network.registry != "arin":
        document["country"] = network.country
    return document


def all_entities(network: Network) -> list[dict[str, Any]]:
    """Every entity of a network, nested ones included (for /entity/<handle>)."""
    found: list[dict[str, Any]] = []
    pending = list(_entities(network))
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.get("entities", []))
    return found


def error_document(status: int, title: str) -> dict[str, Any]:
    return {"rdapConformance": ["rdap_level_0"], "errorCode": status, "title": title, "description": [title]}
