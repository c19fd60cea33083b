"""Exact lookups of cryptographic digests: sorted uint64 prefixes + searchsorted, full-digest check.

A Python dict of 10 million digests costs gigabytes; sorted numpy arrays cost 8 bytes per word and answer
a batch of lookups with two vectorised binary searches. Recent additions sit in a small dict until it is
merged into the arrays. Readers use one immutable snapshot; writers serialise on a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fingerprints.bits import Words

Keys = npt.NDArray[np.int64]
IntArray = npt.NDArray[np.int64]
PENDING_MERGE_MIN = 65536


def digest_words(hex_digests: list[str], bits: int) -> Words:
    """Normalised hex digests -> (n, words) uint64, zero-padded to whole words (SHA-1 is 160 bits)."""
    width = -(-bits // 64)
    pad = "0" * (width * 16 - bits // 4)
    if not hex_digests:
        return np.zeros((0, width), dtype=np.uint64)
    raw = bytes.fromhex("".join(h + pad for h in hex_digests))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, width)


@dataclass(frozen=True)
class _State:
    prefixes: npt.NDArray[np.uint64]
    words: Words
    keys: Keys
    pending: dict[bytes, tuple[int, ...]] = field(default_factory=dict)
    dead: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ExactResult:
    """Parallel arrays: which query matched which key."""

    query: IntArray
    key: Keys


class ExactIndex:
    """Digest -> keys, for one digest kind of ``bits`` bits."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.width = -(-bits // 64)
        empty = np.zeros((0, self.width), dtype=np.uint64)
        self._state = _State(empty[:, 0].copy(), empty, np.zeros(0, np.int64))
        self._write_lock = threading.Lock()

    def __len__(self) -> int:
        state = self._state
        return len(state.keys) - len(state.dead) + sum(len(k) for k in state.pending.values())

    def add(self, words: Words, keys: Keys) -> None:
        words = np.asarray(words, dtype=np.uint64).reshape(-1, self.width)
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        with self._write_lock:
            state = self._state
            pending = dict(state.pending)
            for row, key in zip(words, keys.tolist()):
                digest = row.tobytes()
                pending[digest] = (*pending.get(digest, ()), key)
            size = sum(len(k) for k in pending.values())
            if size >= max(PENDING_MERGE_MIN, len(state.keys) // 8):
                self._state = self._merged(state, pending)
            else:
                self._state = _State(state.prefixes, state.words, state.keys, pending, state.dead)

    def remove_keys(self, keys: Keys) -> int:
        wanted = np.unique(np.asarray(keys, dtype=np.int64))
        return self._remove(lambda k: np.isin(k, wanted))

    def remove_key_range(self, low: int, high: int) -> int:
        return self._remove(lambda k: (k >= low) & (k < high))

    def compact(self) -> None:
        with self._write_lock:
            self._state = self._merged(self._state, self._state.pending)

    def live_arrays(self) -> tuple[Words, Keys]:
        self.compact()
        state = self._state
        return state.words, state.keys

    @classmethod
    def from_arrays(cls, bits: int, words: Words, keys: Keys) -> ExactIndex:
        index = cls(bits)
        index._state = index._merged(index._state, {}, extra=(words, keys))
        return index

    def lookup(self, queries: Words) -> ExactResult:
        """Every (query, key) whose digest equals the query; queries is (q, words) uint64."""
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, self.width)
        state = self._state
        query, keys = self._lookup_sorted(state, queries)
        if state.dead:
            alive = ~np.isin(keys, np.fromiter(state.dead, dtype=np.int64))
            query, keys = query[alive], keys[alive]
        if state.pending:
            extra = [(i, k) for i, row in enumerate(queries) for k in state.pending.get(row.tobytes(), ())]
            if extra:
                query = np.concatenate([query, np.array([i for i, _ in extra], dtype=np.int64)])
                keys = np.concatenate([keys, np.array([k for _, k in extra], dtype=np.int64)])
        return ExactResult(query, keys)

    @staticmethod
    def _lookup_sorted(state: _State, queries: Words) -> tuple[IntArray, Keys]:
        size = len(state.prefixes)
        if size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(queries) == 1:
            return ExactIndex._lookup_one(state, queries[0])
        prefixes = queries[:, 0]
        low = np.searchsorted(state.prefixes, prefixes, side="left")
        # Most lookups miss: only queries whose prefix is present pay for the second search.
        maybe = np.flatnonzero(state.prefixes[np.minimum(low, size - 1)] == prefixes)
        low = low[maybe]
        high = np.searchsorted(state.prefixes, prefixes[maybe], side="right")
        lengths = high - low
        query = np.repeat(maybe, lengths).astype(np.int64)
        rows = np.repeat(low - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        same = np.all(np.take(state.words, rows, axis=0) == np.take(queries, query, axis=0), axis=1)
        return query[same], state.keys[rows[same]]

    @staticmethod
    def _lookup_one(state: _State, query: Words) -> tuple[IntArray, Keys]:
        """One digest without the batch machinery (several times faster for a single call)."""
        prefix = query[0]
        row = int(np.searchsorted(state.prefixes, prefix))
        rows = []
        while row < len(state.prefixes) and state.prefixes[row] == prefix:
            if np.array_equal(state.words[row], query):
                rows.append(row)
            row += 1
        return np.zeros(len(rows), np.int64), state.keys[rows]

    def _remove(self, predicate: object) -> int:
        assert callable(predicate)
        with self._write_lock:
            state = self._state
            hit = state.keys[predicate(state.keys)]
            new_dead = set(hit.tolist()) - state.dead
            pending: dict[bytes, tuple[int, ...]] = {}
            removed = len(new_dead)
            for digest, keys in state.pending.items():
                keep = tuple(k for k, gone in zip(keys, predicate(np.array(keys, np.int64))) if not gone)
                removed += len(keys) - len(keep)
                if keep:
                    pending[digest] = keep
            self._state = _State(state.prefixes, state.words, state.keys, pending, state.dead | new_dead)
            if len(self._state.dead) * 4 > len(state.keys):
                self._state = self._merged(self._state, pending)
            return removed

    def _merged(
        self, state: _State, pending: dict[bytes, tuple[int, ...]], extra: tuple[Words, Keys] | None = None
    ) -> _State:
        words_parts, key_parts = [state.words], [state.keys]
        if state.dead:
            alive = ~np.isin(state.keys, np.fromiter(state.dead, dtype=np.int64))
            words_parts, key_parts = [state.words[alive]], [state.keys[alive]]
        if pending:
            digests = [d for d, keys in pending.items() for _ in keys]
            words_parts.append(np.frombuffer(b"".join(digests), dtype=np.uint64).reshape(-1, self.width))
            key_parts.append(np.array([k for keys in pending.values() for k in keys], dtype=np.int64))
        if extra is not None:
            words_parts.append(np.asarray(extra[0], dtype=np.uint64).reshape(-1, self.width))
            key_parts.append(np.asarray(extra[1], dtype=np.int64))
        words, keys = np.concatenate(words_parts), np.concatenate(key_parts)
        order = np.argsort(words[:, 0], kind="stable")
        words, keys = np.take(words, order, axis=0), keys[order]
        for array in (words, keys):
            array.flags.writeable = False
        prefixes = np.ascontiguousarray(words[:, 0])
        prefixes.flags.writeable = False
        return _State(prefixes, words, keys)
