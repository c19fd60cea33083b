"""Turning a rule's `to = ...` into a concrete destination for one item."""

from __future__ import annotations

from dataclasses import dataclass

from forwarders.base import DestinationKind
from hotline.rules.directory import Destination, Directory
from hotline.rules.facts import Facts
from hotline.rules.schema import Route


@dataclass(frozen=True)
class Target:
    """Where a proposal goes: a directory entry, or one made up from the hosting facts."""

    id: str
    kind: DestinationKind
    name: str
    channel: str | None  # the directory's channel; None: the outbox picks one by kind and address
    endpoint: str | None

    @classmethod
    def of(cls, destination: Destination, found_contact: str | None = None) -> Target:
        """A directory entry; a contact the locate stage found stands in for an unconfigured endpoint."""
        endpoint = destination.endpoint
        channel: str | None = destination.channel
        if not destination.configured and found_contact:
            endpoint, channel = found_contact, None
        return cls(destination.id, destination.kind, destination.name, channel, endpoint)


class Unresolved(Exception):
    """The route has no destination for these facts; the message says why, in plain words."""


def resolve(to: str, facts: Facts, directory: Directory) -> Target:
    if to == Route.PARTNER_HOTLINE:
        return _partner(facts, directory)
    if to == Route.POLICE:
        police = directory.of_kind_in_country(DestinationKind.POLICE, facts.our_country)
        if police is None:
            raise Unresolved(f"the directory has no police destination for {facts.our_country}")
        return Target.of(police)
    if to == Route.PLATFORM:
        return _platform(facts, directory)
    if to == Route.HOSTING_PROVIDER:
        return _hosting_provider(facts)
    if to == Route.CDN_ABUSE:
        return _cdn(facts, directory)
    destination = directory.get(to)
    if destination is None:
        raise Unresolved(f"the directory has no destination {to!r}")
    return Target.of(destination)


def _partner(facts: Facts, directory: Directory) -> Target:
    country = facts.hosting.country
    if country is None:
        raise Unresolved("the hosting country is unknown, so there is no partner hotline to choose")
    if country == facts.our_country:
        raise Unresolved("the content is hosted in our own country; we are its hotline")
    partner = directory.partner_for_country(country)
    if partner is None:
        raise Unresolved(f"the directory has no INHOPE member hotline for {country}")
    return Target.of(partner)


def _platform(facts: Facts, directory: Directory) -> Target:
    platform = facts.hosting.platform
    if platform is None:
        raise Unresolved("the content is not on a recognised platform")
    found = facts.hosting.reporting_channel
    known = directory.named(DestinationKind.PLATFORM, platform)
    if known is not None:
        return Target.of(known, found)
    # A platform the directory does not list: use the channel the locate stage found, if any.
    return Target(f"platform:{_slug(platform)}", DestinationKind.PLATFORM, platform, None, found)


def _hosting_provider(facts: Facts) -> Target:
    hosting = facts.hosting
    name = hosting.provider or hosting.abuse_email or "unknown hosting provider"
    return Target(
        f"hosting-provider:{_slug(name)}", DestinationKind.HOSTING_PROVIDER, name, None, hosting.abuse_email
    )


def _cdn(facts: Facts, directory: Directory) -> Target:
    cdn = facts.hosting.cdn
    if not facts.hosting.behind_cdn:
        raise Unresolved("the content is not behind a CDN")
    found = facts.hosting.cdn_abuse_channel
    known = directory.named(DestinationKind.CDN, cdn) if cdn else None
    if known is not None:
        return Target.of(known, found)
    name = cdn or "unknown CDN"
    return Target(f"cdn:{_slug(name)}", DestinationKind.CDN, name, None, found)


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or "unknown"
