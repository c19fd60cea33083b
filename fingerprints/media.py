"""fingerprint_bytes: every hash of one media item, from one decode."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fingerprints.imaging import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    DecodedImage,
    DecompressionBombError,
    Frame,
    ImageDecodeError,
    decode_image,
)
from fingerprints.signals import SIGNAL_TYPES, bytes_signals, image_signals
from fingerprints.video import DEFAULT_FRAME_INTERVAL, is_video, sample_video_frames

MediaKind = Literal["image", "video", "other"]


@dataclass(frozen=True)
class FrameFingerprint:
    """Perceptual hashes of one frame: of an animation (``index`` = frame number) or a video sample."""

    index: int
    hashes: dict[str, str]
    quality: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None


@dataclass(frozen=True)
class MediaFingerprint:
    """Hashes of one media item. ``hashes`` maps kind -> hex (md5, sha1, sha256 always; phash, dhash, pdq
    for images, taken from the first frame); ``frames`` holds per-frame hashes of animations and of
    sampled video frames; ``error`` says why perceptual hashes are missing for an image."""

    kind: MediaKind
    size: int
    content_type: str | None
    hashes: dict[str, str]
    quality: dict[str, int] = field(default_factory=dict)
    format: str | None = None
    width: int | None = None
    height: int | None = None
    frame_count: int = 0
    frames: list[FrameFingerprint] = field(default_factory=list)
    error: str | None = None
    video_frames_status: str | None = None

    @property
    def md5(self) -> str:
        return self.hashes["md5"]

    @property
    def sha1(self) -> str:
        return self.hashes["sha1"]

    @property
    def sha256(self) -> str:
        return self.hashes["sha256"]

    @property
    def phash(self) -> str | None:
        return self.hashes.get("phash")

    @property
    def dhash(self) -> str | None:
        return self.hashes.get("dhash")

    @property
    def pdq(self) -> str | None:
        return self.hashes.get("pdq")

    @property
    def pdq_quality(self) -> int | None:
        return self.quality.get("pdq")

    @property
    def pdq_usable(self) -> bool:
        """Whether the PDQ hash may be matched (present and quality >= 50)."""
        return self.pdq is not None and SIGNAL_TYPES["pdq"].usable(self.pdq_quality)

    def matchable(self) -> list[tuple[str, str]]:
        """Every (kind, hash) worth matching: item hashes plus distinct frame hashes, low quality left out."""
        pairs: dict[tuple[str, str], None] = {}
        sources = [(self.hashes, self.quality)] + [(f.hashes, f.quality) for f in self.frames]
        for hashes, quality in sources:
            for kind, value in hashes.items():
                if SIGNAL_TYPES[kind].usable(quality.get(kind)):
                    pairs[(kind, value)] = None
        return list(pairs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def fingerprint_bytes(
    data: bytes,
    content_type: str | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    video_frame_interval: float = DEFAULT_FRAME_INTERVAL,
) -> MediaFingerprint:
    """Hash ``data``: cryptographic digests always; perceptual hashes when it decodes as an image (every
    frame of an animation up to ``max_frames``, evenly spaced) or, for video, of frames sampled every
    ``video_frame_interval`` seconds when a decoder is available. Never raises for bad media: the reason
    goes into ``error`` / ``video_frames_status``."""
    digests = {signal.name: signal.compute_bytes(data).hash for signal in bytes_signals()}
    base: dict[str, Any] = {"size": len(data), "content_type": content_type}
    if is_video(data, content_type):
        samples, status = sample_video_frames(data, video_frame_interval, max_pixels, max_frames)
        frames = [_frame_fingerprint(frame, seconds=seconds) for frame, seconds in samples]
        return MediaFingerprint(
            kind="video",
            hashes=digests,
            frames=frames,
            frame_count=len(frames),
            video_frames_status=status,
            **base,
        )
    try:
        decoded = decode_image(data, max_pixels=max_pixels, max_frames=max_frames)
    except DecompressionBombError as exc:
        return MediaFingerprint(kind="image", hashes=digests, error=str(exc), **base)
    except ImageDecodeError as exc:
        if (content_type or "").lower().startswith("image/"):
            return MediaFingerprint(kind="image", hashes=digests, error=str(exc), **base)
        return MediaFingerprint(kind="other", hashes=digests, **base)
    return _image_fingerprint(decoded, digests, base)


def _image_fingerprint(
    decoded: DecodedImage, digests: dict[str, str], base: dict[str, Any]
) -> MediaFingerprint:
    frames = [_frame_fingerprint(frame) for frame in decoded.frames]
    first = frames[0]
    return MediaFingerprint(
        kind="image",
        hashes={**digests, **first.hashes},
        quality=dict(first.quality),
        format=decoded.format,
        width=decoded.width,
        height=decoded.height,
        frame_count=decoded.frame_count,
        frames=frames if decoded.frame_count > 1 else [],
        **base,
    )


def _frame_fingerprint(frame: Frame, seconds: float | None = None) -> FrameFingerprint:
    hashes: dict[str, str] = {}
    quality: dict[str, int] = {}
    for signal in image_signals():
        value = signal.compute_frame(frame)
        if value is None:
            continue
        hashes[signal.name] = value.hash
        if value.quality is not None:
            quality[signal.name] = value.quality
    return FrameFingerprint(frame.index, hashes, quality, seconds)
