"""Default sites of the synthetic internet, for `hotline demo` and end-to-end tests.

Benign synthetic content only: every image is drawn by images.py. Domain names are invented, except
the image-host platform (imgur.com), whose real domain is used so that the product's shipped platform
list recognises it, and the CDN CNAME suffix (cdn.cloudflare.net) for the same reason. They exist only
in this net's DNS; nothing ever connects to the public-looking addresses.

| key            | what                                                                           |
|----------------|--------------------------------------------------------------------------------|
| gallery_ro     | RO-hosted gallery page: img, srcset, picture/source, og:image, CSS background, |
|                | video/source, an animated GIF and an image on a second host (static.)          |
| forum_nl       | NL-hosted forum thread with two images and one hot-linked from gallery_ro      |
| platform_us    | an album on imgur.com (US address): a content platform                         |
| cdn_site       | RO news site behind Cloudflare (CNAME to *.cdn.cloudflare.net, 104.16.0.0/13)  |
| removable      | a page whose image monitoring tests take down (remove/restore)                 |
| https_gallery  | gallery_ro over HTTPS (per-host certificate from the net's throw-away CA)      |
| redirect_chain | 301 -> 302 (to another host) -> 303 (relative) -> gallery page                 |
| disguised      | shows the gallery only with a Referer from the forum, else a decoy             |
| hostile_*      | oversized, gzip bomb, trickle, slow headers, hang, redirect loops, redirects   |
|                | to private addresses, rebinding, private DNS answers, DNS timeout/SERVFAIL/NX   |
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from hotline.synthnet import hostile
from hotline.synthnet.images import FORMATS

if TYPE_CHECKING:
    from hotline.synthnet.net import SyntheticInternet

GALLERY = "galerie-sintetica.ro"
FORUM = "forum.sintetisch-forum.nl"
PLATFORM = "imgur.com"
PLATFORM_MEDIA = "i.imgur.com"
CDN_SITE = "stiri-sintetice.ro"
CDN_EDGE = f"{CDN_SITE}.cdn.cloudflare.net"
REMOVABLE = "blog-temporar.ro"
HOSTILE = "capcana-sintetica.ro"
FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)  # header only; not playable


@dataclass
class DefaultSites:
    """URLs of the default sites (see the module docstring); `demo_urls` are three benign pages."""

    gallery_ro: str = ""
    gallery_images: list[str] = field(default_factory=list)
    forum_nl: str = ""
    platform_us: str = ""
    cdn_site: str = ""
    removable: str = ""
    removable_image: tuple[str, str] = ("", "")  # (host, path) for net.remove()/net.restore()
    redirect_chain: str = ""
    disguised: str = ""
    disguised_referer: str = ""
    https_gallery: str = ""  # the gallery over HTTPS (CONNECT :443 through the proxy)
    hostile: dict[str, str] = field(default_factory=dict)

    @property
    def demo_urls(self) -> list[str]:
        return [self.gallery_ro, self.forum_nl, self.platform_us]

    def __iter__(self) -> Iterator[str]:
        """Iterating gives the three demo URLs, so `list(net.sites)` is what a demo submits."""
        return iter(self.demo_urls)

    def urls(self) -> dict[str, str]:
        benign = {"gallery_ro": self.gallery_ro, "forum_nl": self.forum_nl, "platform_us": self.platform_us,
                  "cdn_site": self.cdn_site, "removable": self.removable, "redirect_chain": self.redirect_chain,
                  "disguised": self.disguised, "https_gallery": self.https_gallery}
        return benign | {f"hostile_{name}": url for name, url in self.hostile.items()}


def page(title: str, body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>{head}"
            f"</head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n")


def install_default_sites(net: SyntheticInternet) -> DefaultSites:
    sites = DefaultSites()
    _gallery(net, sites)
    _forum(net, sites)
    _platform(net, sites)
    _cdn(net, sites)
    _removable(net, sites)
    _hostile(net, sites)
    return sites


def _images(net: SyntheticInternet, host: str, first_seed: int, formats: list[str]) -> list[str]:
    urls = []
    for offset, fmt in enumerate(formats):
        extension = {"JPEG": "jpg"}.get(fmt, fmt.lower())
        urls.append(net.add_image(host, f"/media/{first_seed + offset}.{extension}", seed=first_seed + offset,
                                  fmt=fmt))
    return urls


def _gallery(net: SyntheticInternet, sites: DefaultSites) -> None:
    net.add_host(GALLERY, country="RO")
    net.add_cname(f"www.{GALLERY}", GALLERY)
    net.add_host(f"static.{GALLERY}", country="RO")
    png, jpg, webp, jpg2 = _images(net, GALLERY, 101, ["PNG", "JPEG", "WEBP", "JPEG"])
    background = _images(net, GALLERY, 105, ["PNG"])[0]
    static = net.add_image(f"static.{GALLERY}", "/cdn/106.png", seed=106)
    animated = net.add_image(GALLERY, "/media/anim.gif", seed=107, animated=True)
    net.add_bytes(GALLERY, "/media/clip.mp4", FAKE_MP4, "video/mp4")
    body = (f'<img src="/media/101.png" alt="one">\n'
            f'<img src="/media/102.jpg" srcset="/media/102.jpg 1x, /media/104.jpg 2x" alt="two">\n'
            f'<picture><source srcset="/media/103.webp" type="image/webp"><img src="/media/102.jpg"></picture>\n'
            f'<div style="background-image:url(\'/media/105.png\')">fundal</div>\n'
            f'<img src="{static}">\n<img src="/media/anim.gif">\n'
            f'<video controls><source src="/media/clip.mp4" type="video/mp4"></video>\n'
            f'<a href="/album/2">next</a>')
    head = f'<meta property="og:image" content="http://{GALLERY}/media/101.png">'
    sites.gallery_ro = net.add_page(GALLERY, "/album/1", page("Galerie sintetica", body, head))
    sites.https_gallery = sites.gallery_ro.replace("http://", "https://", 1)
    sites.gallery_images = [png, jpg, webp, jpg2, background, static, animated]
    net.add_page(GALLERY, "/", page("Galerie", '<a href="/album/1">album</a>'))
    net.add_redirect(GALLERY, "/go", f"http://www.{GALLERY}/go2", status=301)
    net.add_redirect(GALLERY, "/go2", f"http://static.{GALLERY}/go3", status=302)
    net.add_redirect(f"static.{GALLERY}", "/go3", "/album/1", status=303)
    net.add_page(f"static.{GALLERY}", "/album/1", page("Galerie sintetica", body.replace('"/media/', f'"http://{GALLERY}/media/'), head))
    sites.redirect_chain = net.url(GALLERY, "/go")


def _forum(net: SyntheticInternet, sites: DefaultSites) -> None:
    net.add_host(FORUM, country="NL")
    _images(net, FORUM, 201, ["JPEG", "PNG"])
    body = ('<div class="post"><p>Synthetic thread.</p><img src="/media/201.jpg"></div>\n'
            '<div class="post"><img src="media/202.png"></div>\n'
            f'<div class="post"><img src="http://{GALLERY}/media/101.png"></div>\n'
            f'<a href="http://{GALLERY}/secret/1">link</a>')
    sites.forum_nl = net.add_page(FORUM, "/thread/42", page("Synthetisch forum", body))
    sites.disguised_referer = sites.forum_nl
    sites.disguised = net.add_disguised(
        GALLERY, "/secret/1", page("Galerie privata", '<img src="/media/104.jpg">'),
        page("Bun venit", "<p>Nothing here.</p>"), referer_prefix=f"http://{FORUM}/")


def _platform(net: SyntheticInternet, sites: DefaultSites) -> None:
    net.add_host(PLATFORM, country="US")
    net.add_host(PLATFORM_MEDIA, country="US")
    images = [net.add_image(PLATFORM_MEDIA, f"/synth{n}.png", seed=300 + n) for n in range(1, 4)]
    body = "\n".join(f'<img src="{url}">' for url in images)
    head = f'<meta property="og:image" content="{images[0]}">'
    sites.platform_us = net.add_page(PLATFORM, "/a/synth01", page("Synthetic album", body, head))


def _cdn(net: SyntheticInternet, sites: DefaultSites) -> None:
    net.add_host(CDN_EDGE, ips=[net.pool.allocate("CLOUDFLARE"), "2606:4700::6810:10a"])
    net.add_cname(CDN_SITE, CDN_EDGE)
    net.add_cname(f"www.{CDN_SITE}", CDN_SITE)
    _images(net, CDN_SITE, 401, ["JPEG", "PNG"])
    body = '<article><img src="/media/401.jpg"><img src="/media/402.png"></article>'
    sites.cdn_site = net.add_page(CDN_SITE, "/articol/1", page("Stiri sintetice", body))


def _removable(net: SyntheticInternet, sites: DefaultSites) -> None:
    net.add_host(REMOVABLE, country="RO")
    net.add_image(REMOVABLE, "/img/501.png", seed=501)
    sites.removable = net.add_page(REMOVABLE, "/post/1", page("Blog temporar", '<img src="/img/501.png">'))
    sites.removable_image = (REMOVABLE, "/img/501.png")


def _hostile(net: SyntheticInternet, sites: DefaultSites) -> None:
    host = HOSTILE
    net.add_host(host, country="NL")
    private = net.private_url("/secret")
    endpoints = {
        "oversized": ("/huge.jpg", hostile.oversized()),
        "oversized_nolength": ("/huge-nolength.bin", hostile.oversized(declare_length=False)),
        "gzip_bomb": ("/bomb.html", hostile.gzip_bomb()),
        "trickle": ("/trickle.html", hostile.trickle()),
        "slow_headers": ("/slow-headers", hostile.slow_headers()),
        "hang": ("/hang", hostile.hang()),
    }
    for name, (path, response) in endpoints.items():
        sites.hostile[name] = net.add_response(host, path, response)
    sites.hostile["redirect_loop"] = net.add_redirect(host, "/loop", "/loop")
    net.add_redirect(host, "/loop-b", "/loop-a")
    sites.hostile["redirect_loop_pair"] = net.add_redirect(host, "/loop-a", "/loop-b")
    net.farm.put_prefix(host, "/endless", hostile.endless_redirects("/endless"))
    sites.hostile["endless_redirects"] = net.url(host, "/endless/0")
    # Names whose answers are not public: through the proxy they reach the private listener.
    net.add_host(f"intern.{host}", ips=[net.private_address])
    net.add_host(f"lan.{host}", ips=["10.0.0.5"])
    net.add_host(f"router.{host}", ips=["192.168.1.1"])
    net.add_host(f"metadata.{host}", ips=["169.254.169.254"])
    net.add_rebinding(f"rebind.{host}")
    net.add_page(f"rebind.{host}", "/", page("Rebind", "<p>public face</p>"))
    port = net.private_port
    targets = {"to_private_literal": private, "to_private_name": f"http://intern.{host}:{port}/secret",
               "to_lan": f"http://lan.{host}/admin", "to_metadata": "http://169.254.169.254/latest/meta-data/",
               "to_decimal_loopback": f"http://2130706433:{port}/"}
    for name, target in targets.items():
        sites.hostile[f"redirect_{name}"] = net.add_redirect(host, f"/redirect/{name}", target)
    sites.hostile["private_name"] = f"http://intern.{host}:{port}/secret"
    sites.hostile["metadata_name"] = f"http://metadata.{host}/latest/meta-data/"
    sites.hostile["rebinding"] = f"http://rebind.{host}:{port}/"
    net.add_dns_timeout(f"timeout.{host}")
    net.add_servfail(f"servfail.{host}")
    sites.hostile["dns_timeout"] = f"http://timeout.{host}/"
    sites.hostile["dns_servfail"] = f"http://servfail.{host}/"
    sites.hostile["dns_nxdomain"] = f"http://nxdomain.{host}/"
    sites.hostile["image_bomb"] = net.add_bytes(host, "/pixels.png", _pixel_bomb(), FORMATS["PNG"])


@lru_cache(maxsize=1)
def _pixel_bomb(side: int = 15000) -> bytes:
    """A ~30 KB PNG declaring side x side 1-bit pixels (225 M): Pillow's bomb guard must refuse it.

    Written chunk by chunk because letting Pillow build the image would take hundreds of MB.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = bytes(1 + (side + 7) // 8)  # filter byte + packed bits, all zero
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
