"""Abuse limits that never learn who anyone is.

A client is counted under a keyed hash (HMAC-SHA256) of its address, never the address itself. The key
is random, lives only in this process's memory and is replaced at the start of every window, when all
counts are dropped too: a hash from one window cannot be linked to the next one, and nothing survives a
restart. IPv6 clients are counted per /64, since one household or phone owns a whole /64.

A global limit caps all clients together (a botnet has many addresses) and, because every new entry
costs one request of the global budget, it also bounds the memory the counts can use.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    per_client: int = 10  # requests one client may make per window
    global_limit: int = 1000  # requests all clients together may make per window
    window_seconds: float = 600.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds until the window (and the key) rotates
    scope: str | None = None  # "client" or "global" when refused

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def client_bucket(address: str | None) -> str:
    """What is counted as one client: the address, or its /64 for IPv6."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimiter:
    """Fixed windows; thread-safe; `clock` is injectable so tests need no sleeps."""

    def __init__(self, limits: RateLimits | None = None, clock: Callable[[], float] = time.monotonic):
        self.limits = limits or RateLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._window: int | None = None
        self._key = b""
        self._counts: dict[bytes, int] = {}
        self._total = 0

    def hit(self, address: str | None) -> Decision:
        """Count one request from `address` if both limits allow it; refused requests are not counted."""
        now = self._clock()
        with self._lock:
            self._rotate(now)
            retry_after = self._seconds_left(now)
            if self._total >= self.limits.global_limit:
                return Decision(False, retry_after, "global")
            token = self._token(address)
            used = self._counts.get(token, 0)
            if used >= self.limits.per_client:
                return Decision(False, retry_after, "client")
            self._counts[token] = used + 1
            self._total += 1
            return Decision(True)

    @property
    def tracked_clients(self) -> int:
        return len(self._counts)

    def _rotate(self, now: float) -> None:
        window = int(now // self.limits.window_seconds)
        if window != self._window:
            self._window = window
            self._key = secrets.token_bytes(32)
            self._counts = {}
            self._total = 0

    def _seconds_left(self, now: float) -> int:
        end = (int(now // self.limits.window_seconds) + 1) * self.limits.window_seconds
        return max(1, math.ceil(end - now))

    def _token(self, address: str | None) -> bytes:
        bucket = client_bucket(address).encode()
        return hmac.new(self._key, bucket, hashlib.sha256).digest()[:16]
