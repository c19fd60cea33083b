"""Deterministic synthetic images drawn with Pillow: shapes, noise and text, never real photos.

The same (seed, format, size) always gives the same bytes, so tests can compare hashes across runs.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def content_type(fmt: str) -> str:
    return FORMATS[fmt.upper()]


def draw_image(seed: int, size: tuple[int, int] = (256, 256), label: str | None = None) -> Image.Image:
    """An RGB picture of noise, coloured shapes and a text label, chosen by the seed."""
    rng = random.Random(seed)
    width, height = size
    # Low-amplitude noise background keeps perceptual hashes distinct between seeds.
    noise = np.random.default_rng(seed).integers(0, 64, size=(height, width, 3), dtype=np.uint8)
    base = np.array([rng.randrange(64, 192) for _ in range(3)], dtype=np.uint8)
    image = Image.fromarray(noise + base, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 7)):
        box = sorted(rng.randrange(width) for _ in range(2)), sorted(rng.randrange(height) for _ in range(2))
        xy = (box[0][0], box[1][0], box[0][1], box[1][1])
        fill = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle(xy, fill=fill)
        else:
            draw.ellipse(xy, fill=fill)
    draw.text((8, 8), label if label is not None else f"synthetic #{seed}", fill=(255, 255, 255))
    return image


@lru_cache(maxsize=4096)
def image_bytes(seed: int, fmt: str = "PNG", size: tuple[int, int] = (256, 256)) -> bytes:
    """Encoded image bytes; cached because pages reuse images and encoding costs milliseconds."""
    fmt = fmt.upper()
    if fmt not in FORMATS:
        raise ValueError(f"unsupported image format {fmt!r}; use one of {', '.join(FORMATS)}")
    image = draw_image(seed, size)
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=85)
    elif fmt == "GIF":
        image.convert("P", palette=Image.Palette.WEB).save(buffer, "GIF")
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def reencoded_copy(seed: int, size: tuple[int, int] = (200, 200), quality: int = 50) -> bytes:
    """The picture of `seed` resized and saved as a poor JPEG: another file, a near perceptual hash.

    How known material usually comes back: re-uploaded, rescaled, recompressed."""
    image = Image.open(io.BytesIO(image_bytes(seed))).convert("RGB").resize(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@lru_cache(maxsize=64)
def animated_gif_bytes(seed: int, frames: int = 4, size: tuple[int, int] = (128, 128)) -> bytes:
    """An animated GIF whose frames are consecutive seeds (frame duration 200 ms, loops forever)."""
    pictures = [draw_image(seed + i, size).convert("P", palette=Image.Palette.WEB) for i in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=200, loop=0)
    return buffer.getvalue()


def tagged_png(seed: int, tag: str, size: tuple[int, int] = (64, 64)) -> bytes:
    """The PNG of `seed` with a tEXt chunk carrying `tag`: same pixels, different bytes (and sha256).

    Lets a benchmark serve thousands of distinct files without drawing thousands of pictures.
    """
    base = image_bytes(seed, "PNG", size)
    data = b"synthnet\x00" + tag.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    iend = base.rindex(b"IEND") - 4  # the IEND chunk starts with its 4-byte length
    return base[:iend] + chunk + base[iend:]
