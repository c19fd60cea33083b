"""Resolving destinations: directory entries, contacts found by the locate stage, unlisted platforms."""

from __future__ import annotations

import pytest

from hotline.rules import Directory, Facts, SiteType, evaluate
from hotline.rules.facts import inhope_site_type

from .builders import assessed, behind_cdn, hosted_in


def proposals_for(facts: Facts, ruleset, directory) -> dict[str, tuple[str | None, str | None]]:
    return {p.destination_id: (p.channel, p.endpoint) for p in evaluate(facts, ruleset, directory).proposals}


def test_contact_found_by_locate_stands_in_for_an_unconfigured_endpoint(ruleset, directory) -> None:
    facts = Facts(classification=assessed("baseline"),
                  hosting=behind_cdn("Cloudflare", cdn_abuse_channel="https://abuse.cloudflare.example/"))

    assert proposals_for(facts, ruleset, directory) == {
        # the rules name no channel for a contact they found: the outbox picks it by kind and address
        "cdn-cloudflare": (None, "https://abuse.cloudflare.example/")
    }


def test_configured_endpoint_wins_over_the_found_contact(write, ruleset) -> None:
    admin = write("d.toml", '[[destination]]\nid = "platform-meta"\nchannel = "email"\nendpoint = "tf@meta.example"\n')
    facts = Facts(classification=assessed("other-harmful"),
                  hosting=hosted_in("US", platform="Facebook", reporting_channel="https://fb.example/help"))

    assert proposals_for(facts, ruleset, Directory.load([admin])) == {"platform-meta": ("email", "tf@meta.example")}


def test_unlisted_platform_is_proposed_with_the_contact_found(ruleset, directory) -> None:
    facts = Facts(classification=assessed("adult-minors"),
                  hosting=hosted_in("NZ", platform="Pixhost", reporting_channel="abuse@pixhost.example"))

    assert proposals_for(facts, ruleset, directory) == {"platform:pixhost": (None, "abuse@pixhost.example")}


def test_host_notice_goes_to_the_abuse_contact(ruleset, directory) -> None:
    facts = Facts(classification=assessed("baseline"),
                  hosting=hosted_in("RO", provider="Gazduire SRL", abuse_email="abuse@gazduire.example"))

    assert proposals_for(facts, ruleset, directory)["hosting-provider:gazduire-srl"] == (
        None, "abuse@gazduire.example"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [("image-host", SiteType.IMAGE_HOST), ("file-locker", SiteType.FILE_HOST), ("blog-host", SiteType.BLOG),
     ("Social Network", SiteType.SOCIAL_NETWORK), ("web_archive", SiteType.WEB_ARCHIVE), ("spaceship", None),
     (None, None)],
)
def test_site_types_from_other_stages_map_to_inhope(name, expected) -> None:
    assert inhope_site_type(name) == expected


def test_hosting_facts_take_other_stages_site_type_names() -> None:
    from hotline.rules import HostingFacts

    assert HostingFacts(site_type="file-locker").site_type == SiteType.FILE_HOST
    assert HostingFacts(site_type="something-new").site_type is None
