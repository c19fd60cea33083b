"""MatchIndex: radius search equals brute force; exact lookups; removal; persistence; concurrency."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import IndexFormatError, IndexRow, InvalidHash, MatchIndex


def random_hashes(rng: np.random.Generator, count: int, bits: int) -> list[str]:
    return [bytes(row).hex() for row in rng.integers(0, 256, (count, bits // 8), dtype=np.uint8)]


def flip(hex_hash: str, bits_to_flip: list[int]) -> str:
    value = int(hex_hash, 16)
    for bit in bits_to_flip:
        value ^= 1 << int(bit)
    return f"{value:0{len(hex_hash)}x}"


def brute_force(stored: dict[int, int], query: str, radius: int) -> list[tuple[int, int]]:
    """Plain Python popcount over every stored hash (ref -> hash as int): slow, obviously right."""
    target = int(query, 16)
    return sorted((d, ref) for ref, value in stored.items() if (d := (value ^ target).bit_count()) <= radius)


def near_copies(rng: np.random.Generator, hashes: list[str], bits: int, radius: int, count: int) -> list[str]:
    """Copies of stored hashes with up to ``radius`` bits flipped (half exactly ``radius``: the hard case)."""
    picks = rng.integers(0, len(hashes), count)
    flips = [radius if n % 2 else int(rng.integers(0, radius + 1)) for n in range(count)]
    return [flip(hashes[i], list(rng.choice(bits, k, replace=False))) for i, k in zip(picks, flips)]


@pytest.mark.parametrize(("kind", "bits", "radius"), [("phash", 64, 10), ("pdq", 256, 31), ("pdq", 256, 20)])
def test_radius_search_equals_brute_force_across_segments(kind: str, bits: int, radius: int) -> None:
    # given 7,000 random hashes added in uneven batches (merged segments plus a pending buffer)
    rng = np.random.default_rng(bits + radius)
    hashes = random_hashes(rng, 7000, bits)
    index = MatchIndex()
    for start, stop in [(0, 4500), (4500, 6000), (6000, 6700), (6700, 7000)]:
        index.add_many(kind, hashes[start:stop], list(range(start, stop)))
    stored = {ref: int(h, 16) for ref, h in enumerate(hashes)}
    # when queried with near copies at up to the radius and with unrelated hashes
    queries = near_copies(rng, hashes, bits, radius, 80) + random_hashes(rng, 20, bits)
    found = index.match_many(kind, queries, radius=radius)
    # then every query finds exactly what a brute-force scan finds, with the same distances
    for query, matches in zip(queries, found):
        assert sorted((m.distance, m.ref) for m in matches) == brute_force(stored, query, radius)
    # and still does after a third of the entries are removed (tombstones, then segment rebuilds)
    gone = set(range(0, 7000, 3))
    index.remove("list", gone)
    stored = {ref: h for ref, h in stored.items() if ref not in gone}
    for query, matches in zip(queries, index.match_many(kind, queries, radius=radius)):
        assert sorted((m.distance, m.ref) for m in matches) == brute_force(stored, query, radius)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(0, 300),
    radius=st.integers(0, 20),
    removed=st.sets(st.integers(0, 4500), max_size=30),
)
def test_phash_search_equals_brute_force_after_removals(
    seed: int, count: int, radius: int, removed: set[int]
) -> None:
    # 4096 hashes fill one indexed segment; the rest wait in the pending buffer
    rng = np.random.default_rng(seed)
    count += 4096
    hashes = random_hashes(rng, count, 64)
    index = MatchIndex()
    index.add_many("phash", hashes, list(range(count)))
    index.remove("list", removed)
    stored = {ref: int(h, 16) for ref, h in enumerate(hashes) if ref not in removed}
    queries = (near_copies(rng, hashes, 64, radius, 10) if hashes else []) + random_hashes(rng, 3, 64)
    for query, matches in zip(queries, index.match_many("phash", queries, radius=radius)):
        assert sorted((m.distance, m.ref) for m in matches) == brute_force(stored, query, radius)


def test_exact_lookup_returns_every_reference_and_nothing_else() -> None:
    # given digests where one is listed twice (two lists carry it) and many others
    index = MatchIndex()
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(70_000)]
    index.add_many("sha256", [*digests, digests[7]], [*range(70_000), 70_000])  # merged into sorted arrays
    index.add("sha256", digests[5].upper(), ref=5, namespace="item")  # pending, upper-case input
    # then lookups find both references of the shared digest, and unknown digests find nothing
    assert [(m.namespace, m.ref, m.distance) for m in index.match("sha256", digests[5])] == [
        ("item", 5, 0),
        ("list", 5, 0),
    ]
    assert [m.ref for m in index.match("sha256", digests[69_999])] == [69_999]
    assert [m.ref for m in index.match("sha256", digests[7])] == [7, 70_000]
    # and the batched form answers each query in order
    batch = index.match_many("sha256", [digests[7], "0" * 64, digests[69_998], digests[5]])
    assert [[m.ref for m in found] for found in batch] == [[7, 70_000], [], [69_998], [5, 5]]
    assert index.match("sha256", hashlib.sha256(b"unknown").hexdigest()) == []
    assert index.match("md5", "0" * 32) == []


def test_sha1_digests_are_matched_whole() -> None:
    index = MatchIndex()
    digest = hashlib.sha1(b"x").hexdigest()
    index.add("sha1", digest, ref=1)
    assert [m.ref for m in index.match("SHA-1", digest)] == [1]
    assert index.match("sha1", digest[:-1] + ("0" if digest[-1] != "0" else "1")) == []


def test_removal_by_reference_and_by_namespace() -> None:
    index = MatchIndex()
    pdq = "a5" * 32
    index.add("pdq", pdq, ref=1, namespace="list")
    index.add("pdq", flip(pdq, [0, 9]), ref=2, namespace="list")
    index.add("md5", "1" * 32, ref=2, namespace="list")
    index.add("pdq", pdq, ref=7, namespace="item")
    assert index.remove("list", [2]) == 2
    assert [(m.namespace, m.ref) for m in index.match("pdq", pdq)] == [("item", 7), ("list", 1)]
    assert index.remove_namespace("list") == 1
    assert [(m.namespace, m.ref) for m in index.match("pdq", pdq)] == [("item", 7)]
    assert index.remove_namespace("never-seen") == 0


def test_low_quality_pdq_is_not_stored_and_bad_hex_is_refused() -> None:
    index = MatchIndex()
    assert index.add("pdq", "00" * 32, ref=1, quality=49) is False
    assert index.add("pdq", "00" * 32, ref=2, quality=50) is True
    assert [m.ref for m in index.match("pdq", "00" * 32)] == [2]
    with pytest.raises(InvalidHash, match="phash must be 16 hex digits"):
        index.add("phash", "abc", ref=3)
    with pytest.raises(ValueError, match="reference ids"):
        index.add("phash", "ab" * 8, ref=-1)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    # given an index with perceptual and exact kinds, some entries removed
    rng = np.random.default_rng(7)
    index = MatchIndex(radii={"phash": 8})
    phashes, pdqs = random_hashes(rng, 6000, 64), random_hashes(rng, 300, 256)
    index.add_many("phash", phashes, list(range(6000)))
    index.add_many("pdq", pdqs, list(range(300)), namespace="item")
    index.add("md5", "ab" * 16, ref=9)
    index.remove("list", [0, 1])
    queries = near_copies(rng, phashes, 64, 8, 40)
    before = index.match_many("phash", queries)
    # when saved twice (the second save replaces the first) and loaded into a fresh object
    index.save(tmp_path / "idx")
    index.add("md5", "cd" * 16, ref=10)
    index.save(tmp_path / "idx")
    loaded = MatchIndex.load(tmp_path / "idx")
    # then it answers the same, keeps radii and namespaces, and holds one generation of files
    assert loaded.match_many("phash", queries) == before
    assert loaded.counts() == {"md5": 2, "pdq": 300, "phash": 5998}
    assert loaded.radius("phash") == 8 and loaded.namespaces() == ["list", "item"]
    assert [m.ref for m in loaded.match("pdq", pdqs[3])] == [3]
    assert [m.ref for m in loaded.match("md5", "cd" * 16)] == [10]
    assert len({p.name.split(".")[1] for p in (tmp_path / "idx").glob("*.npy")}) == 1
    assert not list((tmp_path / "idx").glob("*.pkl"))


def test_an_index_whose_arrays_are_gone_is_one_clear_error(tmp_path: Path) -> None:
    index = MatchIndex()
    index.add("phash", "12" * 8, ref=1)
    index.save(tmp_path)
    for array_file in tmp_path.glob("*.npy"):
        array_file.unlink()
    with pytest.raises(IndexFormatError, match="names array files that do not exist"):
        MatchIndex.load(tmp_path)


def test_rebuild_from_rows_of_mixed_kinds() -> None:
    rows = [
        IndexRow("SHA-256", "ab" * 32, 1),
        IndexRow("pdq", "f0" * 32, 2, "item", quality=80),
        IndexRow("pdq", "0f" * 32, 3, "item", quality=10),  # too low to match on: skipped
        IndexRow("phash", "12" * 8, 4),
    ]
    index = MatchIndex.from_rows(rows)
    assert index.counts() == {"pdq": 1, "phash": 1, "sha256": 1}
    assert [(m.namespace, m.ref) for m in index.match("pdq", "f0" * 32)] == [("item", 2)]
    hashes, refs = index.entries("phash")
    assert hashes == ["12" * 8] and refs == [("list", 4)]


def test_loading_a_directory_without_an_index_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="manifest.json is missing"):
        MatchIndex.load(tmp_path)


def test_readers_see_consistent_results_while_a_writer_adds() -> None:
    # given an index with one known hash
    rng = np.random.default_rng(3)
    index = MatchIndex()
    known = "5a" * 32
    index.add("pdq", known, ref=0)
    failures: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            refs = [m.ref for m in index.match("pdq", known)]
            if refs[:1] != [0]:
                failures.append(repr(refs))

    # when readers query while a writer adds 20,000 hashes in batches
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for batch in range(20):
        index.add_many(
            "pdq", random_hashes(rng, 1000, 256), list(range(1 + batch * 1000, 1 + (batch + 1) * 1000))
        )
    done.set()
    for thread in threads:
        thread.join(timeout=30)
    # then no reader ever missed the known hash, and nothing was lost
    assert failures == []
    assert index.counts() == {"pdq": 20_001}
