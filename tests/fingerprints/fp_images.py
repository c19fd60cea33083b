"""Synthetic images drawn by Pillow (shapes, noise, text) and the transformations hotlines meet."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def synthetic_image(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A deterministic picture: a colour gradient, random shapes, a little noise and a line of text."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(0, 1, width)[None, :, None] * rng.integers(0, 256, 3)[None, None, :]
    base = np.broadcast_to(ramp, (height, width, 3)) + rng.integers(0, 80, 3)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        x1, y1 = x0 + int(rng.integers(30, width // 2)), y0 + int(rng.integers(30, height // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(3, 15)))
    draw.text((10, height - 30), f"synthetic #{seed}", fill=(255, 255, 255), font=ImageFont.load_default())
    noisy = np.asarray(image, dtype=np.int16) + rng.integers(-12, 13, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _resize(image: Image.Image) -> bytes:
    return encode(image.resize((image.width * 2 // 3, image.height * 2 // 3), Image.Resampling.LANCZOS))


def _jpeg_50(image: Image.Image) -> bytes:
    return encode(image, "JPEG", quality=50)


def _small_crop(image: Image.Image) -> bytes:
    # 1 % off each side: PDQ is not crop-resistant (2 % crops move these images 32-50 bits).
    dx, dy = image.width // 100, image.height // 100
    return encode(image.crop((dx, dy, image.width - dx, image.height - dy)))


def _greyscale(image: Image.Image) -> bytes:
    return encode(image.convert("L"))


TRANSFORMS: dict[str, Callable[[Image.Image], bytes]] = {
    "resize": _resize,
    "jpeg-quality-50": _jpeg_50,
    "small-crop": _small_crop,
    "greyscale": _greyscale,
}
