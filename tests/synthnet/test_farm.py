"""The site farm serves pages, images, redirects and errors by Host header, and can change at run time."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from hotline.synthnet import SyntheticInternet

HOST = "gallery.example-synth.ro"


def fetch(net: SyntheticInternet, host: str, path: str, **kwargs: object) -> requests.Response:
    """Straight to the farm on loopback, naming the site in the Host header."""
    return requests.get(f"http://127.0.0.1:{net.farm_port}{path}", headers={"Host": host},
                        allow_redirects=False, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_page_is_served_for_its_host_only(net: SyntheticInternet) -> None:
    net.add_page(HOST, "/", html="<h1>Galerie</h1>")

    assert fetch(net, HOST, "/").text == "<h1>Galerie</h1>"
    assert fetch(net, f"{HOST}:80", "/").status_code == 200
    assert fetch(net, "other.example-synth.ro", "/").status_code == 404


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_images_decode_and_are_deterministic(net: SyntheticInternet, fmt: str) -> None:
    net.add_image(HOST, "/a", seed=7, fmt=fmt)
    net.add_image(HOST, "/b", seed=7, fmt=fmt)
    net.add_image(HOST, "/c", seed=8, fmt=fmt)

    first, again, other = (fetch(net, HOST, p) for p in ("/a", "/b", "/c"))

    assert first.headers["Content-Type"] == f"image/{fmt.lower()}"
    assert Image.open(io.BytesIO(first.content)).format == fmt
    assert first.content == again.content != other.content


def test_animated_gif_has_several_frames(net: SyntheticInternet) -> None:
    net.add_image(HOST, "/anim.gif", seed=3, animated=True)

    image = Image.open(io.BytesIO(fetch(net, HOST, "/anim.gif").content))

    assert image.format == "GIF" and getattr(image, "n_frames", 1) > 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_statuses(net: SyntheticInternet, status: int) -> None:
    net.add_redirect(HOST, "/old", "/new", status=status)

    response = fetch(net, HOST, "/old")

    assert response.status_code == status and response.headers["Location"] == "/new"


@pytest.mark.parametrize("status", [404, 410, 500])
def test_removed_resource_answers_the_status_until_restored(net: SyntheticInternet, status: int) -> None:
    net.add_image(HOST, "/i.png", seed=1)
    before = fetch(net, HOST, "/i.png").content

    net.remove(HOST, "/i.png", status=status)
    removed = fetch(net, HOST, "/i.png")
    net.restore(HOST, "/i.png")

    assert removed.status_code == status
    assert fetch(net, HOST, "/i.png").content == before


def test_replaced_content_is_served_with_the_same_status(net: SyntheticInternet) -> None:
    net.add_image(HOST, "/i.png", seed=1)
    before = fetch(net, HOST, "/i.png").content

    net.add_image(HOST, "/i.png", seed=2)

    after = fetch(net, HOST, "/i.png")
    assert after.status_code == 200 and after.content != before


def test_hits_record_what_was_served(net: SyntheticInternet) -> None:
    net.add_page(HOST, "/p", html="x")

    fetch(net, HOST, "/p?x=1", )
    fetch(net, HOST, "/missing")

    assert net.hits == [(HOST, "/p?x=1"), (HOST, "/missing")]
    assert net.requests[0].headers["Host"] == HOST


def test_alias_is_served_as_its_cname_target(net: SyntheticInternet) -> None:
    net.add_host(HOST)
    net.add_cname(f"www.{HOST}", HOST)
    net.add_page(HOST, "/", html="home")

    assert fetch(net, f"www.{HOST}", "/").text == "home"


def test_head_has_headers_but_no_body(net: SyntheticInternet) -> None:
    net.add_image(HOST, "/i.png", seed=1)

    response = requests.head(f"http://127.0.0.1:{net.farm_port}/i.png", headers={"Host": HOST}, timeout=5)

    assert int(response.headers["Content-Length"]) > 0 and response.content == b""


def test_internationalised_host_is_matched_in_punycode(net: SyntheticInternet) -> None:
    net.add_page("știri-galerie.ro", "/", html="idn")

    assert fetch(net, "xn--tiri-galerie-6le.ro", "/").text == "idn"
