"""MatchIndex: one sub-index per hash kind, answering "which known hashes match this one, how closely".

Every entry carries a reference: a namespace (e.g. "list" for hash-list entries, "item" for media items
analysts assessed) and an integer id within it, so callers map matches back to their own rows. Internally
the pair is packed into one int64 key: namespace code in the top bits, id in the low 47 bits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fingerprints.bits import hexes_to_words, words_to_hex
from fingerprints.exact import ExactIndex, digest_words
from fingerprints.hamming import HammingIndex
from fingerprints.signals import InvalidHash, SignalType, signal_for

REF_BITS = 47
MAX_REF = (1 << REF_BITS) - 1
MAX_NAMESPACES = 1 << (63 - REF_BITS)
SubIndex = ExactIndex | HammingIndex


class IndexRow(NamedTuple):
    """One hash to index, as a database would hand it over for a rebuild."""

    kind: str
    hash: str
    ref: int
    namespace: str = "list"
    quality: int | None = None


@dataclass(frozen=True)
class Match:
    """One known hash that matches a query hash: ``distance`` is 0 for exact kinds."""

    kind: str
    query: str
    namespace: str
    ref: int
    distance: int


class MatchIndex:
    """Exact lookups for cryptographic kinds, Hamming-radius search for perceptual kinds.

    Thread-safe: any number of threads may match while one adds or removes (readers never block).
    """

    def __init__(self, radii: dict[str, int] | None = None) -> None:
        self.radii = {signal_for(k).name: int(r) for k, r in (radii or {}).items()}
        self._indexes: dict[str, SubIndex] = {}
        self._namespaces: list[str] = []
        self._lock = threading.Lock()

    # ---- references ----------------------------------------------------------------------------
    def _namespace_code(self, namespace: str, create: bool) -> int | None:
        with self._lock:
            if namespace in self._namespaces:
                return self._namespaces.index(namespace)
            if not create:
                return None
            if len(self._namespaces) >= MAX_NAMESPACES:
                raise ValueError(f"too many namespaces (at most {MAX_NAMESPACES})")
            self._namespaces.append(namespace)
            return len(self._namespaces) - 1

    def _keys(self, namespace: str, refs: Sequence[int]) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
        code = self._namespace_code(namespace, create=True)
        assert code is not None
        ids = np.asarray(refs, dtype=np.int64).reshape(-1)
        if len(ids) and (ids.min() < 0 or ids.max() > MAX_REF):
            raise ValueError(f"reference ids must be between 0 and {MAX_REF}")
        return (np.int64(code) << np.int64(REF_BITS)) | ids

    def _split(self, key: int) -> tuple[str, int]:
        return self._namespaces[key >> REF_BITS], key & MAX_REF

    # ---- sub-indexes ---------------------------------------------------------------------------
    def radius(self, kind: str) -> int:
        """The radius of the index `kind` is matched in (a kind computed like another shares its radius)."""
        owner = signal_for(signal_for(kind).index_name())
        return self.radii.get(owner.name, owner.default_radius)

    def _index(self, signal: type[SignalType]) -> SubIndex:
        owner = signal_for(signal.index_name())
        with self._lock:
            index = self._indexes.get(owner.name)
            if index is None:
                index = (
                    ExactIndex(owner.bits)
                    if owner.index_kind == "exact"
                    else HammingIndex(owner.bits, self.radii.get(owner.name, owner.default_radius))
                )
                self._indexes[owner.name] = index
            return index

    @staticmethod
    def _words(
        signal: type[SignalType], hashes: Sequence[str]
    ) -> np.ndarray[tuple[int, int], np.dtype[np.uint64]]:
        normal = [signal.normalize(h) for h in hashes]
        if signal.index_kind == "exact":
            return digest_words(normal, signal.bits)
        return hexes_to_words(normal, signal.bits)

    # ---- writing -------------------------------------------------------------------------------
    def add(
        self, kind: str, hash_hex: str, ref: int, namespace: str = "list", quality: int | None = None
    ) -> bool:
        """Add one hash; False (and nothing stored) when its quality is too low to match on."""
        return self.add_many(kind, [hash_hex], [ref], namespace, [quality]) == 1

    def add_many(
        self,
        kind: str,
        hashes: Sequence[str],
        refs: Sequence[int],
        namespace: str = "list",
        qualities: Sequence[int | None] | None = None,
    ) -> int:
        """Add hashes with their reference ids; returns how many were stored (low quality skipped).
        Raises InvalidHash (nothing stored) when any hash is malformed."""
        signal = signal_for(kind)
        if len(hashes) != len(refs):
            raise ValueError("hashes and refs differ in length")
        keep = [i for i in range(len(hashes)) if signal.usable(qualities[i] if qualities else None)]
        words = self._words(signal, [hashes[i] for i in keep])
        keys = self._keys(namespace, [refs[i] for i in keep])
        self._index(signal).add(words, keys)
        return len(keep)

    def add_rows(self, rows: Iterable[IndexRow]) -> int:
        """Add rows of mixed kinds and namespaces (batched per kind); returns how many were stored."""
        stored = 0
        ordered = sorted(rows, key=lambda r: (signal_for(r.kind).name, r.namespace))
        for (kind, namespace), group in groupby(
            ordered, key=lambda r: (signal_for(r.kind).name, r.namespace)
        ):
            batch = list(group)
            stored += self.add_many(
                kind, [r.hash for r in batch], [r.ref for r in batch], namespace, [r.quality for r in batch]
            )
        return stored

    @classmethod
    def from_rows(cls, rows: Iterable[IndexRow], radii: dict[str, int] | None = None) -> MatchIndex:
        """Rebuild an index from scratch (e.g. from the database when the saved index is missing)."""
        index = cls(radii)
        index.add_rows(rows)
        return index

    def remove(self, namespace: str, refs: Iterable[int]) -> int:
        """Remove every hash (of every kind) carrying one of these reference ids."""
        code = self._namespace_code(namespace, create=False)
        if code is None:
            return 0
        keys = (np.int64(code) << np.int64(REF_BITS)) | np.fromiter(refs, dtype=np.int64)
        return sum(index.remove_keys(keys) for index in list(self._indexes.values()))

    def remove_namespace(self, namespace: str) -> int:
        """Remove every hash in a namespace (e.g. a whole hash list)."""
        code = self._namespace_code(namespace, create=False)
        if code is None:
            return 0
        low = code << REF_BITS
        return sum(index.remove_key_range(low, low + MAX_REF + 1) for index in list(self._indexes.values()))

    # ---- reading -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(index) for index in list(self._indexes.values()))

    def counts(self) -> dict[str, int]:
        """Entries per index (a kind computed like another, such as pdq_tx, counts in that one's)."""
        return {kind: len(index) for kind, index in sorted(self._indexes.items())}

    def namespaces(self) -> list[str]:
        return list(self._namespaces)

    def match(self, kind: str, hash_hex: str, radius: int | None = None) -> list[Match]:
        """Every stored hash matching ``hash_hex`` (exact, or within ``radius``), closest first."""
        return self.match_many(kind, [hash_hex], radius)[0]

    def match_many(self, kind: str, hashes: Sequence[str], radius: int | None = None) -> list[list[Match]]:
        """Batch form of ``match``: one list per query, in query order (much faster per query)."""
        signal = signal_for(kind)
        normal = [signal.normalize(h) for h in hashes]
        found: list[list[Match]] = [[] for _ in normal]
        index = self._indexes.get(signal.index_name())
        if index is None or not normal:
            return found
        words = self._words(signal, normal)
        if isinstance(index, ExactIndex):
            exact = index.lookup(words)
            pairs = zip(exact.query.tolist(), exact.key.tolist(), [0] * len(exact.key))
        else:
            result = index.search(words, self.radius(kind) if radius is None else radius)
            pairs = zip(result.query.tolist(), result.key.tolist(), result.distance.tolist())
        for query, key, distance in pairs:
            namespace, ref = self._split(key)
            found[query].append(Match(signal.name, normal[query], namespace, ref, distance))
        for matches in found:
            matches.sort(key=lambda m: (m.distance, m.namespace, m.ref))
        return found

    def match_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[Match]:
        """Match (kind, hash) pairs of mixed kinds, e.g. ``index.match_pairs(fp.matchable())``; one Match per
        (query, stored hash), closest first."""
        by_kind: dict[str, list[str]] = {}
        for kind, value in pairs:
            by_kind.setdefault(signal_for(kind).name, []).append(value)
        found = [m for kind, hashes in by_kind.items() for ms in self.match_many(kind, hashes) for m in ms]
        return sorted(found, key=lambda m: (m.distance, m.kind, m.namespace, m.ref))

    def entries(self, kind: str) -> tuple[list[str], list[tuple[str, int]]]:
        """Every stored (hash, (namespace, ref)) in the index of one kind, for exports and rebuilds."""
        signal = signal_for(kind)
        index = self._indexes.get(signal.index_name())
        if index is None:
            return [], []
        words, keys = index.live_arrays()
        digits = signal.bits // 4
        hashes = [words_to_hex(row)[:digits] for row in words]
        return hashes, [self._split(k) for k in keys.tolist()]

    # ---- persistence (numpy .npy files + a JSON manifest; never pickle) --------------------------
    def save(self, directory: str | Path) -> None:
        from fingerprints.persist import save_index

        save_index(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path) -> MatchIndex:
        from fingerprints.persist import load_index

        return load_index(Path(directory))


__all__ = ["IndexRow", "InvalidHash", "Match", "MatchIndex"]
