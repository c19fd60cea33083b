"""The default sites give the demo and end-to-end tests realistic pages, hosting and hostile cases."""

from __future__ import annotations

import io
import ipaddress
import re
from collections.abc import Iterator

import dns.resolver
import pytest
import requests
from PIL import Image

from hotline.synthnet import DefaultSites, SyntheticInternet


@pytest.fixture(scope="module")
def world() -> Iterator[SyntheticInternet]:
    with SyntheticInternet() as running:
        yield running


@pytest.fixture
def sites(world: SyntheticInternet) -> DefaultSites:
    assert world.sites is not None
    return world.sites


@pytest.fixture
def via(world: SyntheticInternet) -> dict[str, str]:
    return {"http": world.proxy_url}


def resolver_for(world: SyntheticInternet) -> dns.resolver.Resolver:
    host, port = world.dns_nameserver.rsplit(":", 1)
    made = dns.resolver.Resolver(configure=False)
    made.nameservers, made.port, made.lifetime = [host], int(port), 1.0
    return made


def test_gallery_embeds_every_kind_of_media_and_they_decode(sites: DefaultSites, via: dict[str, str]) -> None:
    html = requests.get(sites.gallery_ro, proxies=via, timeout=5).text

    for marker in ("<img src=", "srcset=", "<picture><source", "<video", "og:image", "background-image:url("):
        assert marker in html
    still = [url for url in sites.gallery_images if not url.endswith((".gif", ".mp4"))]
    assert len(still) >= 3
    for url in sites.gallery_images:
        image = Image.open(io.BytesIO(requests.get(url, proxies=via, timeout=5).content))
        image.load()


@pytest.mark.parametrize(("key", "country"), [("gallery_ro", "RO"), ("forum_nl", "NL")])
def test_demo_sites_are_hosted_where_rdap_says(world: SyntheticInternet, sites: DefaultSites,
                                               key: str, country: str) -> None:
    host = re.sub(r"^http://([^/]+)/.*$", r"\1", sites.urls()[key])
    address = resolver_for(world).resolve(host, "A")[0].address

    owner = requests.get(f"{world.rdap_url}ip/{address}", timeout=5).json()

    assert owner["country"] == country


def test_platform_site_is_an_image_host_in_the_us(world: SyntheticInternet, sites: DefaultSites) -> None:
    address = resolver_for(world).resolve("imgur.com", "A")[0].address

    owner = requests.get(f"{world.rdap_url}ip/{address}", timeout=5).json()

    assert sites.platform_us.startswith("http://imgur.com/")
    assert owner["port43"] == "whois.arin.net"


def test_cdn_site_resolves_through_a_cloudflare_cname(world: SyntheticInternet, sites: DefaultSites,
                                                      via: dict[str, str]) -> None:
    answer = resolver_for(world).resolve("stiri-sintetice.ro", "A")

    assert str(answer.canonical_name).endswith(".cdn.cloudflare.net.")
    assert ipaddress.ip_address(answer[0].address) in ipaddress.ip_network("104.16.0.0/13")
    assert requests.get(sites.cdn_site, proxies=via, timeout=5).status_code == 200


def test_removable_image_goes_and_comes_back(world: SyntheticInternet, sites: DefaultSites,
                                            via: dict[str, str]) -> None:
    host, path = sites.removable_image
    world.remove(host, path, status=410)
    gone = requests.get(f"http://{host}{path}", proxies=via, timeout=5).status_code
    world.restore(host, path)

    assert gone == 410
    assert requests.get(f"http://{host}{path}", proxies=via, timeout=5).status_code == 200


def test_redirect_chain_ends_at_the_gallery(sites: DefaultSites, via: dict[str, str]) -> None:
    response = requests.get(sites.redirect_chain, proxies=via, timeout=5)

    assert [hop.status_code for hop in response.history] == [301, 302, 303]
    assert response.status_code == 200 and "Galerie sintetica" in response.text


def test_disguised_page_needs_the_right_referer(sites: DefaultSites, via: dict[str, str]) -> None:
    plain = requests.get(sites.disguised, proxies=via, timeout=5).text
    referred = requests.get(sites.disguised, proxies=via, headers={"Referer": sites.disguised_referer},
                            timeout=5).text

    assert "Nothing here" in plain and "<img" in referred


def test_followed_redirects_to_private_targets_hit_the_private_listener(world: SyntheticInternet,
                                                                      sites: DefaultSites,
                                                                      via: dict[str, str]) -> None:
    before = world.private_hits
    names = ["redirect_to_private_literal", "redirect_to_private_name", "redirect_to_lan",
             "redirect_to_metadata", "redirect_to_decimal_loopback"]

    for name in names:
        requests.get(sites.hostile[name], proxies=via, timeout=5)

    assert world.private_hits - before == len(names)


def test_image_bomb_is_refused_by_pillow(sites: DefaultSites, via: dict[str, str]) -> None:
    body = requests.get(sites.hostile["image_bomb"], proxies=via, timeout=5).content

    assert len(body) < 100_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(body))


def test_demo_urls_are_three_benign_pages(world: SyntheticInternet, sites: DefaultSites) -> None:
    assert len(sites.demo_urls) == 3
    assert set(sites.demo_urls) <= set(world.default_urls().values())


def test_iterating_the_catalogue_gives_the_demo_urls(sites: DefaultSites) -> None:
    assert list(sites) == sites.demo_urls
