"""Envelope encryption for evidence at rest.

Every file gets its own random 256-bit data key. The file body is sealed with AES-256-GCM under the
data key; the data key is wrapped with the master key (AES key wrap, RFC 3394) and stored in the
file header. Losing the master key loses the evidence. Rotating it means sealing each file again
(hotline.evidence.reseal): the header is authenticated, so re-wrapping the data key alone would fail.

File layout (all lengths fixed)::

    MAGIC (6) | master key id (8) | wrapped data key (40) | nonce (12) | ciphertext + GCM tag

The whole header is the GCM associated data, so a changed header fails authentication. Version 2
files (magic ``HLEV2``) also authenticate a context the caller names (the store uses a WARC file's
own path), so a sealed file moved or copied over another one fails authentication too; version 1
files, which bind no context, are still read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

MAGIC = b"HLEV1\n"
MAGIC_BOUND = b"HLEV2\n"  # same layout; the associated data is header + context
KEY_BYTES = 32
_KEY_ID_BYTES = 8
_WRAPPED_BYTES = KEY_BYTES + 8
_NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + _KEY_ID_BYTES + _WRAPPED_BYTES + _NONCE_BYTES
KEY_ID_END = len(MAGIC) + _KEY_ID_BYTES  # reading this many bytes of a file tells its master key
MASTER_KEY_FILE = Path("keys") / "master.key"


class EvidenceCryptoError(ValueError):
    """An evidence file cannot be decrypted: wrong master key, or the file was altered."""


def generate_master_key() -> bytes:
    return os.urandom(KEY_BYTES)


def key_id(master_key: bytes) -> bytes:
    """A short fingerprint that tells which master key sealed a file (not secret-revealing)."""
    return hashlib.sha256(b"hotline-master-key-id" + master_key).digest()[:_KEY_ID_BYTES]


def _check_key(master_key: bytes) -> None:
    if len(master_key) != KEY_BYTES:
        raise EvidenceCryptoError(f"master key must be {KEY_BYTES} bytes, got {len(master_key)}")


def seal(plaintext: bytes, master_key: bytes, context: bytes = b"") -> bytes:
    """Seal `plaintext`; a non-empty `context` must be given again to open it (version 2 file)."""
    _check_key(master_key)
    data_key = AESGCM.generate_key(bit_length=256)
    magic = MAGIC_BOUND if context else MAGIC
    header = magic + key_id(master_key) + aes_key_wrap(master_key, data_key) + os.urandom(_NONCE_BYTES)
    nonce = header[-_NONCE_BYTES:]
    return header + AESGCM(data_key).encrypt(nonce, plaintext, header + context)


def open_sealed(sealed: bytes, master_key: bytes, context: bytes = b"") -> bytes:
    _check_key(master_key)
    if len(sealed) < HEADER_BYTES + 16 or not sealed.startswith((MAGIC, MAGIC_BOUND)):
        raise EvidenceCryptoError("not a hotline evidence file")
    header = sealed[:HEADER_BYTES]
    associated = header + context if sealed.startswith(MAGIC_BOUND) else header
    start = len(MAGIC)
    if header[start : start + _KEY_ID_BYTES] != key_id(master_key):
        raise EvidenceCryptoError("evidence file was sealed with a different master key")
    wrapped = header[start + _KEY_ID_BYTES : start + _KEY_ID_BYTES + _WRAPPED_BYTES]
    try:
        data_key = aes_key_unwrap(master_key, wrapped)
        return AESGCM(data_key).decrypt(header[-_NONCE_BYTES:], sealed[HEADER_BYTES:], associated)
    except (InvalidUnwrap, InvalidTag) as exc:
        raise EvidenceCryptoError("evidence file failed authentication (altered or wrong key)") from exc


def sealed_key_id(sealed: bytes) -> bytes:
    """The id of the master key a sealed file (or its first ``KEY_ID_END`` bytes) was sealed under."""
    if len(sealed) < KEY_ID_END or not sealed.startswith((MAGIC, MAGIC_BOUND)):
        raise EvidenceCryptoError("not a hotline evidence file")
    return sealed[len(MAGIC) : KEY_ID_END]


def load_or_create_master_key(data_dir: Path) -> bytes:
    """The master key under ``data_dir/keys/master.key``, created (mode 0600) if missing."""
    path = Path(data_dir) / MASTER_KEY_FILE
    if path.exists():
        if path.stat().st_mode & 0o077:
            # Whoever reads this key reads all evidence: keep it to the owner, whatever a copy left behind.
            path.chmod(0o600)
        key = path.read_bytes()
        _check_key(key)
        return key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = generate_master_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
