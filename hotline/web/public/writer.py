"""One intake write at a time per SQLite database, in this process.

SQLite has a single writer: when several threads try at once, the losers sleep in SQLite's busy handler
(in steps of up to 100 ms) and latency collapses. Taking turns on a lock costs nothing by comparison.
PostgreSQL writes in parallel, so there the gate is open.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine

_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def _lock_for(engine: Engine) -> threading.Lock:
    with _guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.Lock()
        return lock


@contextmanager
def write_turn(engine: Engine) -> Iterator[None]:
    """Hold this while a transaction that writes is open (from its first write to its commit)."""
    gate = _lock_for(engine) if engine.dialect.name == "sqlite" else nullcontext()
    with gate:
        yield
