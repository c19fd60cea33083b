"""Save and load a MatchIndex as .npy arrays plus one JSON manifest (no pickle anywhere).

Crash safety: arrays are written under a new generation name first, then the manifest is replaced
atomically (os.replace), and only then are the previous generation's files deleted. A reader that loads
during a save sees either the old or the new index, never a mix.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fingerprints.exact import ExactIndex
from fingerprints.hamming import Chunk, HammingIndex, Segment
from fingerprints.signals import signal_for

if TYPE_CHECKING:
    from fingerprints.index import MatchIndex

FORMAT = "fingerprints-match-index"
VERSION = 1
MANIFEST = "manifest.json"


class IndexFormatError(ValueError):
    """The directory does not hold an index this version can read."""


def save_index(index: MatchIndex, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    generation = uuid.uuid4().hex[:12]
    kinds: dict[str, Any] = {}
    for kind, sub in sorted(index._indexes.items()):
        kinds[kind] = _save_sub(sub, kind, directory, generation)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "generation": generation,
        "namespaces": index.namespaces(),
        "radii": index.radii,
        "kinds": kinds,
    }
    temporary = directory / f".{MANIFEST}.{generation}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(temporary, directory / MANIFEST)
    for stale in directory.glob("*.npy"):
        if f".{generation}." not in stale.name:
            stale.unlink(missing_ok=True)


def _save_sub(sub: ExactIndex | HammingIndex, kind: str, directory: Path, generation: str) -> dict[str, Any]:
    def write(name: str, array: np.ndarray[Any, Any]) -> str:
        filename = f"{kind}.{generation}.{name}.npy"
        np.save(directory / filename, np.ascontiguousarray(array), allow_pickle=False)
        return filename

    if isinstance(sub, ExactIndex):
        words, keys = sub.live_arrays()
        return {
            "index": "exact",
            "bits": sub.bits,
            "count": len(keys),
            "words": write("words", words),
            "keys": write("keys", keys),
        }
    segment = sub.export()
    entry: dict[str, Any] = {
        "index": "hamming",
        "bits": sub.bits,
        "radius_hint": sub.radius_hint,
        "count": 0 if segment is None else segment.size,
    }
    if segment is not None:
        entry.update(
            words=write("words", segment.words),
            keys=write("keys", segment.keys),
            orders=write("orders", np.stack(segment.orders)),
            chunks=[[c.word, c.shift, c.width] for c in segment.chunks],
        )
    return entry


def load_index(directory: Path, attempts: int = 3) -> MatchIndex:
    """Load the index; retries when a concurrent save (another process) replaced it mid-load."""
    for _ in range(attempts):
        try:
            return _load_once(directory)
        except FileNotFoundError:
            continue  # the manifest named files a newer save already deleted: read the new manifest
    raise IndexFormatError(f"index at {directory} names array files that do not exist; rebuild it")


def _load_once(directory: Path) -> MatchIndex:
    from fingerprints.index import MatchIndex

    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise IndexFormatError(f"no index at {directory}: {MANIFEST} is missing")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise IndexFormatError(f"{manifest_path} is not a version-{VERSION} {FORMAT} manifest")
    index = MatchIndex(radii={str(k): int(v) for k, v in manifest["radii"].items()})
    index._namespaces = [str(n) for n in manifest["namespaces"]]
    for kind, entry in manifest["kinds"].items():
        signal_for(kind)  # an unknown kind is an error, not a silent skip
        index._indexes[kind] = _load_sub(entry, directory)
    return index


def _load_sub(entry: dict[str, Any], directory: Path) -> ExactIndex | HammingIndex:
    def read(name: str) -> np.ndarray[Any, Any]:
        array: np.ndarray[Any, Any] = np.load(directory / entry[name], allow_pickle=False)
        return array

    bits = int(entry["bits"])
    if entry["index"] == "exact":
        return ExactIndex.from_arrays(bits, read("words"), read("keys"))
    index = HammingIndex(bits, int(entry["radius_hint"]))
    if entry["count"] == 0:
        return index
    chunks = [Chunk(int(w), int(s), int(width)) for w, s, width in entry["chunks"]]
    segment = Segment.restore(read("words"), read("keys"), chunks, list(read("orders")))
    return HammingIndex.from_segment(bits, index.radius_hint, segment)
