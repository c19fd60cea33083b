"""CDN detection (CNAME, ranges, ASN) and platform recognition (domain), shipped lists plus extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.locate.cdn import CdnDirectory, CdnProvider
from hotline.locate.platforms import Platform, PlatformDirectory


@pytest.fixture(scope="module")
def cdns() -> CdnDirectory:
    return CdnDirectory.load()


@pytest.mark.parametrize(("cname", "provider"), [
    ("gallery.example.com.cdn.cloudflare.net", "Cloudflare"),
    ("d111111abcdef8.cloudfront.net", "Amazon CloudFront"),
    ("e1234.a.akamaiedge.net", "Akamai"),
    ("dualstack.j.sni.global.fastly.net", "Fastly"),
    ("ghs.googlehosted.com", "Google"),
])
def test_cname_into_a_cdn_namespace(cdns: CdnDirectory, cname: str, provider: str) -> None:
    match = cdns.match("5.2.130.10", ["www.example-synth.ro", cname])
    assert match is not None
    assert (match.name, match.matched_by) == (provider, "cname")
    assert cname in match.evidence


@pytest.mark.parametrize(("ip", "provider"), [
    ("104.16.132.229", "Cloudflare"),
    ("2606:4700::6810:84e5", "Cloudflare"),
    ("151.101.1.69", "Fastly"),
    ("13.224.10.20", "Amazon CloudFront"),
    ("23.45.67.89", "Akamai"),
    ("142.250.185.78", "Google"),
])
def test_edge_address_in_published_ranges(cdns: CdnDirectory, ip: str, provider: str) -> None:
    match = cdns.match(ip, [])
    assert match is not None and (match.name, match.matched_by) == (provider, "range")


def test_asn_is_the_weakest_evidence(cdns: CdnDirectory) -> None:
    match = cdns.match("5.2.130.10", [], asn=13335)
    assert match is not None and (match.name, match.matched_by) == ("Cloudflare", "asn")


def test_ordinary_hosting_is_not_a_cdn(cdns: CdnDirectory) -> None:
    assert cdns.match("5.2.130.10", ["origin.example-synth.ro"], asn=8708) is None
    # All of Amazon shares AS16509: the AS alone must not mark an EC2 host as CloudFront.
    assert cdns.match("3.120.0.10", [], asn=16509) is None


def test_cdn_abuse_channel_is_recorded(cdns: CdnDirectory) -> None:
    match = cdns.match("104.16.132.229", [])
    assert match is not None
    assert match.abuse_email == "abuse@cloudflare.com" and match.report_url


def test_extra_ranges_and_providers_from_a_file(tmp_path: Path) -> None:
    extra = tmp_path / "cdn-extra.toml"
    extra.write_text(
        '[[provider]]\nname = "Cloudflare"\nranges = ["192.0.2.0/24"]\n\n'
        '[[provider]]\nname = "Local Proxy SRL"\nabuse_email = "abuse@proxy.example"\n'
        'asns = [64500]\ncname_suffixes = ["*.edge.proxy.example"]\nranges = ["198.51.100.0/24"]\n'
    )
    cdns = CdnDirectory.load(extra_files=[extra], extra=[CdnProvider(name="Other", asns=[64501])])
    assert cdns.match("192.0.2.7", []).name == "Cloudflare"  # type: ignore[union-attr]
    assert cdns.match("104.16.0.1", []).name == "Cloudflare"  # type: ignore[union-attr]  # shipped kept
    local = cdns.match("5.2.130.10", ["a.edge.proxy.example"])
    assert local is not None and (local.name, local.abuse_email) == ("Local Proxy SRL", "abuse@proxy.example")
    assert cdns.match("5.2.130.10", [], asn=64501).name == "Other"  # type: ignore[union-attr]


def test_only_configured_list_when_shipped_is_left_out() -> None:
    cdns = CdnDirectory.load(extra=[CdnProvider(name="Mine", ranges=["198.51.100.0/24"])], include_shipped=False)
    assert cdns.match("104.16.0.1", []) is None


@pytest.fixture(scope="module")
def platforms() -> PlatformDirectory:
    return PlatformDirectory.load()


@pytest.mark.parametrize(("host", "name", "site_type"), [
    ("i.imgur.com", "Imgur", "image-host"),
    ("mega.nz", "MEGA", "file-locker"),
    ("drive.google.com", "Google Drive", "file-locker"),
    ("someone.blogspot.com", "Blogger", "blog-host"),
    ("www.facebook.com", "Facebook", "social-network"),
    ("t.me", "Telegram", "messaging"),
])
def test_platform_recognised_by_domain(platforms: PlatformDirectory, host: str, name: str, site_type: str) -> None:
    match = platforms.match(host)
    assert match is not None and (match.name, match.site_type) == (name, site_type)
    assert match.report_url or match.abuse_email


def test_ordinary_sites_are_not_platforms(platforms: PlatformDirectory) -> None:
    assert platforms.match("gallery-ro.example-synth.ro") is None
    assert platforms.match("www.google.com") is None  # only listed Google services count


def test_configured_platform_is_added_and_can_take_a_domain_over(tmp_path: Path) -> None:
    extra = tmp_path / "platforms-extra.toml"
    extra.write_text('[[platform]]\nname = "Forum RO"\nsite_type = "forum"\ndomains = ["forum-synth.ro"]\n'
                     'report_url = "https://forum-synth.ro/report"\n')
    directory = PlatformDirectory.load(
        extra_files=[extra],
        extra=[Platform(name="Imgur (trusted flagger)", site_type="image-host", domains=["imgur.com"],
                        abuse_email="flagger@imgur.example")],
    )
    forum = directory.match("www.forum-synth.ro")
    assert forum is not None and forum.report_url == "https://forum-synth.ro/report"
    imgur = directory.match("i.imgur.com")
    assert imgur is not None and imgur.abuse_email == "flagger@imgur.example"
