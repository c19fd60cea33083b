"""Turn one RDAP IP-network response into an IpOwner, using ipwhois's parser.

ipwhois parses only the root-level entities unless it is allowed to fetch more (it is not:
`root_ent_check=False`, depth 0). Abuse contacts often sit one level down (ARIN and APNIC nest
the abuse role under the organisation), so the entity tree is flattened to the root first.
"""

from __future__ import annotations

import copy
from typing import Any

from ipwhois import Net
from ipwhois.rdap import RDAP
from pydantic import BaseModel, Field

from hotline.locate.bootstrap import registry_of
from hotline.locate.countries import country_code

_IPWHOIS_REGISTRIES = {"arin", "ripencc", "apnic", "lacnic", "afrinic"}


class IpOwner(BaseModel):
    """Who holds the network an IP address belongs to, as its registry tells it."""

    ip: str
    handle: str | None = None  # registry's network handle, e.g. "NET-74-125-0-0-1"
    network_name: str | None = None
    cidr: str | None = None  # the first CIDR of the network's range
    cidrs: list[str] = Field(default_factory=list)  # all CIDRs covering start..end
    start_address: str | None = None
    end_address: str | None = None
    country: str | None = None  # ISO 3166 alpha-2, upper case
    country_from: str | None = None  # "network" or "registrant-address"
    registrant_org: str | None = None
    abuse_emails: list[str] = Field(default_factory=list)
    asn: int | None = None  # only when the response carries it (ARIN's origin AS extension)
    registry: str | None = None  # "arin", "ripencc", "apnic", "lacnic", "afrinic"
    source: str = "rdap"
    url: str | None = None  # where the response came from
    cached: bool = False


def _flatten_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every entity at every depth, each without its children and with a handle."""
    flat: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(items: list[dict[str, Any]]) -> None:
        for entity in items:
            if not isinstance(entity, dict):
                continue
            shallow = {key: value for key, value in entity.items() if key != "entities"}
            # ipwhois aborts the whole entity loop on a missing handle: invent one.
            shallow.setdefault("handle", f"_entity{len(flat)}")
            if shallow["handle"] in seen:
                _merge_roles(flat, shallow)
            else:
                seen.add(shallow["handle"])
                flat.append(shallow)
            walk(entity.get("entities") or [])

    walk(entities)
    return flat


def _merge_roles(flat: list[dict[str, Any]], duplicate: dict[str, Any]) -> None:
    """A handle met twice (LACNIC repeats contacts under the org) keeps the union of its roles."""
    for kept in flat:
        if kept["handle"] == duplicate["handle"]:
            roles = list(kept.get("roles") or [])
            kept["roles"] = roles + [r for r in duplicate.get("roles") or [] if r not in roles]
            if "vcardArray" not in kept and "vcardArray" in duplicate:
                kept["vcardArray"] = duplicate["vcardArray"]
            return


def _vcard_country(entity: dict[str, Any]) -> str | None:
    """The country of a vCard address: its "cc" parameter, else the label's last line."""
    try:
        properties = entity["vcardArray"][1]
    except (KeyError, IndexError, TypeError):
        return None
    for prop in properties:
        if not (isinstance(prop, list) and prop and prop[0] == "adr" and isinstance(prop[1], dict)):
            continue
        code = prop[1].get("cc")
        if isinstance(code, str) and len(code.strip()) == 2:
            return code.strip().upper()
        label = prop[1].get("label")
        if isinstance(label, str) and label.strip():
            return country_code(label.strip().splitlines()[-1])
    return None


def _registrant_country(entities: list[dict[str, Any]]) -> str | None:
    for entity in entities:
        if "registrant" in (entity.get("roles") or []):
            code = _vcard_country(entity)
            if code:
                return code
    return None


def _emails(contact: dict[str, Any] | None) -> list[str]:
    if not contact:
        return []
    return [str(item["value"]).strip().lower() for item in contact.get("email") or [] if item.get("value")]


def _abuse_emails(objects: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for entity in objects.values():
        if "abuse" in (entity.get("roles") or []):
            found.extend(e for e in _emails(entity.get("contact")) if e not in found)
    return found


def _registrant_org(objects: dict[str, Any]) -> str | None:
    registrants = [e for e in objects.values() if "registrant" in (e.get("roles") or [])]
    # An organisation's vCard beats an individual's.
    registrants.sort(key=lambda e: (e.get("contact") or {}).get("kind") != "org")
    for entity in registrants:
        name = (entity.get("contact") or {}).get("name")
        if name:
            return str(name).strip()
    return None


def _origin_asn(response: dict[str, Any]) -> int | None:
    origins = response.get("arin_originas0_originautnums") or []
    try:
        return int(origins[0]) if origins else None
    except (TypeError, ValueError):
        return None


def parse_rdap_response(
    ip: str, response: dict[str, Any], url: str | None = None, registry: str | None = None
) -> IpOwner:
    """Parse an RDAP /ip response with ipwhois; never performs network I/O.

    Raises ipwhois.exceptions.IPDefinedError for loopback/private/reserved addresses and
    ValueError when the response is not an RDAP IP network object.
    """
    if not isinstance(response, dict) or "startAddress" not in response:
        raise ValueError("not an RDAP IP network object (no startAddress)")
    registry = registry or registry_of(url) or registry_of(response.get("port43"))
    flat = copy.copy(response)
    flat["entities"] = _flatten_entities(response.get("entities") or [])
    asn_data = {"asn_registry": registry if registry in _IPWHOIS_REGISTRIES else "arin"}
    parsed = RDAP(Net(ip)).lookup(response=flat, asn_data=asn_data, root_ent_check=False)
    network = parsed.get("network") or {}
    objects = parsed.get("objects") or {}
    cidrs = [c.strip() for c in (network.get("cidr") or "").split(",") if c.strip()]
    country = network.get("country")
    country_from = "network" if country else None
    if not country:
        # ARIN's network objects carry no country; the holder's address does.
        country = _registrant_country(flat["entities"])
        country_from = "registrant-address" if country else None
    return IpOwner(
        ip=ip,
        handle=network.get("handle"),
        network_name=network.get("name"),
        cidr=cidrs[0] if cidrs else None,
        cidrs=cidrs,
        start_address=network.get("start_address"),
        end_address=network.get("end_address"),
        country=str(country).strip().upper() if country else None,
        country_from=country_from,
        registrant_org=_registrant_org(objects),
        abuse_emails=_abuse_emails(objects),
        asn=_origin_asn(response),
        registry=registry,
        url=url,
    )
