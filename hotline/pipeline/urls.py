"""URL normalisation: one spelling per URL, so reports that name the same page share one ReportedUrl.

What changes: scheme and host case, IDN to punycode, default ports, fragments, userinfo, a trailing dot
on the host, unsafe characters percent-encoded. What stays: path case and the query (servers may
treat them as meaningful, and evidence must name exactly what was reported).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

import idna
from w3lib.url import safe_url_string

MAX_URL_LENGTH = 4096
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A scheme followed by a port number is really "host:port" typed without a scheme.
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class UrlError(ValueError):
    """The text cannot be a reportable web address; the message says why in plain words."""


def normalise_url(text: str) -> str:
    raw = text.strip()
    if not raw:
        raise UrlError("the address is empty")
    if len(raw) > MAX_URL_LENGTH:
        raise UrlError(f"the address is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL.search(raw):
        raise UrlError("the address contains control characters")
    if not _SCHEME.match(raw):
        raw = "http://" + raw.removeprefix("//")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"the address is malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UrlError(f"only http and https addresses can be reported, not {scheme}:")
    host = _normalise_host(parts.hostname or "")
    if port is not None and port == 0:
        raise UrlError("the port must be between 1 and 65535")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = parts.path or "/"
    rebuilt = urlunsplit((scheme, netloc, path, parts.query, ""))
    # w3lib percent-encodes what must be encoded and leaves valid escapes alone.
    return safe_url_string(rebuilt, encoding="utf-8")


def _normalise_host(host: str) -> str:
    host = host.rstrip(".")
    if not host:
        raise UrlError("the address has no host name")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return address.compressed
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise UrlError(f"the host name {host!r} is not valid ({exc})") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise UrlError(f"the host name {host!r} is not valid")
    if len(labels) < 2 and not _is_numeric_host(ascii_host) and ascii_host != "localhost":
        raise UrlError(f"the host name {host!r} has no domain (such as .ro or .com)")
    return ascii_host


def _is_numeric_host(host: str) -> bool:
    # Decimal/hex spellings of an address ("2130706433", "0x7f000001") are kept: the capture guard refuses
    # them by what they resolve to, and the analyst sees what was reported.
    return bool(re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)", host))


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
