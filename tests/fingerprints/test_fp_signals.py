"""Signal types are plug-ins: one class plus one register() line adds a hash kind everywhere."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import ClassVar

import imagehash
import pytest
from fp_images import encode, synthetic_image

from fingerprints import MatchIndex, fingerprint_bytes, parse_hash_list, signal_for
from fingerprints.imaging import Frame
from fingerprints.signals import ImageSignal, IndexKind, InvalidHash, SignalValue, register, unregister


class AverageHash(ImageSignal):
    name = "ahash"
    aliases: ClassVar[tuple[str, ...]] = ("average-hash",)
    bits = 64
    index_kind: ClassVar[IndexKind] = "hamming"
    default_radius = 6

    @classmethod
    def compute_frame(cls, frame: Frame) -> SignalValue:
        return SignalValue(str(imagehash.average_hash(frame.grey)))


@pytest.fixture
def ahash_registered() -> Iterator[None]:
    register(AverageHash)
    yield
    unregister("ahash")


@pytest.mark.usefixtures("ahash_registered")
def test_a_registered_kind_is_computed_parsed_and_matched() -> None:
    data = encode(synthetic_image(31))
    fp = fingerprint_bytes(data)
    assert fp.hashes["ahash"] == AverageHash.compute_bytes(data).hash
    parsed = parse_hash_list(io.StringIO(f"Average-Hash,label\n{fp.hashes['ahash']},known\n"))
    assert parsed.entries[0].hashes == {"ahash": fp.hashes["ahash"]}
    index = MatchIndex()
    index.add("ahash", fp.hashes["ahash"], ref=1)
    assert [m.ref for m in index.match("ahash", fp.hashes["ahash"])] == [1]
    assert index.radius("ahash") == 6


def test_kinds_normalise_and_validate_their_hashes() -> None:
    assert signal_for("SHA-256").normalize("0x" + "AB" * 32) == "ab" * 32
    assert signal_for("pdq").index_class().__name__ == "HammingIndex"
    assert signal_for("md5").index_class().__name__ == "ExactIndex"
    assert not signal_for("phash").is_valid("xyz")
    with pytest.raises(InvalidHash, match="sha1 must be 40 hex digits, got 39"):
        signal_for("sha1").normalize("a" * 39)
    with pytest.raises(KeyError, match="unknown hash kind"):
        signal_for("whash")


def test_image_kinds_hash_a_decoded_image_like_the_bytes() -> None:
    image = synthetic_image(32)
    phash = signal_for("phash")
    assert isinstance(phash, type) and issubclass(phash, ImageSignal)
    assert phash.compute_image(image) == phash.compute_bytes(encode(image))
