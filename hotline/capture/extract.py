"""Embedded media in an HTML page: the URLs a browser would load to show its images and videos."""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
_META_MEDIA = (
    "@property='og:image' or @property='og:image:url' or @property='og:image:secure_url'"
    " or @name='twitter:image' or @property='og:video' or @property='og:video:url'"
)
_MEDIA_PATHS = (
    "//img/@src", "//img/@data-src", "//img/@srcset", "//img/@data-srcset",
    "//video/@src", "//video/@poster", "//video/source/@src", "//audio/source/@src",
    "//picture/source/@src", "//source/@srcset", "//input[@type='image']/@src",
    f"//meta[{_META_MEDIA}]/@content", "//link[@rel='image_src']/@href", "//@style", "//base/@href",
)  # fmt: skip
_MEDIA_XPATH = " | ".join(_MEDIA_PATHS)  # one union query: one pass over the tree
_SRCSET_ATTRIBUTES = {"srcset", "data-srcset"}


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
    """Absolute URLs of embedded media, in document order, without duplicates."""
    if not html.strip():
        return []
    root = Selector(text=html, base_url=base_url).root
    base, found = base_url, []
    for value in root.xpath(_MEDIA_XPATH):  # one pass over the tree; attribute values in document order
        name = value.attrname
        if name == "href" and value.getparent().tag == "base":
            base = urljoin(base_url, value.strip())
        elif name in _SRCSET_ATTRIBUTES:
            found.extend(parse_srcset(value))
        elif name == "style":
            found.extend(css_urls(value))
        else:
            found.append(value.strip())
    seen: dict[str, None] = {}
    for raw in found:
        if raw and not raw.startswith("#"):
            seen.setdefault(urljoin(base, raw), None)
    return list(seen)


_LINK_XPATH = "//a/@href | //area/@href | //iframe/@src | //frame/@src | //base/@href"


def within_domain(url: str, domain: str) -> bool:
    """Whether an http(s) URL's host is `domain` (a registrable domain) or a name under it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    return parts.scheme in ("http", "https") and (host == domain or host.endswith("." + domain))


MAX_LINKS = 2000  # per page: a page of a million links must not make a million frontier rows


def page_links(html: str, base_url: str, domain: str, limit: int = MAX_LINKS) -> list[str]:
    """Absolute URLs of the pages a page links to within `domain`, in document order, without fragments or
    duplicates, at most `limit` (a discovery crawl follows them; media are not links, see media_urls)."""
    if not html.strip():
        return []
    root = Selector(text=html, base_url=base_url).root
    base, seen = base_url, dict[str, None]()
    for value in root.xpath(_LINK_XPATH):
        raw = value.strip()
        if value.attrname == "href" and value.getparent().tag == "base":
            base = urljoin(base_url, raw)
            continue
        if not raw or raw.startswith(("#", "javascript:", "mailto:", "data:")):
            continue
        url = urldefrag(urljoin(base, raw)).url
        if within_domain(url, domain):
            seen.setdefault(url, None)
            if len(seen) >= limit:
                break
    return list(seen)
