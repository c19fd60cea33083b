"""Embedded media in an HTML page: the URLs a browser would load to show its images and videos."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector

_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
_XPATHS = [
    "//img/@src",
    "//img/@data-src",
    "//video/@src",
    "//video/@poster",
    "//video/source/@src",
    "//audio/source/@src",
    "//picture/source/@src",
    "//input[@type='image']/@src",
    ("//meta[@property='og:image' or @property='og:image:url' or @property='og:image:secure_url'"
    " or @name='twitter:image' or @property='og:video' or @property='og:video:url']/@content"),
    "//link[@rel='image_src']/@href",
]
_SRCSET_XPATHS = ["//img/@srcset", "//img/@data-srcset", "//picture/source/@srcset", "//source/@srcset"]


def parse_srcset(value: str) -> list[str]:
    """Candidate URLs of a srcset attribute, split as the HTML standard does (commas may be in URLs)."""
    urls, pos, n = [], 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # skip the descriptors up to the next comma outside parentheses
            depth = 0
            while pos < n and (value[pos] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[pos], 0)
                pos += 1
        if url:
            urls.append(url)
    return urls


def css_urls(style: str) -> list[str]:
    return [m.group(2).strip() for m in _CSS_URL.finditer(style) if m.group(2).strip()]


def media_urls(html: str, base_url: str) -> list[str]:
    """Absolute URLs of embedded media, in document order of kind, without duplicates."""
    selector = Selector(text=html, base_url=base_url)
    base = selector.xpath("//base/@href").get()
    found: list[str] = []
    for xpath in _XPATHS:
        found.extend(v.strip() for v in selector.xpath(xpath).getall())
    for xpath in _SRCSET_XPATHS:
        for value in selector.xpath(xpath).getall():
            found.extend(parse_srcset(value))
    for style in selector.xpath("//@style").getall():
        found.extend(css_urls(style))
    root = urljoin(base_url, base.strip()) if base else base_url
    seen: dict[str, None] = {}
    for raw in found:
        if raw and not raw.startswith("#"):
            seen.setdefault(urljoin(root, raw), None)
    return list(seen)
