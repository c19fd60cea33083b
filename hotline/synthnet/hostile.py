"""Hostile server behaviours for the farm: each is a Response whose writer misbehaves on purpose.

All of them stop promptly when the client hangs up or the synthetic internet stops, and none holds a
large body in memory (the oversized body is generated chunk by chunk).
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from itertools import count

from hotline.synthnet.farm import Exchange, Response

_CHUNK = bytes(range(256)) * 256  # 64 KiB of filler, reused for every chunk


def oversized(size: int = 60 * 1024 * 1024, content_type: str = "image/jpeg",
              declare_length: bool = True) -> Response:
    """A body of `size` bytes streamed lazily; without a declared length the end is the connection close."""

    def write(exchange: Exchange) -> None:
        headers = {"Content-Type": content_type}
        if declare_length:
            headers["Content-Length"] = str(size)
        exchange.send_head(200, headers)
        if exchange.method == "HEAD":
            return
        remaining = size
        while remaining > 0:
            piece = _CHUNK[: min(remaining, len(_CHUNK))]
            if not exchange.write(piece):
                return
            remaining -= len(piece)

    return Response(writer=write)


@lru_cache(maxsize=4)
def gzip_bomb_bytes(decompressed_size: int = 200 * 1024 * 1024) -> bytes:
    """Gzip of `decompressed_size` zero bytes (200 MiB -> about 200 KiB on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros[: min(len(zeros), decompressed_size - done)])
             for done in range(0, decompressed_size, len(zeros))]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzip_bomb(decompressed_size: int = 200 * 1024 * 1024, content_type: str = "text/html") -> Response:
    """Small compressed body that inflates to `decompressed_size` bytes (Content-Encoding: gzip)."""

    def write(exchange: Exchange) -> None:
        body = gzip_bomb_bytes(decompressed_size)
        exchange.send_head(200, {"Content-Type": content_type, "Content-Encoding": "gzip",
                                 "Content-Length": str(len(body))})
        if exchange.method != "HEAD":
            exchange.write(body)

    return Response(writer=write)


def trickle(interval: float = 1.0, total: int = 3600, content_type: str = "text/html") -> Response:
    """Headers at once, then one body byte every `interval` seconds until `total` bytes or a hang-up."""

    def write(exchange: Exchange) -> None:
        exchange.send_head(200, {"Content-Type": content_type, "Content-Length": str(total)})
        if exchange.method == "HEAD":
            return
        for _ in range(total):
            if not exchange.write(b"x") or not exchange.pause(interval):
                return

    return Response(writer=write)


def slow_headers(interval: float = 1.0) -> Response:
    """A status line, then one header line every `interval` seconds; the header block never ends."""

    def write(exchange: Exchange) -> None:
        if not exchange.write(b"HTTP/1.1 200 OK\r\n"):
            return
        for n in count():
            if not exchange.write(f"X-Slow-{n}: waiting\r\n".encode()) or not exchange.pause(interval):
                return

    return Response(writer=write)


def hang() -> Response:
    """Accept the request and never answer, until the client leaves or the net stops."""

    def write(exchange: Exchange) -> None:
        while exchange.pause(0.5):
            pass

    return Response(writer=write)


def endless_redirects(prefix: str, status: int = 302) -> RedirectChain:
    """Factory for Farm.put_prefix: prefix/N redirects to prefix/N+1, forever, never repeating a URL."""
    return RedirectChain(prefix, status)


class RedirectChain:
    def __init__(self, prefix: str, status: int) -> None:
        self.prefix = prefix
        self.status = status

    def __call__(self, path: str) -> Response:
        step = path[len(self.prefix):].strip("/").split("?", 1)[0]
        number = int(step) if step.isdigit() else 0
        location = f"{self.prefix.rstrip('/')}/{number + 1}"
        return Response(status=self.status, headers={"Location": location}, body=b"")
