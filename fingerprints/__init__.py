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

Parse a hash list (our CSV/TSV, JSON lines, python-threatexchange's CSV and line format, HMA bank JSON,
bare hashes; detected from the content)::

    from fingerprints import parse_hash_list
    parsed = parse_hash_list("list.csv")   # or a stream; fmt="auto"|"csv"|"tsv"|"jsonl"|"tx"|"tx-csv"|"hma"|"plain"
    parse_hash_list("hashes.txt", fmt="plain", kind="sha256")   # a headerless list says its kind
    parsed.entries   # [HashListEntry(line, hashes={"sha256": ..., "pdq": ...}, label, source, quality)]
    parsed.errors    # [(line_no, "sha256 must be 64 hex digits, got 12"), ...]
    parsed.counts    # {"rows": 10, "entries": 8, "errors": 2, "skipped": 0, "md5": 5, "pdq": 3}
    parsed.format, parsed.skipped   # "tx", {"url": 3}: signal types that are not media hashes
    # raises HashListError when the file cannot be read as a list at all

Write one (python-threatexchange lines, HMA bank JSON, our CSV), each with its versioned kinds::

    from fingerprints import ExportRow, write_hash_list
    written = write_hash_list([ExportRow({"pdq": ..., "md5": ...}, label="baseline", video=False)], "tx")
    written.text, written.signals, written.left_out   # left_out: {"md5": 1} (tx has md5 for videos only)

Match (exact for md5/sha1/sha256; Hamming radius for phash/dhash (10) and pdq (31); pdq_tx, PDQ as
python-threatexchange computes it for palette images, is searched in the pdq index)::

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
from fingerprints.hashlist import LIST_FORMATS, HashListEntry, HashListError, ParsedList, parse_hash_list
from fingerprints.hashlist_export import EXPORT_FORMATS, ExportRow, Written, write_hash_list
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
    "EXPORT_FORMATS",
    "LIST_FORMATS",
    "SIGNAL_TYPES",
    "ExportRow",
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
    "Written",
    "fingerprint_bytes",
    "hamming_distance",
    "parse_hash_list",
    "register",
    "signal_for",
    "unregister",
    "write_hash_list",
]
