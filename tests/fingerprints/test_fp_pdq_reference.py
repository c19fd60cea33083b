"""Our PDQ agrees with Meta's reference implementation on its published test images."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fingerprints import fingerprint_bytes, hamming_distance

REFERENCE = Path(__file__).resolve().parents[2] / "../shared/reference/pdq"
pytestmark = pytest.mark.skipif(
    not (REFERENCE / "expected.csv").is_file(),
    reason=f"Meta's PDQ reference vectors not found at {REFERENCE} (shared/reference/pdq)",
)
BRIDGE_VARIANTS = [
    "blur-a-little.jpg",
    "blur-a-lot.jpg",
    "high-contrast.jpg",
    "high-saturation.jpg",
    "sharpen-a-little.jpg",
    "sharpen-a-lot.jpg",
    "shrink-a-little.jpg",
    "shrink-a-lot.jpg",
    "square-128x128.jpg",
    "square-256x256.jpg",
    "square-512x512.jpg",
]


def expected_hashes() -> dict[str, str]:
    with (REFERENCE / "expected.csv").open(newline="") as handle:
        return {row["file"]: row["pdq"] for row in csv.DictReader(handle)}


def our_pdq(name: str) -> str:
    pdq = fingerprint_bytes((REFERENCE / "images" / name).read_bytes()).pdq
    assert pdq is not None
    return pdq


def test_every_reference_hash_is_within_distance_10() -> None:
    distances = {name: hamming_distance(our_pdq(name), pdq) for name, pdq in expected_hashes().items()}
    assert len(distances) == 15
    assert max(distances.values()) <= 10, distances


def test_modified_bridges_match_the_original_at_radius_31() -> None:
    original = our_pdq("aaa-orig.jpg")
    distances = {name: hamming_distance(original, our_pdq(name)) for name in BRIDGE_VARIANTS}
    assert max(distances.values()) <= 31, distances
