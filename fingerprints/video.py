"""Videos: recognise them by content type or magic bytes; sample frames with ffmpeg when it is installed.

No video decoder is a dependency: without ffmpeg the caller still gets the cryptographic hashes and a
clear ``video_frames_status`` saying frames were not hashed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from fingerprints.imaging import Frame, ImageDecodeError, decode_image

DEFAULT_FRAME_INTERVAL = 5.0
FFMPEG_TIMEOUT_SECONDS = 120
NO_DECODER = "no decoder available"
# ISO-BMFF brands that are still images (HEIC/AVIF), not videos.
_IMAGE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1"}
# Matroska/WebM, FLV, MPEG program stream, ASF/WMV.
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"FLV\x01", b"\x00\x00\x01\xba", b"\x30\x26\xb2\x75")


def is_video(data: bytes, content_type: str | None) -> bool:
    """True for video/* content types and for MP4/MOV, WebM/MKV, AVI, FLV, MPEG-PS and ASF signatures."""
    if content_type and content_type.lower().startswith("video/"):
        return True
    head = data[:16]
    if head[4:8] == b"ftyp":
        return head[8:12] not in _IMAGE_BRANDS
    if head.startswith(b"RIFF"):
        return head[8:12] == b"AVI "
    return head.startswith(_VIDEO_MAGIC)


def video_decoder() -> str | None:
    """Path of the ffmpeg binary, or None."""
    return shutil.which("ffmpeg")


def sample_video_frames(
    data: bytes, interval: float, max_pixels: int, max_frames: int
) -> tuple[list[tuple[Frame, float]], str]:
    """Frames every ``interval`` seconds (at most ``max_frames``) and a one-line status."""
    ffmpeg = video_decoder()
    if ffmpeg is None:
        return [], NO_DECODER
    with tempfile.TemporaryDirectory(prefix="fingerprints-video-") as workdir:
        source = Path(workdir) / "input"
        source.write_bytes(data)
        command = [
            ffmpeg,
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(source),
            "-vf",
            f"fps=1/{interval:g}",
            "-frames:v",
            str(max_frames),
            str(Path(workdir) / "frame-%05d.png"),
        ]
        try:
            completed = subprocess.run(
                command, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            return [], f"ffmpeg timed out after {FFMPEG_TIMEOUT_SECONDS} s"
        if completed.returncode != 0:
            reason = completed.stderr.decode("utf-8", "replace").strip().splitlines()
            return [], f"ffmpeg failed: {reason[-1] if reason else 'exit code ' + str(completed.returncode)}"
        frames = []
        for number, path in enumerate(sorted(Path(workdir).glob("frame-*.png"))):
            try:
                decoded = decode_image(path.read_bytes(), max_pixels=max_pixels, max_frames=1)
            except ImageDecodeError as exc:
                return [], f"frame {number} unreadable: {exc}"
            frames.append((Frame(decoded.first.image, number), number * interval))
    return frames, f"sampled {len(frames)} frames every {interval:g} s"
