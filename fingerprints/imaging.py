"""Decode an image once (all frames, bomb-guarded) and share the decoded pixels with every hasher."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageSequence, UnidentifiedImageError

# Pillow's own default (about 89.5 megapixels, a 1/4 GiB RGBA bitmap).
DEFAULT_MAX_PIXELS = 89_478_485
DEFAULT_MAX_FRAMES = 64


class ImageDecodeError(ValueError):
    """The bytes are not an image Pillow can decode safely; the message is one clear line."""


class DecompressionBombError(ImageDecodeError):
    """The image declares more pixels than allowed."""


class Frame:
    """One decoded frame; conversions are computed at most once and shared by every hasher."""

    def __init__(self, image: Image.Image, index: int = 0, as_opened: Image.Image | None = None) -> None:
        self.image = image
        self.index = index
        # The first frame exactly as Pillow opened it (palette indices and all), for hashers that must
        # agree with tools hashing `numpy.asarray(Image.open(file))`; None for later frames.
        self.as_opened = as_opened if as_opened is not None else (image if index == 0 else None)

    @cached_property
    def rgb(self) -> Image.Image:
        """RGB version (alpha dropped, as Meta's HMA does before PDQ, so hashes agree with partners)."""
        if self.image.mode == "RGB":
            return self.image
        if self.image.mode.startswith(("I", "F")):
            return _to_eight_bit(self.image).convert("RGB")
        if self.image.mode == "P" and "transparency" in self.image.info:
            return self.image.convert("RGBA").convert("RGB")
        return self.image.convert("RGB")

    @cached_property
    def rgb_array(self) -> npt.NDArray[np.uint8]:
        return np.ascontiguousarray(np.asarray(self.rgb, dtype=np.uint8))

    @cached_property
    def grey(self) -> Image.Image:
        return self.rgb.convert("L")


def _to_eight_bit(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float greyscale -> 8-bit 'L' (Pillow's own convert would clip at 255)."""
    values = np.asarray(image, dtype=np.float64)
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if 0 <= low and high <= 255:
        scaled = values
    elif 0 <= low and high <= 65535:
        scaled = values / 257.0
    else:
        scaled = (values - low) * (255.0 / max(high - low, 1e-12))
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


@dataclass(frozen=True)
class DecodedImage:
    """All we keep from one decode: format, size, frame count and the sampled frames."""

    format: str
    width: int
    height: int
    frame_count: int
    frames: list[Frame]

    @property
    def first(self) -> Frame:
        return self.frames[0]


def check_pixel_budget(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise DecompressionBombError(
            f"decompression bomb refused: {width}x{height} = {width * height} pixels"
            f" exceeds limit {max_pixels}"
        )


def sample_indices(frame_count: int, max_frames: int) -> list[int]:
    """Evenly spaced frame numbers (always including the first) so long animations stay cheap."""
    if frame_count <= max_frames:
        return list(range(frame_count))
    step = frame_count / max_frames
    return sorted({int(i * step) for i in range(max_frames)})


def decode_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_frames: int = DEFAULT_MAX_FRAMES
) -> DecodedImage:
    """Decode ``data``; raises ImageDecodeError (or DecompressionBombError) with a one-line reason."""
    with warnings.catch_warnings():
        # Pillow only warns between 1x and 2x its limit; treat the warning as the error it should be.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                check_pixel_budget(image.width, image.height, max_pixels)
                return _decode_frames(image, max_frames, max_pixels)
        except DecompressionBombError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DecompressionBombError(f"decompression bomb refused: {exc}") from None
        except UnidentifiedImageError:
            raise ImageDecodeError("not an image Pillow can identify") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageDecodeError(f"image could not be decoded: {exc}") from None


def _decode_frames(image: Image.Image, max_frames: int, max_pixels: int) -> DecodedImage:
    frame_count = int(getattr(image, "n_frames", 1))
    # Kept frames share the pixel budget too: a huge animation yields fewer sampled frames, not 20 GiB.
    affordable = max(1, max_pixels // max(1, image.width * image.height))
    wanted = set(sample_indices(frame_count, min(max_frames, affordable)))
    frames = []
    for index, frame, opened in _enumerate_frames(image, frame_count):
        if index in wanted:
            frames.append(Frame(frame.copy(), index, opened))
        if len(frames) == len(wanted):
            break
    return DecodedImage(
        format=image.format or "unknown",
        width=image.width,
        height=image.height,
        frame_count=frame_count,
        frames=frames,
    )


def _enumerate_frames(image: Image.Image, frame_count: int) -> Iterator[tuple[int, Image.Image, Image.Image | None]]:
    """(index, frame, the first frame as opened or None)."""
    if frame_count == 1:
        image.load()
        yield 0, image, None
        return
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        # GIF frames are palette images whose palette can change per frame: convert while it is current.
        if frame.mode != "P":
            yield index, frame, None
        else:
            yield index, frame.convert("RGBA"), frame.copy() if index == 0 else None
