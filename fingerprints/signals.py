"""Signal types as plug-ins (after Meta's Hasher-Matcher-Actioner).

Each hash kind is one class with class methods to normalise a hash string, compute it, and name the index
that matches it. Adding a kind = one class + one ``register()`` line at the bottom of this module.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import imagehash
import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from fingerprints.imaging import Frame, decode_image

IndexKind = Literal["exact", "hamming"]
_HEX = re.compile(r"^[0-9a-f]+$")


class InvalidHash(ValueError):
    """A hash string that is not valid for its kind; the message says why in one line."""


@dataclass(frozen=True)
class SignalValue:
    """A computed hash; ``quality`` only for kinds that report one (PDQ: 0-100)."""

    hash: str
    quality: int | None = None


class SignalType(ABC):
    """One kind of hash. Subclasses set the class attributes and implement one ``compute_*``."""

    name: ClassVar[str]
    bits: ClassVar[int]
    index_kind: ClassVar[IndexKind]
    aliases: ClassVar[tuple[str, ...]] = ()
    default_radius: ClassVar[int] = 0
    # Hashes whose quality is below this are kept but never matched (Meta's advice for PDQ).
    min_quality: ClassVar[int | None] = None
    # Another way of computing the same hash as the kind named here: stored in and matched against that
    # kind's index (a list's `pdq` entries match our `pdq_tx` hashes too).
    index_as: ClassVar[str | None] = None

    @classmethod
    def index_name(cls) -> str:
        """The index this kind's hashes live in: its own, or that of the kind it is computed like."""
        return cls.index_as or cls.name

    @classmethod
    def normalize(cls, value: str) -> str:
        """Lower-case hex of exactly ``bits / 4`` digits, or InvalidHash."""
        text = value.strip().lower()
        text = text.removeprefix("0x")
        digits = cls.bits // 4
        if len(text) != digits:
            raise InvalidHash(f"{cls.name} must be {digits} hex digits, got {len(text)}")
        if not _HEX.match(text):
            raise InvalidHash(f"{cls.name} contains non-hex characters")
        return text

    @classmethod
    def is_valid(cls, value: str) -> bool:
        try:
            cls.normalize(value)
        except InvalidHash:
            return False
        return True

    @classmethod
    def usable(cls, quality: int | None) -> bool:
        """Whether a hash of this quality may be matched."""
        return cls.min_quality is None or quality is None or quality >= cls.min_quality

    @classmethod
    def index_class(cls) -> type[object]:
        """The index class that matches this kind: exact lookups or Hamming-radius search."""
        from fingerprints.exact import ExactIndex
        from fingerprints.hamming import HammingIndex

        return ExactIndex if cls.index_kind == "exact" else HammingIndex


class BytesSignal(SignalType):
    """A cryptographic digest of the raw bytes: matched exactly."""

    index_kind: ClassVar[IndexKind] = "exact"

    @classmethod
    @abstractmethod
    def compute_bytes(cls, data: bytes) -> SignalValue: ...


class ImageSignal(SignalType):
    """A perceptual hash of decoded pixels: matched by Hamming distance."""

    index_kind: ClassVar[IndexKind] = "hamming"

    @classmethod
    @abstractmethod
    def compute_frame(cls, frame: Frame) -> SignalValue | None:
        """The hash of one frame; None when the kind does not apply to it (or would repeat another)."""

    @classmethod
    def compute_image(cls, image: Image.Image) -> SignalValue | None:
        """Hash an already decoded Pillow image."""
        return cls.compute_frame(Frame(image))

    @classmethod
    def compute_bytes(cls, data: bytes) -> SignalValue | None:
        """Decode (first frame, bomb-guarded) and hash; fingerprint_bytes decodes once for all kinds."""
        return cls.compute_frame(decode_image(data, max_frames=1).first)


class MD5(BytesSignal):
    name = "md5"
    bits = 128

    @classmethod
    def compute_bytes(cls, data: bytes) -> SignalValue:
        return SignalValue(hashlib.md5(data, usedforsecurity=False).hexdigest())


class SHA1(BytesSignal):
    name = "sha1"
    aliases = ("sha-1",)
    bits = 160

    @classmethod
    def compute_bytes(cls, data: bytes) -> SignalValue:
        return SignalValue(hashlib.sha1(data, usedforsecurity=False).hexdigest())


class SHA256(BytesSignal):
    name = "sha256"
    aliases = ("sha-256",)
    bits = 256

    @classmethod
    def compute_bytes(cls, data: bytes) -> SignalValue:
        return SignalValue(hashlib.sha256(data).hexdigest())


class PHash(ImageSignal):
    """imagehash's DCT pHash, 64 bits, hex as imagehash prints it."""

    name = "phash"
    aliases = ("p-hash", "perceptual_hash")
    bits = 64
    default_radius = 10

    @classmethod
    def compute_frame(cls, frame: Frame) -> SignalValue:
        return SignalValue(str(imagehash.phash(frame.grey)))


class DHash(ImageSignal):
    """imagehash's difference hash, 64 bits."""

    name = "dhash"
    aliases = ("d-hash",)
    bits = 64
    default_radius = 10

    @classmethod
    def compute_frame(cls, frame: Frame) -> SignalValue:
        return SignalValue(str(imagehash.dhash(frame.grey)))


class PDQ(ImageSignal):
    """Meta's PDQ, 256 bits with a 0-100 quality; below 50 the hash is kept but not matched."""

    name = "pdq"
    aliases = ("pdq_hash", "pdqhash")
    bits = 256
    default_radius = 31
    min_quality = 50

    @classmethod
    def compute_frame(cls, frame: Frame) -> SignalValue:
        hash_bits, quality = pdqhash.compute(frame.rgb_array)
        packed = np.packbits(np.asarray(hash_bits, dtype=np.uint8))
        return SignalValue(packed.tobytes().hex(), int(quality))


class PDQThreatExchange(ImageSignal):
    """PDQ as python-threatexchange (and so Meta's HMA) computes it: on `numpy.asarray(Image.open(file))`
    of the first frame. For palette images (GIFs, palette PNGs) that array holds palette indices, not
    colours, so its hash differs from the reference PDQ above by ~100-200 bits and lists built with HMA
    would miss those images. Computed only where the two differ (palette, CMYK, 16-bit...), matched in
    the `pdq` index: a partner's `pdq` entry matches whichever of the two it was made like."""

    name = "pdq_tx"
    aliases = ("pdq-threatexchange",)
    bits = 256
    default_radius = 31
    min_quality = 50
    index_as = "pdq"
    # Modes in which python-threatexchange hands pdqhash the same pixels our PDQ does.
    SAME_AS_PDQ = frozenset({"RGB", "RGBA", "RGBX", "L", "LA"})

    @classmethod
    def compute_frame(cls, frame: Frame) -> SignalValue | None:
        opened = frame.as_opened
        if opened is None or opened.mode in cls.SAME_AS_PDQ:
            return None
        array = _threatexchange_array(opened)
        if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] < 3:
            return None  # python-threatexchange fails on these: there is no hash of theirs to agree with
        hash_bits, quality = pdqhash.compute(np.ascontiguousarray(array))
        packed = np.packbits(np.asarray(hash_bits, dtype=np.uint8))
        return SignalValue(packed.tobytes().hex(), int(quality))


def _threatexchange_array(image: Image.Image) -> npt.NDArray[np.generic]:
    """What python-threatexchange 1.2 feeds pdqhash (pdq_hasher._convert_image_to_correct_array_dimension):
    LA and I;16 converted to RGB, any other mode as numpy sees it, a 2-D array stacked to three channels."""
    if image.mode in ("LA", "I;16"):
        image = image.convert("RGB")
    array: npt.NDArray[np.generic] = np.asarray(image)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=2)
    return array


SIGNAL_TYPES: dict[str, type[SignalType]] = {}
_ALIASES: dict[str, str] = {}


def register(signal: type[SignalType]) -> type[SignalType]:
    """Make a signal type known to fingerprinting, hash-list parsing and the index."""
    SIGNAL_TYPES[signal.name] = signal
    for alias in (signal.name, *signal.aliases):
        _ALIASES[_alias_key(alias)] = signal.name
    return signal


def unregister(name: str) -> None:
    """Forget a signal type (for tests and for plug-ins that are switched off)."""
    signal = SIGNAL_TYPES.pop(name)
    for alias in (signal.name, *signal.aliases):
        _ALIASES.pop(_alias_key(alias), None)


def _alias_key(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text.strip().lower())


def signal_for(name: str) -> type[SignalType]:
    """The signal type for a kind name or alias ("SHA-256", "sha256", "PDQ"); KeyError if unknown."""
    canonical = _ALIASES.get(_alias_key(name))
    if canonical is None:
        raise KeyError(f"unknown hash kind {name!r}; known: {', '.join(sorted(SIGNAL_TYPES))}")
    return SIGNAL_TYPES[canonical]


def canonical_kind(name: str) -> str | None:
    """Canonical kind name for a column header or alias, or None when it is not a hash kind."""
    return _ALIASES.get(_alias_key(name))


def bytes_signals() -> list[type[BytesSignal]]:
    return [s for s in SIGNAL_TYPES.values() if issubclass(s, BytesSignal)]


def image_signals() -> list[type[ImageSignal]]:
    return [s for s in SIGNAL_TYPES.values() if issubclass(s, ImageSignal)]


for _signal in (MD5, SHA1, SHA256, PHash, DHash, PDQ, PDQThreatExchange):
    register(_signal)
