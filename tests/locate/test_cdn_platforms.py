"""CDN detection (CNAME, ranges, ASN) and platform recognition (domain), shipped lists plus extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.locate.cdn import CdnDirectory, CdnProvider
from hotline.locate.platforms import PlatformDirectory


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


def test_a_local_file_adds_providers_and_changes_only_what_it_sets(tmp_path: Path) -> None:
    local = tmp_path / "cdn-local.toml"
    local.write_text(
        '[[provider]]\nname = "Cloudflare"\nabuse_email = "trusted-flagger@cloudflare.example"\n\n'
        '[[provider]]\nname = "Local Proxy SRL"\nabuse_email = "abuse@proxy.example"\n'
        'asns = [64500]\ncname_suffixes = ["*.edge.proxy.example"]\nranges = ["198.51.100.0/24"]\n\n'
        '[[provider]]\nname = "Fastly"\ndisabled = true\n'
    )
    cdns = CdnDirectory.load([local])
    # the shipped Cloudflare keeps its ranges and takes the local contact
    cloudflare = cdns.match("104.16.0.1", [])
    assert cloudflare is not None and cloudflare.abuse_email == "trusted-flagger@cloudflare.example"
    local_proxy = cdns.match("5.2.130.10", ["a.edge.proxy.example"])
    assert local_proxy is not None and (local_proxy.name, local_proxy.abuse_email) == ("Local Proxy SRL",
                                                                                      "abuse@proxy.example")
    assert "Fastly" not in {provider.name for provider in cdns.providers}


def test_a_list_a_local_entry_sets_replaces_the_shipped_list(tmp_path: Path) -> None:
    local = tmp_path / "cdn-local.toml"
    local.write_text('[[provider]]\nname = "Cloudflare"\nranges = ["192.0.2.0/24"]\n')
    cdns = CdnDirectory.load([local])
    assert cdns.match("192.0.2.7", []).name == "Cloudflare"  # type: ignore[union-attr]
    assert cdns.match("104.16.0.1", []) is None  # a shipped Cloudflare range, replaced


def test_a_mistake_in_a_local_file_is_one_line_naming_file_line_and_key(tmp_path: Path) -> None:
    from hotline.datafiles import FileProblems

    local = tmp_path / "cdn-local.toml"
    local.write_text('[[provider]]\nname = "Local"\nranges = ["not-a-network"]\nabuse_mail = "typo"\n')
    with pytest.raises(FileProblems) as caught:
        CdnDirectory.load([local])
    assert any(p.startswith(f"{local}:3: provider \"Local\", key ranges") for p in caught.value.problems)
    assert any(p.startswith(f"{local}:4: provider \"Local\", key abuse_mail: unknown key")
               for p in caught.value.problems)


def test_only_configured_list_when_shipped_is_left_out() -> None:
    cdns = CdnDirectory([CdnProvider(name="Mine", ranges=["198.51.100.0/24"])])
    assert cdns.match("104.16.0.1", []) is None and cdns.match("198.51.100.9", []).name == "Mine"  # type: ignore[union-attr]


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
    local = tmp_path / "platforms-local.toml"
    local.write_text('[[platform]]\nname = "Forum RO"\nsite_type = "forum"\ndomains = ["forum-synth.ro"]\n'
                     'report_url = "https://forum-synth.ro/report"\n\n'
                     '[[platform]]\nname = "Imgur (trusted flagger)"\nsite_type = "image-host"\n'
                     'domains = ["imgur.com"]\nabuse_email = "flagger@imgur.example"\n')
    directory = PlatformDirectory.load([local])
    forum = directory.match("www.forum-synth.ro")
    assert forum is not None and forum.report_url == "https://forum-synth.ro/report"
    imgur = directory.match("i.imgur.com")
    assert imgur is not None and imgur.abuse_email == "flagger@imgur.example"


def test_the_locate_stage_reads_the_configured_lists(tmp_path: Path, make_hotline) -> None:  # type: ignore[no-untyped-def]
    from hotline.pipeline.locate import locator

    cdn, platforms = tmp_path / "cdn.toml", tmp_path / "platforms.toml"
    cdn.write_text('[[provider]]\nname = "Local Proxy SRL"\nranges = ["198.51.100.0/24"]\n')
    platforms.write_text('[[platform]]\nname = "Forum RO"\nsite_type = "forum"\ndomains = ["forum-synth.ro"]\n')
    service = locator(make_hotline(cdn_files=[cdn], platform_files=[platforms]))
    assert service.cdn.match("198.51.100.1", []).name == "Local Proxy SRL"  # type: ignore[union-attr]
    assert service.platforms.match("forum-synth.ro").name == "Forum RO"  # type: ignore[union-attr]


def test_rules_check_validates_a_cdn_or_platform_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli import app as cli_app

    good, bad = tmp_path / "cdn.toml", tmp_path / "platforms.toml"
    good.write_text('[[provider]]\nname = "Local Proxy SRL"\nranges = ["198.51.100.0/24"]\n')
    bad.write_text('[[platform]]\nname = "Forum RO"\ndomains = ["forum-synth.ro"]\n')
    assert CliRunner().invoke(cli_app, ["rules", "check", str(good)]).exit_code == 0
    checked = CliRunner().invoke(cli_app, ["rules", "check", str(bad)])
    assert checked.exit_code == 1 and f'{bad}:1: platform "Forum RO", key site_type: Field required' in checked.stderr
