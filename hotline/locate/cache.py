"""The RDAP cache interface and its in-memory implementation.

Values are plain JSON-able dicts so a database-backed cache can store them as they are.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol


class RdapCache(Protocol):
    """What RdapClient needs from a cache.

    A cache may also offer `get_many(keys) -> {key: value}` (present, unexpired keys only): the
    client then asks for an address and all its containing networks in one call.
    """

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None when absent or expired."""

    def put(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        """Store `value` under `key` until `ttl_seconds` from now."""


class MemoryRdapCache:
    """A thread-safe dict with expiry; `clock` is injectable so tests can move time."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            return value

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        found = {key: self.get(key) for key in keys}
        return {key: value for key, value in found.items() if value is not None}

    def put(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl_seconds, value)

    def __len__(self) -> int:
        return len(self._entries)
