"""Fixtures for the fingerprints tests (helpers live in fp_images.py)."""

from __future__ import annotations

import pytest
from fp_images import synthetic_image
from PIL import Image


@pytest.fixture(scope="session")
def originals() -> dict[int, Image.Image]:
    return {seed: synthetic_image(seed) for seed in range(1, 7)}
