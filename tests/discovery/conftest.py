"""The synthetic internet of the discovery tests: a gallery site (and a subdomain) whose pages link to each
other, to a mirror host and inward, some showing known Pillow-drawn pictures; and a hotline pointed at it
with those pictures on a trusted list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fingerprints import fingerprint_bytes
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import image_bytes, reencoded_copy

SITE = "galerie-discover.ro"
SUB = f"poze.{SITE}"
MIRROR = "oglinda-synth.nl"
KNOWN = (501, 502, 503, 504, 505)
LOOPBACK_ONLY = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as synthetic:
        for host in (SITE, SUB, MIRROR):
            synthetic.add_host(host, country="NL")
        private = synthetic.private_address
        port = synthetic.private_port
        synthetic.add_host(f"intern.{SITE}", ips=[private])
        synthetic.add_host(f"meta.{SITE}", ips=["169.254.169.254"])
        synthetic.add_rebinding(f"rebind.{SITE}")
        synthetic.add_page(f"rebind.{SITE}", "/", html="<p>rebinding</p>")
        planted = "".join(f"<a href='{url}'>x</a>" for url in (
            f"http://intern.{SITE}:{port}/secret", f"http://meta.{SITE}/latest/meta-data/",
            f"http://rebind.{SITE}:{port}/", f"http://127.0.0.2:{port}/", f"http://2130706434:{port}/",
            "http://169.254.169.254/", f"http://[::ffff:127.0.0.2]:{port}/", "file:///etc/passwd",
        ))
        inward_media = (f"<img src='http://127.0.0.2:{port}/i.png'><img src='http://intern.{SITE}:{port}/i.png'>"
                        f"<img src='http://0x7f.2:{port}/j.png'>")
        page = synthetic.add_page
        # depth 0: the seed, with a known picture and every way out
        page(SITE, "/g/1", html=f"<img src='/i/k1.png'><img src='/i/n1.png'>{inward_media}"
             f"<a href='/g/2'>2</a><a href='/g/3#top'>3</a><a href='http://{SUB}/g/4'>4</a>"
             f"<a href='http://{MIRROR}/m/1'>mirror</a>{planted}")
        # depth 1
        page(SITE, "/g/2", html=f"<img src='http://{MIRROR}/i/k2.png'><a href='/g/1'>1</a><a href='/g/5'>5</a>")
        page(SITE, "/g/3", html="<img src='/i/n2.png'><a href='/g/6'>6</a><a href='/g/2'>2</a>")
        page(SUB, "/g/4", html=f"<img src='/i/k3.jpg'><a href='http://{SITE}/g/7'>7</a>")
        # depth 2
        page(SITE, "/g/5", html="<img src='/i/k4.png'><a href='/g/8'>8</a>")
        page(SITE, "/g/6", html="<img src='/i/n3.png'>")
        page(SITE, "/g/7", html="<p>no pictures</p>")
        # depth 3: beyond the default depth
        page(SITE, "/g/8", html="<img src='/i/k5.png'>")
        # the mirror's own page: never crawled
        page(MIRROR, "/m/1", html="<img src='/i/k5.png'>")
        synthetic.add_image(SITE, "/i/k1.png", seed=501)
        synthetic.add_image(MIRROR, "/i/k2.png", seed=502)
        synthetic.add_bytes(SUB, "/i/k3.jpg", reencoded_copy(503), "image/jpeg")
        synthetic.add_image(SITE, "/i/k4.png", seed=504)
        synthetic.add_image(SITE, "/i/k5.png", seed=505)
        synthetic.add_image(MIRROR, "/i/k5.png", seed=505)
        for n, seed in ((1, 901), (2, 902), (3, 903)):
            synthetic.add_image(SITE, f"/i/n{n}.png", seed=seed)
        yield synthetic


def make_app(make_hotline: Any, net: SyntheticInternet, tmp_path: Path, **settings: Any) -> Any:
    from hotline.matching.lists import import_list

    settings.setdefault("discovery_per_host_rate", 10.0)
    app = make_hotline(dns_nameservers=[net.dns_nameserver], rdap_url=net.rdap_url, egress_proxy=net.proxy_url,
                       # The synthetic proxy enforces nothing (it stands for a careless proxy): with the checked
                       # address pinned in the request line the guard alone must keep the crawl out.
                       capture_pin_through_proxy=True,
                       direct_connect_only=LOOPBACK_ONLY, discovery_enabled=True, capture_max_seconds=10,
                       **settings)
    listing = tmp_path / "known.csv"
    rows = [fingerprint_bytes(image_bytes(seed)) for seed in KNOWN]
    listing.write_text("sha256,pdq\n" + "".join(f"{f.sha256},{f.pdq}\n" for f in rows))
    with app.db.session() as session:
        import_list(session, listing, name="verified", verdict="baseline", trusted=True, confirmations=2)
    return app
