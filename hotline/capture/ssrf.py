"""Address policy for outgoing connections: which hosts and IP addresses a capture may reach.

Two pure functions carry the policy; the Scrapy resolver and middlewares only call them:

* ``parse_host`` turns whatever a hostile URL puts in its host part into one canonical form, the
  way browsers (WHATWG URL standard) read it: ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and
  ``127.1`` are all ``127.0.0.1``; ``[::ffff:127.0.0.1]`` is an IPv6 literal; trailing dots and
  percent-escapes are removed. So a check sees the address the network stack would use.
* ``check_address`` refuses every address in the table of ``ranges.py`` (the same table the egress
  proxy's configuration is generated from), judging IPv6 forms that embed an IPv4 address (6to4,
  Teredo, NAT64) by the address inside.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

from hotline.capture.ranges import IPNetwork, Range, lookup

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_HOST_FORBIDDEN = set(" \t\r\n#/:<>?@[\\]^|%\"'`{}")
ALLOWED_SCHEMES = ("http", "https")


class HostError(ValueError):
    """The host part of a URL cannot be read as a host name or an IP address."""


def parse_networks(cidrs: Iterable[str]) -> list[IPNetwork]:
    """CIDR strings from the settings, as networks (a bare address is a /32 or /128)."""
    return [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip()]


def _parse_ipv4_number(part: str) -> int | None:
    """One dotted part as inet_aton reads it: 0x.. hex, 0.. octal, else decimal; None if not a number."""
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
        if digits == "":
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if digits.isalnum() and digits.isascii() else None
    except ValueError:
        return None


def _ends_in_number(labels: list[str]) -> bool:
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last[:2].lower() == "0x" and all(c in "0123456789abcdefABCDEF" for c in last[2:])


def _parse_ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """WHATWG IPv4 parser: 1 to 4 parts; the last part fills the remaining bytes."""
    if len(labels) > 4 or any(label == "" for label in labels):
        raise HostError("malformed IPv4 address")
    numbers = [_parse_ipv4_number(label) for label in labels]
    if any(n is None for n in numbers):
        raise HostError("malformed IPv4 address")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise HostError("IPv4 address out of range")
    total = values[-1]
    for index, n in enumerate(values[:-1]):
        total += n * 256 ** (3 - index)
    return ipaddress.IPv4Address(total)


def parse_host(host: str) -> str:
    """The canonical form of a URL host: a compressed IP literal or a lower-case ASCII domain.

    Raises HostError when the host is neither (empty, forbidden characters, malformed number).
    """
    text = unquote(host).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        if "%" in text:
            raise HostError("IPv6 zone identifiers are not allowed")
        try:
            return ipaddress.IPv6Address(text).compressed
        except ValueError as exc:
            raise HostError("malformed IPv6 address") from exc
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text).compressed
        except ValueError as exc:
            raise HostError("malformed host") from exc
    text = text.rstrip(".").lower()
    if not text or any(c in _HOST_FORBIDDEN for c in text):
        raise HostError("empty or malformed host")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise HostError("host is not a valid internationalised domain name") from exc
    labels = text.split(".")
    if _ends_in_number(labels):
        return str(_parse_ipv4(labels))
    if any(label == "" or len(label) > 63 for label in labels) or len(text) > 253:
        raise HostError("malformed domain name")
    return text


def as_ip(host: str) -> IPAddress | None:
    """The IP address a canonical host stands for, or None when it is a domain name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded(addr: ipaddress.IPv6Address, entry: Range) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 transition address carries (6to4, Teredo server and client, NAT64)."""
    if entry.embeds == "6to4" and addr.sixtofour is not None:
        return [addr.sixtofour]
    if entry.embeds == "Teredo" and addr.teredo is not None:
        server, client = addr.teredo
        return [client, server]
    return [ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)]  # NAT64: the last 32 bits


def _reason(addr: IPAddress) -> str | None:
    entry = lookup(addr)
    if entry is None:
        return None
    if entry.embeds is None or not isinstance(addr, ipaddress.IPv6Address):
        return entry.reason
    for inner in _embedded(addr, entry):
        inner_entry = lookup(inner)
        if inner_entry is not None:
            return f"{entry.reason} embedding a {inner_entry.reason} ({inner})"
    return None  # a public IPv4 address inside: as public as that address


def check_address(ip: str | IPAddress, allow: Iterable[IPNetwork] = ()) -> str | None:
    """None when a capture may connect to ``ip``, otherwise why not.

    ``allow`` lists networks the operator explicitly opened (HOTLINE_ALLOW_PRIVATE).
    """
    try:
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return f"not an IP address: {ip!r}"
    if any(addr.version == net.version and addr in net for net in allow):
        return None
    reason = _reason(addr)
    return f"{reason}: {addr}" if reason else None


def within(ip: str | IPAddress, networks: Iterable[IPNetwork]) -> bool:
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    return any(addr.version == net.version and addr in net for net in networks)


class UrlRefused(ValueError):
    """A URL that must not be fetched; the message is the reason recorded on the capture."""


def canonical_url(url: str) -> tuple[str, str]:
    """(url with its host in canonical form and any userinfo removed, canonical host).

    Raises UrlRefused for other schemes and missing or malformed hosts. Addresses are checked by the
    caller (``check_address``), after DNS, for every connection.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"malformed URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UrlRefused(f"scheme not allowed: {scheme or '(none)'}")
    raw_host = parts.netloc.rpartition("@")[2]
    if raw_host.startswith("["):
        raw_host = raw_host[: raw_host.index("]") + 1] if "]" in raw_host else raw_host
    elif ":" in raw_host:
        raw_host = raw_host.rsplit(":", 1)[0]
    try:
        host = parse_host(raw_host)
    except HostError as exc:
        raise UrlRefused(f"{exc}: {raw_host!r}") from exc
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, "")), host
