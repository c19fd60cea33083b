"""fingerprint_bytes: digests, animations, bombs, low quality, videos, non-images."""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fp_images import encode, synthetic_image
from PIL import Image

from fingerprints import fingerprint_bytes, hamming_distance
from fingerprints.video import NO_DECODER


def test_digests_are_those_of_the_raw_bytes() -> None:
    data = encode(synthetic_image(11), "JPEG", quality=80)
    fp = fingerprint_bytes(data, "image/jpeg")
    assert (fp.md5, fp.sha1, fp.sha256) == (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )
    assert fp.kind == "image" and fp.format == "JPEG" and (fp.width, fp.height) == (480, 360)
    assert fp.phash and len(fp.phash) == 16 and fp.dhash and len(fp.dhash) == 16
    assert fp.pdq and len(fp.pdq) == 64 and fp.pdq_quality is not None and fp.pdq_usable


@pytest.mark.parametrize(
    "convert",
    [
        lambda im: encode(Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257)),  # 16-bit
        lambda im: encode(im.convert("CMYK"), "JPEG", quality=95),
        lambda im: encode(im.convert("RGBA")),
        lambda im: encode(im.convert("P")),
        lambda im: encode(im, "TIFF"),
        lambda im: encode(im, "BMP"),
        lambda im: encode(im, "WEBP", lossless=True),
    ],
    ids=["png-16-bit-grey", "jpeg-cmyk", "png-rgba", "png-palette", "tiff", "bmp", "webp"],
)
def test_image_modes_and_formats_hash_like_the_original(convert: Callable[[Image.Image], bytes]) -> None:
    image = synthetic_image(14)
    original = fingerprint_bytes(encode(image))
    fp = fingerprint_bytes(convert(image))
    assert fp.kind == "image" and fp.error is None and fp.phash and fp.pdq and original.phash and original.pdq
    assert hamming_distance(fp.phash, original.phash) <= 10
    assert hamming_distance(fp.pdq, original.pdq) <= 31 and fp.pdq_usable


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_is_hashed_frame_by_frame(fmt: str) -> None:
    # given an animation of three unrelated synthetic frames
    frames = [synthetic_image(seed, (240, 180)) for seed in (21, 22, 23)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    # when fingerprinted
    fp = fingerprint_bytes(data)
    # then each frame has its own hashes and the item carries the first frame's
    assert fp.kind == "image" and fp.frame_count == 3
    assert [f.index for f in fp.frames] == [0, 1, 2]
    assert fp.phash == fp.frames[0].hashes["phash"] and fp.pdq == fp.frames[0].hashes["pdq"]
    assert hamming_distance(fp.frames[1].hashes["pdq"], fp.frames[2].hashes["pdq"]) > 31
    # and a still copy of the last frame matches that frame
    still = fingerprint_bytes(encode(frames[2]))
    assert still.pdq and hamming_distance(still.pdq, fp.frames[2].hashes["pdq"]) <= 31
    assert ("pdq", fp.frames[2].hashes["pdq"]) in fp.matchable()


def test_long_animation_is_sampled_evenly() -> None:
    frames = [Image.new("RGB", (32, 32), (i * 20, 0, 0)) for i in range(10)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    fp = fingerprint_bytes(data, max_frames=4)
    assert fp.frame_count == 10
    assert [f.index for f in fp.frames] == [0, 2, 5, 7]


def test_large_animation_keeps_only_the_frames_its_pixel_budget_allows() -> None:
    frames = [Image.new("RGB", (100, 100), (i * 40, 0, 0)) for i in range(6)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    fp = fingerprint_bytes(data, max_pixels=3 * 100 * 100)
    assert fp.frame_count == 6 and [f.index for f in fp.frames] == [0, 2, 4]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size: the header is all a bomb check may read."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_with_a_clear_error() -> None:
    # given an image declaring 100,000 x 100,000 pixels
    fp = fingerprint_bytes(png_header_only(100_000, 100_000), "image/png")
    # then it is recorded, not decoded, and the digests are still there
    assert fp.kind == "image" and fp.phash is None and fp.pdq is None
    assert fp.error is not None and fp.error.startswith("decompression bomb refused")
    assert fp.sha256 == hashlib.sha256(png_header_only(100_000, 100_000)).hexdigest()


def test_pixel_limit_is_a_parameter() -> None:
    data = encode(synthetic_image(12, (200, 200)))
    assert fingerprint_bytes(data, max_pixels=200 * 200).phash is not None
    refused = fingerprint_bytes(data, max_pixels=200 * 200 - 1)
    assert refused.phash is None and refused.error and "40000 pixels exceeds limit 39999" in refused.error


def test_flat_image_pdq_is_kept_but_not_usable() -> None:
    fp = fingerprint_bytes(encode(Image.new("RGB", (128, 128), (90, 90, 90))))
    assert fp.pdq is not None and fp.pdq_quality is not None and fp.pdq_quality < 50
    assert not fp.pdq_usable
    assert all(kind != "pdq" for kind, _ in fp.matchable())


def test_non_image_bytes_are_other_and_broken_images_say_why() -> None:
    other = fingerprint_bytes(b"<html>hello</html>", "text/html")
    assert other.kind == "other" and other.phash is None and other.error is None
    broken = fingerprint_bytes(encode(synthetic_image(13), "JPEG")[:200], "image/jpeg")
    assert broken.kind == "image" and broken.phash is None and broken.error


MP4_HEADER = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


def test_video_without_decoder_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg anywhere on PATH
    fp = fingerprint_bytes(MP4_HEADER, None)
    assert fp.kind == "video" and fp.video_frames_status == NO_DECODER
    assert fp.frames == [] and fp.sha256 == hashlib.sha256(MP4_HEADER).hexdigest()
    assert fingerprint_bytes(b"\x1a\x45\xdf\xa3webm", None).kind == "video"
    assert fingerprint_bytes(b"anything", "video/mp4").kind == "video"


FAKE_FFMPEG = """#!{python}
import sys
from PIL import Image, ImageDraw
pattern = sys.argv[-1]
for number in (1, 2):
    image = Image.new("RGB", (160, 120), (number * 60, 40, 200 - number * 50))
    ImageDraw.Draw(image).ellipse((10 * number, 10, 90, 100), fill=(250, 250, 0))
    image.save(pattern % number)
"""


def test_video_frames_are_sampled_when_ffmpeg_exists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given an ffmpeg on PATH (a stand-in that writes two frames where ffmpeg would)
    fake = tmp_path / "ffmpeg"
    fake.write_text(FAKE_FFMPEG.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    # when a video is fingerprinted
    fp = fingerprint_bytes(MP4_HEADER, "video/mp4", video_frame_interval=2)
    # then both frames carry perceptual hashes at their sample times
    assert fp.video_frames_status == "sampled 2 frames every 2 s"
    assert [(f.index, f.seconds) for f in fp.frames] == [(0, 0.0), (1, 2.0)]
    assert all(len(f.hashes["pdq"]) == 64 for f in fp.frames)
