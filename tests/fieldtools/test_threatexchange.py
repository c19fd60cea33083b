"""python-threatexchange, offline: it exports synthetic hashes as CSV and as lines, matches what it
fetched, and hashes synthetic images with PDQ the way partners using it (or HMA) do."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from fingerprints.signals import PDQ
from tests.support.synthetic import drawn_image, encode
from tests.support.threatexchange import (
    CSV_COLUMNS,
    ThreatExchangeCLI,
    hamming,
    parse_csv,
    write_signal_lines,
)

_rng = random.Random(16)
PDQS = [f"{_rng.getrandbits(256):064x}" for _ in range(3)]
VIDEO_MD5 = f"{_rng.getrandbits(128):032x}"
PHOTO_MD5 = f"{_rng.getrandbits(128):032x}"


def test_synthetic_hashes_come_out_as_csv_and_as_lines(threatexchange: ThreatExchangeCLI) -> None:
    exchanged = [("pdq", h) for h in PDQS] + [("video_md5", VIDEO_MD5)]
    # Kinds the CLI does not know, and malformed values, are dropped without a word.
    dropped = [("md5", PHOTO_MD5), ("pdq", "not-a-hash")]

    csv_text, lines = threatexchange.export("synthetic", exchanged + dropped)

    assert csv_text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = parse_csv(csv_text)
    assert sorted((r["signal_type"], r["signal_str"]) for r in rows) == sorted(exchanged)
    assert {(r["collab"], r["category"], r["tags"]) for r in rows} == {("synthetic", "INVESTIGATION_SEED", "")}
    assert sorted(lines.splitlines()) == sorted(f"{kind} {value}" for kind, value in exchanged)


def test_a_fetched_pdq_matches_the_photo_it_was_made_from(
        threatexchange: ThreatExchangeCLI, tmp_path: Path) -> None:
    photo, other = tmp_path / "shapes.png", tmp_path / "other.png"
    photo.write_bytes(encode(drawn_image(5), "PNG"))
    other.write_bytes(encode(drawn_image(6), "PNG"))
    reference = threatexchange.hash_photo(photo)
    assert reference is not None
    threatexchange.add_local_collab(
        "ours", write_signal_lines(tmp_path / "ours.txt", [("pdq", reference), ("pdq", PDQS[0])]))
    threatexchange.fetch()

    assert threatexchange.match_photo(photo) == ["pdq 0 (ours) INVESTIGATION_SEED"]
    assert threatexchange.match_photo(other) == []


def test_a_collaboration_of_one_pdq_never_matches(threatexchange: ThreatExchangeCLI, tmp_path: Path) -> None:
    """A python-threatexchange 1.2.17 quirk tests must know of: its saved one-entry PDQ index is empty."""
    photo = tmp_path / "shapes.png"
    photo.write_bytes(encode(drawn_image(5), "PNG"))
    reference = threatexchange.hash_photo(photo)
    assert reference is not None
    threatexchange.add_local_collab("alone", write_signal_lines(tmp_path / "alone.txt", [("pdq", reference)]))
    threatexchange.fetch()

    assert threatexchange.match_photo(photo) == []


def _pdq_hex(pixels: npt.NDArray[np.uint8]) -> str:
    bits, _quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def _ours(data: bytes) -> str:
    return PDQ.compute_bytes(data).hash


def test_pdq_agrees_on_rgb_and_differs_on_palette_images_which_it_hashes_by_palette_index(
        threatexchange: ThreatExchangeCLI, tmp_path: Path) -> None:
    """python-threatexchange hands PDQ `np.asarray(image)`: for a palette image (GIF, palette PNG) that is
    the palette indices, stacked as grey, not the colours. We hash the colours (RGB), like the C++
    reference hasher; the two agree on RGB images."""
    picture = drawn_image(2)
    files = {
        "rgb.png": encode(picture, "PNG"),
        "palette.png": encode(picture.quantize(256), "PNG"),
        "animated.gif": encode(picture, "GIF", save_all=True, append_images=[drawn_image(3)], duration=100),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    reference = {name: threatexchange.hash_photo(tmp_path / name) for name in files}
    assert all(reference.values()), reference
    distances = {name: hamming(_ours(data), str(reference[name])) for name, data in files.items()}

    assert distances["rgb.png"] == 0, distances
    for name in ("palette.png", "animated.gif"):
        first_frame = Image.open(io.BytesIO(files[name]))
        assert first_frame.mode == "P"
        indices = np.asarray(first_frame)
        assert reference[name] == _pdq_hex(np.stack([indices] * 3, axis=2)), name
        assert _ours(files[name]) == _pdq_hex(np.asarray(first_frame.convert("RGB"))), name
        assert distances[name] > 0, distances
