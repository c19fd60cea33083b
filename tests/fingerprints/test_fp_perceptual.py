"""Transformed synthetic images still match their originals; unrelated ones do not."""

from __future__ import annotations

import itertools

import pytest
from fp_images import TRANSFORMS, encode
from PIL import Image

from fingerprints import MatchIndex, fingerprint_bytes, hamming_distance

PHASH_RADIUS, PDQ_RADIUS = 10, 31


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_transformed_image_matches_its_original_under_default_radius(
    transform: str, originals: dict[int, Image.Image]
) -> None:
    for seed, image in list(originals.items())[:3]:
        # given an original and a transformed copy
        original = fingerprint_bytes(encode(image), "image/png")
        copy = fingerprint_bytes(TRANSFORMS[transform](image))
        # then the perceptual hashes are close and the exact hashes differ
        assert copy.sha256 != original.sha256
        assert original.phash and copy.phash and original.pdq and copy.pdq
        assert hamming_distance(original.phash, copy.phash) <= PHASH_RADIUS, (seed, transform)
        assert hamming_distance(original.pdq, copy.pdq) <= PDQ_RADIUS, (seed, transform)
        assert copy.pdq_usable


def test_index_finds_transformed_copies_of_listed_images(originals: dict[int, Image.Image]) -> None:
    # given an index holding the originals' pHash and PDQ under their seeds
    index = MatchIndex()
    for seed, image in originals.items():
        fp = fingerprint_bytes(encode(image))
        assert fp.phash and fp.pdq
        index.add("phash", fp.phash, ref=seed)
        assert index.add("pdq", fp.pdq, ref=seed, quality=fp.pdq_quality)
    # when every transformed copy is matched
    for seed, image in originals.items():
        for transform in TRANSFORMS.values():
            fp = fingerprint_bytes(transform(image))
            assert fp.phash and fp.pdq
            # then it finds its own original, and only that one
            assert [m.ref for m in index.match("phash", fp.phash)] == [seed]
            assert [m.ref for m in index.match("pdq", fp.pdq)] == [seed]


def test_a_fingerprint_is_matched_on_every_kind_at_once(originals: dict[int, Image.Image]) -> None:
    # given an index holding one image's hashes from a list and its exact bytes as an assessed item
    data = encode(originals[1])
    listed = fingerprint_bytes(data)
    index = MatchIndex()
    assert listed.phash and listed.pdq
    index.add("pdq", listed.pdq, ref=10, quality=listed.pdq_quality)
    index.add("phash", listed.phash, ref=10)
    index.add("sha256", listed.sha256, ref=99, namespace="item")
    # when the same bytes and a re-encoded copy are matched
    same = index.match_pairs(listed.matchable())
    copy = index.match_pairs(fingerprint_bytes(TRANSFORMS["jpeg-quality-50"](originals[1])).matchable())
    # then the exact copy matches on all three kinds, the re-encoded one on the perceptual kinds only
    assert sorted((m.kind, m.namespace, m.ref, m.distance) for m in same) == [
        ("pdq", "list", 10, 0),
        ("phash", "list", 10, 0),
        ("sha256", "item", 99, 0),
    ]
    assert sorted((m.kind, m.ref) for m in copy) == [("pdq", 10), ("phash", 10)]


def test_unrelated_images_do_not_match(originals: dict[int, Image.Image]) -> None:
    prints = {seed: fingerprint_bytes(encode(image)) for seed, image in originals.items()}
    for (a, fa), (b, fb) in itertools.combinations(prints.items(), 2):
        assert fa.phash and fb.phash and fa.pdq and fb.pdq
        assert hamming_distance(fa.phash, fb.phash) > PHASH_RADIUS, (a, b)
        assert hamming_distance(fa.pdq, fb.pdq) > PDQ_RADIUS, (a, b)
