"""Hamming-radius search over packed hashes: multi-index hashing with numpy.

Why it is exact (no missed matches): split a hash into m chunks and let r = m*a + b (0 <= b < m). If every
one of the first b+1 chunks differed in more than a bits and every other chunk in more than a-1 bits, the
whole hash would differ in at least (b+1)(a+1) + (m-b-1)a = r+1 bits. So every hash within r of the query
has one of the first b+1 chunks within a bits, or one of the others within a-1 bits. We probe each chunk's
bucket table with every key within that chunk radius, then verify candidates with a full popcount.

Storage is log-structured so adds and removes are cheap: small immutable segments built from a pending
buffer are merged as they grow (like a binary counter), removed keys become tombstones until the
segment is rebuilt. Readers take one immutable snapshot and never lock; writers serialise on a lock.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import combinations
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from fingerprints.bits import Words, words_per_hash

Keys = npt.NDArray[np.int64]
IntArray = npt.NDArray[np.int64]
Int32s = npt.NDArray[np.int32]
PENDING_LIMIT = 4096
QUERY_BATCH = 256
# Bucket tables hold 2**width packed bounds (8 bytes each): 22 bits = 32 MiB per chunk at most.
MAX_CHUNK_BITS = 22
# Probing more bucket keys than this fraction of the entries costs more than a plain scan.
PROBE_SCAN_RATIO = 0.05


@dataclass(frozen=True)
class Chunk:
    word: int
    shift: int
    width: int

    def keys(self, words: Words) -> IntArray:
        mask = np.uint64((1 << self.width) - 1)
        return ((words[:, self.word] >> np.uint64(self.shift)) & mask).astype(np.int64)


def plan_chunks(bits: int, size: int, radius_hint: int) -> tuple[Chunk, ...]:
    """Chunk layout with the lowest estimated query cost for ``size`` hashes searched at ``radius_hint``.

    Cost per query ~ sum over chunks of probes * (probe cost + expected bucket size * candidate cost);
    the widest chunks take the larger per-chunk radius. Chunks never straddle a 64-bit word.
    """
    words = words_per_hash(bits)
    candidate_cost = 0.35 if words == 1 else 0.6  # one-word hashes are verified from contiguous copies
    best: tuple[float, list[int]] | None = None
    # Bucket tables cost 2**width entries: keep them within a few times the segment size.
    widest = max(8, math.ceil(math.log2(max(size, 2))) + 2)
    for per_word in _word_splits():
        if max(per_word) > widest:
            continue
        widths = sorted(per_word * words, reverse=True)
        radii = chunk_radii(radius_hint, len(widths))
        cost = sum(
            probe_count(width, radius) * (1.0 + candidate_cost * size / (1 << width))
            for width, radius in zip(widths, radii)
            if radius >= 0
        )
        if best is None or cost < best[0]:
            best = (cost, per_word)
    assert best is not None
    chunks = []
    for word in range(words):
        shift = 64
        for width in best[1]:
            shift -= width
            chunks.append(Chunk(word, shift, width))
    # Widest first, so chunk_radii gives them the larger radius.
    return tuple(sorted(chunks, key=lambda c: -c.width))


@lru_cache(maxsize=1)
def _word_splits() -> list[list[int]]:
    """Ways to cut a 64-bit word: near-equal parts, or equal parts plus one narrower remainder."""
    splits = []
    for parts in range(3, 9):
        splits.append([64 // parts + (1 if i < 64 % parts else 0) for i in range(parts)])
        for width in range(64 // parts + 1, MAX_CHUNK_BITS + 1):
            rest = 64 - width * (parts - 1)
            if 8 <= rest < width:
                splits.append([width] * (parts - 1) + [rest])
    return [split for split in splits if max(split) <= MAX_CHUNK_BITS]


def chunk_radii(radius: int, chunk_count: int) -> list[int]:
    """Per-chunk search radius from the pigeonhole argument in the module docstring (-1 = skip)."""
    a, b = divmod(radius, chunk_count)
    return [a] * (b + 1) + [a - 1] * (chunk_count - b - 1)


def probe_count(width: int, radius: int) -> int:
    """How many keys lie within ``radius`` bits of a ``width``-bit key."""
    return sum(math.comb(width, k) for k in range(min(radius, width) + 1))


@lru_cache(maxsize=64)
def flip_masks(width: int, radius: int) -> IntArray:
    """Every ``width``-bit XOR mask with at most ``radius`` bits set."""
    masks = [0]
    for k in range(1, min(radius, width) + 1):
        masks.extend(sum(1 << bit for bit in bits) for bits in combinations(range(width), k))
    result = np.array(masks, dtype=np.int64)
    result.flags.writeable = False
    return result


def bucket_bounds(chunk_keys: IntArray, width: int) -> npt.NDArray[np.uint64]:
    """For every possible chunk value: where its rows start and end in the sorted order, packed."""
    ends = np.cumsum(np.bincount(chunk_keys, minlength=1 << width)).astype(np.uint64)
    starts = np.concatenate(([np.uint64(0)], ends[:-1]))
    return starts | (ends << np.uint64(32))


def popcount_pairs(a: Words, b: Words) -> npt.NDArray[np.uint16]:
    """Row-wise Hamming distance between two (n, w) arrays."""
    total: npt.NDArray[np.uint16] = np.bitwise_count(a[:, 0] ^ b[:, 0]).astype(np.uint16)
    for col in range(1, a.shape[1]):
        total += np.bitwise_count(a[:, col] ^ b[:, col])
    return total


def expand_ranges(starts: Int32s, lengths: Int32s) -> Int32s:
    """Concatenation of range(s, s + n) for every (s, n), without a Python loop."""
    before = np.cumsum(lengths, dtype=np.int32) - lengths
    expanded = np.repeat(starts - before, lengths)
    expanded += np.arange(len(expanded), dtype=np.int32)
    return expanded


@dataclass(frozen=True)
class Segment:
    """Immutable block of hashes with one bucket table per chunk (``order`` sorted by chunk key)."""

    words: Words
    keys: Keys
    chunks: tuple[Chunk, ...]
    orders: tuple[npt.NDArray[np.uint32], ...]
    # Per chunk, per bucket key: start | end << 32 into ``orders`` (one gather per probe, not two).
    bounds: tuple[npt.NDArray[np.uint64], ...]
    # For one-word hashes, a copy of ``words`` in each chunk's order: candidates are read contiguously.
    sorted_words: tuple[npt.NDArray[np.uint64], ...] = ()
    dead: frozenset[int] = field(default_factory=frozenset)

    @property
    def size(self) -> int:
        return int(self.words.shape[0])

    @property
    def live(self) -> int:
        return self.size - len(self.dead)

    @classmethod
    def build(cls, words: Words, keys: Keys, bits: int, radius_hint: int) -> Segment:
        chunks = plan_chunks(bits, len(keys), radius_hint)
        orders = [np.argsort(chunk.keys(words), kind="stable").astype(np.uint32) for chunk in chunks]
        return cls.restore(words, keys, chunks, orders)

    @classmethod
    def restore(
        cls, words: Words, keys: Keys, chunks: Sequence[Chunk], orders: Sequence[npt.NDArray[np.uint32]]
    ) -> Segment:
        """Rebuild the cheap parts (bucket bounds, sorted copies) around saved sort orders."""
        words = _frozen(np.array(words, dtype=np.uint64, copy=True))
        keys = _frozen(np.array(keys, dtype=np.int64, copy=True))
        if len(words) >= 1 << 32:
            raise ValueError("a segment holds fewer than 2**32 hashes")
        bounds = tuple(_frozen(bucket_bounds(chunk.keys(words), chunk.width)) for chunk in chunks)
        frozen_orders = tuple(_frozen(np.asarray(order, dtype=np.uint32)) for order in orders)
        sorted_words = (
            tuple(_frozen(np.take(words[:, 0], order)) for order in frozen_orders)
            if words.shape[1] == 1
            else ()
        )
        return cls(words, keys, tuple(chunks), frozen_orders, bounds, sorted_words)

    def live_arrays(self) -> tuple[Words, Keys]:
        if not self.dead:
            return self.words, self.keys
        alive = np.ones(self.size, dtype=bool)
        alive[list(self.dead)] = False
        return self.words[alive], self.keys[alive]


_A = TypeVar("_A", bound="np.ndarray[Any, Any]")


def _frozen(array: _A) -> _A:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class SearchResult:
    """Parallel arrays, one element per match: which query, which key, at what distance."""

    query: IntArray
    key: Keys
    distance: IntArray


@dataclass(frozen=True)
class _State:
    """Everything a reader needs, swapped atomically by writers."""

    segments: tuple[Segment, ...]
    pending_words: Words  # newest additions, scanned by brute force until PENDING_LIMIT
    pending_keys: Keys


class HammingIndex:
    """Radius search over ``bits``-bit hashes, each carrying an int64 key chosen by the caller."""

    def __init__(self, bits: int, radius_hint: int) -> None:
        self.bits = bits
        self.radius_hint = radius_hint
        self.width = words_per_hash(bits)
        self._state = _State((), np.zeros((0, self.width), np.uint64), np.zeros(0, np.int64))
        self._write_lock = threading.Lock()

    def __len__(self) -> int:
        state = self._state
        return sum(s.live for s in state.segments) + len(state.pending_keys)

    # ---- writing -------------------------------------------------------------------------------
    def add(self, words: Words, keys: Keys) -> None:
        """Add hashes (n, w) uint64 with their keys (n,) int64."""
        words = np.ascontiguousarray(words, dtype=np.uint64).reshape(-1, self.width)
        keys = np.asarray(keys, dtype=np.int64).reshape(-1)
        if len(words) != len(keys):
            raise ValueError("words and keys differ in length")
        with self._write_lock:
            state = self._state
            pending_words = np.concatenate([state.pending_words, words])
            pending_keys = np.concatenate([state.pending_keys, keys])
            segments = list(state.segments)
            if len(pending_keys) >= PENDING_LIMIT:
                segments.append(Segment.build(pending_words, pending_keys, self.bits, self.radius_hint))
                pending_words, pending_keys = pending_words[:0], pending_keys[:0]
                segments = self._merge_tail(segments)
            self._state = _State(tuple(segments), _frozen(pending_words), _frozen(pending_keys))

    def remove_keys(self, keys: Keys) -> int:
        """Remove every hash carrying one of ``keys``; returns how many were removed."""
        wanted = np.unique(np.asarray(keys, dtype=np.int64))
        return self._remove_where(lambda k: np.isin(k, wanted, assume_unique=False))

    def remove_key_range(self, low: int, high: int) -> int:
        """Remove every hash whose key is in [low, high)."""
        return self._remove_where(lambda k: (k >= low) & (k < high))

    def compact(self) -> None:
        """Merge everything into one segment without tombstones (do it before saving)."""
        with self._write_lock:
            state = self._state
            compact = len(state.pending_keys) == 0 and len(state.segments) <= 1
            if compact and not any(segment.dead for segment in state.segments):
                return  # already compact: saving a 10M index must not rebuild it
            words, keys = self.live_arrays()
            segments = (Segment.build(words, keys, self.bits, self.radius_hint),) if len(keys) else ()
            self._state = _State(segments, self._state.pending_words[:0], self._state.pending_keys[:0])

    def _remove_where(self, predicate: Callable[[Keys], npt.NDArray[np.bool_]]) -> int:
        with self._write_lock:
            state = self._state
            removed = 0
            segments = []
            for segment in state.segments:
                hit = np.flatnonzero(predicate(segment.keys))
                new_dead = set(hit.tolist()) - segment.dead
                removed += len(new_dead)
                segment = replace(segment, dead=segment.dead | new_dead) if new_dead else segment
                if segment.dead and len(segment.dead) * 4 > segment.size:
                    words, keys = segment.live_arrays()
                    segment = Segment.build(words, keys, self.bits, self.radius_hint)
                if segment.size:
                    segments.append(segment)
            pending_keys = state.pending_keys
            keep = ~np.asarray(predicate(pending_keys), dtype=bool)
            removed += int((~keep).sum())
            self._state = _State(
                tuple(segments), _frozen(state.pending_words[keep]), _frozen(pending_keys[keep])
            )
            return removed

    def _merge_tail(self, segments: list[Segment]) -> list[Segment]:
        # Binary-counter merging keeps O(log n) segments and amortised O(log n) rebuilds per entry.
        while len(segments) >= 2 and segments[-2].live <= 2 * segments[-1].live:
            right, left = segments.pop(), segments.pop()
            lw, lk = left.live_arrays()
            rw, rk = right.live_arrays()
            merged = Segment.build(
                np.concatenate([lw, rw]), np.concatenate([lk, rk]), self.bits, self.radius_hint
            )
            segments.append(merged)
        return segments

    def export(self) -> Segment | None:
        """Compact, then return the single segment (for saving); None when empty."""
        self.compact()
        segments = self._state.segments
        return segments[0] if segments else None

    @classmethod
    def from_segment(cls, bits: int, radius_hint: int, segment: Segment) -> HammingIndex:
        index = cls(bits, radius_hint)
        index._state = replace(index._state, segments=(segment,) if segment.size else ())
        return index

    # ---- reading -------------------------------------------------------------------------------
    def live_arrays(self) -> tuple[Words, Keys]:
        """Every live (hash words, key), for persistence and rebuilds."""
        state = self._state
        parts = [s.live_arrays() for s in state.segments]
        parts.append((state.pending_words, state.pending_keys))
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def search(self, queries: Words, radius: int) -> SearchResult:
        """Every (query, key, distance) with distance <= radius; queries is (q, w) uint64."""
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, self.width)
        state = self._state
        # Batches of a few hundred queries keep the candidate arrays in cache (about 1.5x faster).
        results = [
            _offset(self._search_segment(segment, queries[start : start + QUERY_BATCH], radius), start)
            for segment in state.segments
            for start in range(0, len(queries), QUERY_BATCH)
        ]
        results.append(_scan(state.pending_words, state.pending_keys, queries, radius))
        return SearchResult(
            *(np.concatenate([getattr(r, f) for r in results]) for f in ("query", "key", "distance"))
        )

    def _search_segment(self, segment: Segment, queries: Words, radius: int) -> SearchResult:
        radii = chunk_radii(radius, len(segment.chunks))
        probes_per_query = sum(probe_count(c.width, k) for c, k in zip(segment.chunks, radii) if k >= 0)
        if probes_per_query > PROBE_SCAN_RATIO * segment.size:
            words, keys = segment.live_arrays()
            return _scan(words, keys, queries, radius)
        query_ids, rows, distances = [], [], []
        for index, (chunk, chunk_radius) in enumerate(zip(segment.chunks, radii)):
            if chunk_radius < 0:
                continue
            masks = flip_masks(chunk.width, chunk_radius)
            probes = (chunk.keys(queries)[:, None] ^ masks[None, :]).ravel()
            bounds = np.take(segment.bounds[index], probes)
            low = (bounds & np.uint64(0xFFFFFFFF)).astype(np.int32)
            lengths = (bounds >> np.uint64(32)).astype(np.int32) - low
            per_query = lengths.reshape(len(queries), len(masks)).sum(axis=1)
            positions = expand_ranges(low, lengths)
            if segment.sorted_words:
                candidates = np.take(segment.sorted_words[index], positions)
                counts = np.bitwise_count(candidates ^ np.repeat(queries[:, 0], per_query))
                close = np.flatnonzero(counts <= radius)
                row = np.take(segment.orders[index], positions[close]).astype(np.int64)
            else:
                row = np.take(segment.orders[index], positions).astype(np.int64)
                counts = popcount_pairs(
                    np.take(segment.words, row, axis=0), np.repeat(queries, per_query, axis=0)
                )
                close = np.flatnonzero(counts <= radius)
                row = row[close]
            rows.append(row)
            # Candidates are grouped by query: recover the query of each close one from the group ends.
            query_ids.append(np.searchsorted(np.cumsum(per_query), close, side="right").astype(np.int64))
            distances.append(counts[close].astype(np.int64))
        if not rows:
            return _empty_result()
        row, query = np.concatenate(rows), np.concatenate(query_ids)
        distance: IntArray = np.concatenate(distances)
        # A hash close in several chunks is found several times: keep one of each (query, row).
        _, first = np.unique(query * segment.size + row, return_index=True)
        row, query, distance = row[first], query[first], distance[first]
        if segment.dead:
            alive = ~np.isin(row, np.fromiter(segment.dead, dtype=np.int64))
            row, query, distance = row[alive], query[alive], distance[alive]
        return SearchResult(query, segment.keys[row], distance)


def _scan(words: Words, keys: Keys, queries: Words, radius: int) -> SearchResult:
    """Brute-force popcount of every query against every hash (used for small blocks)."""
    found: list[SearchResult] = []
    if len(keys) == 0:
        return _empty_result()
    for query_id, query in enumerate(queries):
        distance = np.zeros(len(keys), dtype=np.int64)
        for col in range(words.shape[1]):
            distance += np.bitwise_count(words[:, col] ^ query[col])
        hit = np.flatnonzero(distance <= radius)
        found.append(SearchResult(np.full(len(hit), query_id, np.int64), keys[hit], distance[hit]))
    if not found:
        return _empty_result()
    return SearchResult(
        *(np.concatenate([getattr(r, f) for r in found]) for f in ("query", "key", "distance"))
    )


def _offset(result: SearchResult, first_query: int) -> SearchResult:
    return replace(result, query=result.query + first_query) if first_query else result


def _empty_result() -> SearchResult:
    empty = np.zeros(0, dtype=np.int64)
    return SearchResult(empty, empty, empty)
