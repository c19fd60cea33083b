"""Body decoding with caps, media types, and which embedded media a page names."""

from __future__ import annotations

import gzip
import zlib

import pytest

from hotline.capture.content import BodyTooLarge, decode_body, media_type, type_allowed
from hotline.capture.extract import media_urls, parse_srcset


def test_gzip_and_deflate_bodies_are_decoded() -> None:
    payload = b"<html>" + b"a" * 1000 + b"</html>"
    assert decode_body(gzip.compress(payload), "gzip", 10_000) == payload
    assert decode_body(zlib.compress(payload), "deflate", 10_000) == payload
    raw = zlib.compressobj(wbits=-15)
    assert decode_body(raw.compress(payload) + raw.flush(), "deflate", 10_000) == payload


def test_a_gzip_bomb_stops_at_the_cap_without_inflating_everything() -> None:
    bomb = gzip.compress(bytes(50_000_000), compresslevel=9)  # ~50 kB on the wire
    with pytest.raises(BodyTooLarge, match="compression bomb"):
        decode_body(bomb, "gzip", 1_000_000)


def test_unknown_codings_are_kept_as_sent() -> None:
    assert decode_body(b"\x00\x01", "br", 10) == b"\x00\x01"


def test_media_type_trusts_the_header_and_sniffs_when_it_is_missing() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(20)
    assert media_type("image/jpeg; q=1", png) == "image/jpeg"
    assert media_type("", png) == "image/png"
    assert media_type("application/octet-stream", b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert type_allowed("image/webp", ["text/html", "image/*"])
    assert not type_allowed("application/zip", ["text/html", "image/*"])


def test_srcset_candidates_are_split() -> None:
    assert parse_srcset("a.jpg 1x, b.jpg 2x") == ["a.jpg", "b.jpg"]
    assert parse_srcset("/img/x,y.jpg 640w, /img/z.jpg 1280w") == ["/img/x,y.jpg", "/img/z.jpg"]


def test_every_kind_of_embedded_media_is_found_and_made_absolute() -> None:
    html = """<html><head>
      <meta property="og:image" content="https://cdn.example/og.jpg">
      </head><body>
      <img src="/a.png"><img srcset="b.png 1x, c.png 2x">
      <picture><source srcset="/d.webp"><img src="e.jpg"></picture>
      <video poster="/poster.jpg"><source src="/v.mp4" type="video/mp4"></video>
      <video src="w.webm"></video>
      <div style="background-image: url('/bg.jpg')"></div>
      <span style='background:url(f.gif) no-repeat'></span>
      <img src="/a.png">
    </body></html>"""
    urls = media_urls(html, "http://site.example/dir/page.html")
    assert set(urls) == {
        "https://cdn.example/og.jpg", "http://site.example/a.png", "http://site.example/dir/b.png",
        "http://site.example/dir/c.png", "http://site.example/d.webp", "http://site.example/dir/e.jpg",
        "http://site.example/poster.jpg", "http://site.example/v.mp4", "http://site.example/dir/w.webm",
        "http://site.example/bg.jpg", "http://site.example/dir/f.gif",
    }  # fmt: skip
    assert len(urls) == len(set(urls))


def test_base_href_changes_where_relative_media_point() -> None:
    html = '<html><head><base href="http://other.example/x/"></head><img src="i.png"></html>'
    assert media_urls(html, "http://site.example/") == ["http://other.example/x/i.png"]
