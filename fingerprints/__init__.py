"""fingerprints: hashing media and matching against hash lists. Standalone: never imports ``hotline``.

Fingerprint one media item (never raises for bad media; reasons go into the result)::

    from fingerprints import fingerprint_bytes
    fp = fingerprint_bytes(data, "image/jpeg")          # max_pixels=, max_frames=, video_frame_interval=
    fp.kind                    # "image" | "video" | "other"
    fp.md5, fp.sha1, fp.sha256 # always
    fp.phash, fp.dhash, fp.pdq # images (first frame); None otherwise
    fp.pdq_quality, fp.pdq_usable   # PDQ quality 0-100; not matched below 50
    fp.frames                  # per-frame FrameFingerprint(index, hashes, quality, seconds) of animations
                               # and sampled video frames
    fp.error                   # e.g. "decompression bomb refused: ..." (kind stays "image")
    fp.video_frames_status     # videos: "no decoder available" or "sampled N frames every 5 s"
    fp.matchable()             # [(kind, hex)] worth matching (item + frames, low quality left out)
    fp.to_dict()               # JSON-ready

Parse a hash list (CSV/TSV sniffed, or JSON lines)::

    from fingerprints import parse_hash_list
    parsed = parse_hash_list("list.csv")                # or an open stream; fmt="auto"|"csv"|"tsv"|"jsonl"
    parsed.entries   # [HashListEntry(line, hashes={"sha256": ..., "pdq": ...}, label, source, quality)]
    parsed.errors    # [(line_no, "sha256 must be 64 hex digits, got 12"), ...]
    parsed.counts    # {"rows": 10, "entries": 8, "errors": 2, "md5": 5, "pdq": 3}
    # raises HashListError when the header has no hash column at all

Match (exact for md5/sha1/sha256; Hamming radius for phash/dhash (10) and pdq (31))::

    from fingerprints import MatchIndex
    index = MatchIndex()                                # radii={"pdq": 31, "phash": 10} to override
    index.add("pdq", hex, ref=17, namespace="list", quality=90)   # False if quality < 50 (not stored)
    index.add_many("sha256", hexes, refs, namespace="item")       # batch; InvalidHash on bad hex
    index.match("pdq", hex)            # [Match(kind, query, namespace, ref, distance)], closest first
    index.match_many("phash", hexes, radius=8)          # batched: far faster per query
    index.match_pairs(fp.matchable())                   # every kind of one fingerprint (+ its frames)
    index.remove("list", [17, 18]); index.remove_namespace("list")
    index.save(directory); MatchIndex.load(directory)   # .npy files + manifest.json, no pickle
    index.counts(); len(index); index.entries("pdq")
    MatchIndex.from_rows([IndexRow("pdq", hex, ref, "list", quality), ...])   # rebuild, e.g. from the DB
    index.add_rows(rows)                                # mixed kinds/namespaces, batched internally

``namespace`` + integer ``ref`` (0 <= ref < 2**47) name what a hash belongs to: e.g. namespace "list"
with the hash-list entry id, "item" with the media item id. Readers are thread-safe while one thread writes.

Signal types are plug-ins (``fingerprints.signals``): a class per kind with ``normalize``, ``is_valid``,
``compute_bytes`` (all kinds), ``compute_image``/``compute_frame`` (image kinds), ``index_class``,
``usable(quality)``; add a kind with one class and one ``register()`` line (``unregister`` removes it).
"""

from fingerprints.bits import hamming_distance
from fingerprints.hashlist import HashListEntry, HashListError, ParsedList, parse_hash_list
from fingerprints.imaging import DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS
from fingerprints.index import IndexRow, Match, MatchIndex
from fingerprints.media import FrameFingerprint, MediaFingerprint, fingerprint_bytes
from fingerprints.persist import IndexFormatError
from fingerprints.signals import (
    SIGNAL_TYPES,
    InvalidHash,
    SignalType,
    SignalValue,
    register,
    signal_for,
    unregister,
)

__all__ = [
    "DEFAULT_MAX_FRAMES",
    "DEFAULT_MAX_PIXELS",
    "SIGNAL_TYPES",
    "FrameFingerprint",
    "HashListEntry",
    "HashListError",
    "IndexFormatError",
    "IndexRow",
    "InvalidHash",
    "Match",
    "MatchIndex",
    "MediaFingerprint",
    "ParsedList",
    "SignalType",
    "SignalValue",
    "fingerprint_bytes",
    "hamming_distance",
    "parse_hash_list",
    "register",
    "signal_for",
    "unregister",
]
