"""Synthetic test material only: pictures drawn by Pillow and a captured page that shows one of them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tests.support.warcs import Resource, timestamp, write_warc

CAPTURED = datetime(2026, 12, 6, 10, 0, 0, tzinfo=UTC)


def drawn_image(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """Shapes on a gradient with a little noise: a synthetic picture, nothing else."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(40, 220, width, dtype=np.float64)[None, :, None] * np.ones((height, 1, 3))
    image = Image.fromarray(ramp.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        box = (x0, y0, x0 + int(rng.integers(20, width // 2)), y0 + int(rng.integers(20, height // 2)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.integers(0, 2) else draw.rectangle)(box, fill=colour)
    noisy = np.asarray(image, dtype=np.int16) + rng.integers(-8, 9, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@dataclass(frozen=True)
class SyntheticCapture:
    """A page that shows one image, captured into one WARC at CAPTURED."""

    warc: Path
    page_url: str
    image_url: str
    html: bytes
    png: bytes
    timestamp: str


def write_synthetic_capture(folder: Path) -> SyntheticCapture:
    page_url, image_url = "http://pages.example.test/report/1", "http://pages.example.test/img/1.png"
    html = (b"<!doctype html><html><head><title>Synthetic page</title></head>"
            b"<body><h1>Synthetic page</h1><img src=\"/img/1.png\" alt=\"shapes\"></body></html>")
    png = encode(drawn_image(1), "PNG")
    warc = write_warc(folder / "capture.warc.gz", [
        Resource(page_url, "text/html; charset=utf-8", html, CAPTURED),
        # A browser names the page as Referer when it fetches the image; WACZ page detection relies on it.
        Resource(image_url, "image/png", png, CAPTURED, request_headers=(("Referer", page_url),)),
    ])
    return SyntheticCapture(warc, page_url, image_url, html, png, timestamp(CAPTURED))
