"""Response bodies: undo content coding with a cap, tell the media type, hash."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Literal


class BodyTooLarge(ValueError):
    """Decoding would exceed the byte limit (a compression bomb, or just too big)."""


def decode_body(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The payload of a body sent with ``content_encoding`` (gzip/deflate/identity), at most ``limit`` bytes.

    Unknown codings are returned as sent (hashes then describe the bytes on the wire).
    """
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    data = body
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":
            try:
                data = _inflate(data, zlib.MAX_WBITS, limit)
            except zlib.error:  # servers send raw deflate as often as zlib-wrapped
                data = _inflate(data, -zlib.MAX_WBITS, limit)
        elif coding != "identity":
            return body
    if len(data) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes")
    return data


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    decoder = zlib.decompressobj(wbits)
    out = decoder.decompress(data, limit + 1)
    if len(out) > limit or decoder.unconsumed_tail:
        raise BodyTooLarge(f"decompressed body larger than {limit} bytes (compression bomb?)")
    return out


_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"ftyp", 4, "video/mp4"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm"),
]


def sniff_type(payload: bytes) -> str | None:
    """A media type from the first bytes, for servers that send none."""
    if payload[:4] == b"RIFF" and payload[8:12] == b"WEBP":
        return "image/webp"
    for signature, offset, media_type in _SIGNATURES:
        if payload[offset : offset + len(signature)] == signature:
            return media_type
    head = payload[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return None


def media_type(header_value: str, payload: bytes) -> str:
    declared = header_value.split(";", 1)[0].strip().lower()
    if declared and declared not in ("application/octet-stream", "binary/octet-stream"):
        return declared
    return sniff_type(payload) or declared or "application/octet-stream"


def type_allowed(content_type: str, patterns: list[str]) -> bool:
    return any(fnmatch(content_type, p.lower()) for p in patterns)


def kind_of(content_type: str) -> Literal["image", "video", "other"]:
    if content_type.startswith("image/"):
        return "image"
    if content_type.startswith("video/"):
        return "video"
    return "other"


@dataclass(frozen=True)
class Digests:
    md5: str
    sha1: str
    sha256: str


def digests(payload: bytes) -> Digests:
    return Digests(
        hashlib.md5(payload, usedforsecurity=False).hexdigest(),
        hashlib.sha1(payload, usedforsecurity=False).hexdigest(),
        hashlib.sha256(payload).hexdigest(),
    )
