"""The master keys, by id: one current key seals, every key still held opens what it sealed.

Every sealed file's header names the 8-byte id of the master key that sealed it (hotline.sealing.envelope),
so old files stay readable after a rotation for as long as their key is in the ring. Other areas that
keep secrets (hash chains, one-time-code seeds, partner secrets) seal them with `Keyring.seal` too and
so survive a rotation the same way.

Where the keys come from, in this order:

1. ``HOTLINE_MASTER_KEY``: one base64 key, or several separated by commas; the first is current, the
   others only open old files. Nothing is written to the data dir. A rotation is done by the operator:
   put a new key first (``hotline key generate``), keep the old ones after it, restart; remove an old
   one once ``hotline key status`` shows nothing sealed under it.
2. ``keys/keyring.json`` in the data dir (owner-only), written by ``hotline key rotate`` and
   ``hotline restore``. Once it exists it is the whole keyring; ``keys/master.key`` is then ignored
   (its key was copied into the keyring by the first rotation).
3. ``keys/master.key``: the single key every data dir starts with (created when missing).

A process that loaded the keyring before another process rotated it notices the change: the file is
looked at again before each seal and whenever a file names a key it does not know.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.sealing.envelope import (
    KEY_BYTES,
    MASTER_KEY_FILE,
    EvidenceCryptoError,
    generate_master_key,
    key_id,
    load_or_create_master_key,
    open_sealed,
    seal,
    sealed_key_id,
)

KEYRING_FILE = Path("keys") / "keyring.json"
FORMAT = "hotline-keyring"


class KeyringError(Exception):
    """The keyring cannot be read or changed as asked; the message is one line saying what to do."""


class UnknownKey(EvidenceCryptoError):
    """A file names a master key the keyring does not hold."""


@dataclass(frozen=True)
class MasterKey:
    secret: bytes = field(repr=False)
    added_at: str | None = None
    origin: str = "master.key"  # master.key | rotate | restore | HOTLINE_MASTER_KEY

    @property
    def id(self) -> bytes:
        return key_id(self.secret)

    @property
    def hex(self) -> str:
        return self.id.hex()


def decode_configured(text: str) -> list[MasterKey]:
    """HOTLINE_MASTER_KEY: base64 keys separated by commas, the current one first."""
    keys = []
    for part in (p.strip() for p in text.split(",")):
        try:
            secret = base64.b64decode(part, validate=True)
        except (binascii.Error, ValueError):
            secret = b""
        if len(secret) != KEY_BYTES:
            raise KeyringError(
                "setting HOTLINE_MASTER_KEY is invalid: it must be 32-byte keys in base64, separated by commas"
            )
        keys.append(MasterKey(secret, origin="HOTLINE_MASTER_KEY"))
    return keys


def to_document(keys: Iterable[MasterKey], current: MasterKey) -> dict[str, Any]:
    """The keyring as JSON-ready data (secrets included): what keyring.json and key backups hold."""
    return {
        "format": FORMAT,
        "version": 1,
        "current": current.hex,
        "keys": [{"id": k.hex, "key": base64.b64encode(k.secret).decode(), "added_at": k.added_at,
                  "origin": k.origin} for k in keys],
    }


def from_document(doc: Any, where: str) -> tuple[list[MasterKey], bytes]:
    """Keys and the current id from `to_document`'s data; `where` names the source in errors."""
    try:
        if doc.get("format") != FORMAT or doc.get("version") != 1:
            raise ValueError("not a hotline keyring (version 1)")
        keys = []
        for entry in doc["keys"]:
            key = MasterKey(base64.b64decode(entry["key"], validate=True), entry.get("added_at"),
                            entry.get("origin") or "restore")
            if len(key.secret) != KEY_BYTES or key.hex != entry["id"]:
                raise ValueError(f"key {entry.get('id')} does not match its id")
            keys.append(key)
        current = bytes.fromhex(doc["current"])
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise KeyringError(f"{where} is damaged ({exc}); restore it from your keys backup") from None
    if current not in {k.id for k in keys}:
        raise KeyringError(f"{where} is damaged (its current key is missing); restore it from your keys backup")
    return keys, current


def write_private(path: Path, data: bytes) -> None:
    """Owner-only file written whole or not at all (temp file, fsync, rename, fsync the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class Keyring:
    """Master keys by id. Built by `load` (from settings and the data dir) or `of` (given keys)."""

    def __init__(self, keys: Iterable[MasterKey], current_id: bytes, data_dir: Path | None = None) -> None:
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._lock = threading.Lock()
        self._state = self._index(keys, current_id)
        self._seen = self._file_signature()

    @classmethod
    def of(cls, *secrets: bytes) -> Keyring:
        """A keyring of the given keys, the first current (for tests and the capture process)."""
        keys = [MasterKey(s) for s in secrets]
        return cls(keys, keys[0].id)

    @classmethod
    def load(cls, data_dir: Path, configured: str | None = None, create: bool = True) -> Keyring:
        if configured:
            keys = decode_configured(configured)
            return cls(keys, keys[0].id)
        keys, current = _read_data_dir(Path(data_dir), create)
        return cls(keys, current, data_dir=Path(data_dir))

    # -- reading -------------------------------------------------------------------------------------
    @property
    def configured(self) -> bool:
        """True when the keys come from HOTLINE_MASTER_KEY (the operator rotates them there)."""
        return self._data_dir is None

    @property
    def current(self) -> MasterKey:
        self._reload_if_changed()
        keys, current = self._state
        return keys[current]

    def all_keys(self) -> list[MasterKey]:
        self._reload_if_changed()
        return list(self._state[0].values())

    def get(self, wanted: bytes) -> MasterKey:
        found = self._state[0].get(wanted)
        if found is None:
            self._reload_if_changed()
            found = self._state[0].get(wanted)
        if found is None:
            raise UnknownKey(
                f"evidence file was sealed with a different master key ({wanted.hex()}), which this keyring "
                "does not hold"
            )
        return found

    def seal(self, plaintext: bytes, context: bytes = b"") -> bytes:
        return seal(plaintext, self.current.secret, context)

    def open(self, sealed: bytes, context: bytes = b"") -> bytes:
        return open_sealed(sealed, self.get(sealed_key_id(sealed)).secret, context)

    def export(self) -> dict[str, Any]:
        return to_document(self.all_keys(), self.current)

    # -- changing (data-dir keyrings only) ------------------------------------------------------------
    def rotate(self) -> MasterKey:
        """Add a new key and make it current; the old ones stay to open what they sealed."""
        with self._changing() as (keys, _):
            new = MasterKey(generate_master_key(), datetime.now(UTC).isoformat(timespec="seconds"), "rotate")
            self._save([*keys, new], new.id)
        return new

    def retire(self, wanted: bytes) -> MasterKey:
        """Forget a key. The caller checks first that nothing is sealed under it any more."""
        with self._changing() as (keys, current):
            if wanted == current:
                raise KeyringError("the current key cannot be retired; rotate first")
            gone = next((k for k in keys if k.id == wanted), None)
            if gone is None:
                raise KeyringError(f"the keyring holds no key {wanted.hex()}")
            self._save([k for k in keys if k.id != wanted], current)
            assert self._data_dir is not None
            legacy = self._data_dir / MASTER_KEY_FILE
            if legacy.exists() and key_id(legacy.read_bytes()) == wanted:
                legacy.unlink()  # a retired key must not linger on disk
        return gone

    def find(self, prefix: str) -> MasterKey:
        """The key whose hex id starts with `prefix` (at least 4 characters, unambiguous)."""
        text = prefix.strip().lower()
        matches = [k for k in self.all_keys() if k.hex.startswith(text)] if len(text) >= 4 else []
        if len(matches) != 1:
            raise KeyringError(f"no single key with an id starting {prefix!r}; `hotline key status` lists them")
        return matches[0]

    # -- internals ------------------------------------------------------------------------------------
    @staticmethod
    def _index(keys: Iterable[MasterKey], current: bytes) -> tuple[dict[bytes, MasterKey], bytes]:
        by_id = {k.id: k for k in keys}
        if current not in by_id:
            raise KeyringError("the current master key is not in the keyring")
        return by_id, current

    def _file_signature(self) -> tuple[int, int, int] | None:
        if self._data_dir is None:
            return None
        try:
            st = os.stat(self._data_dir / KEYRING_FILE)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _reload_if_changed(self) -> None:
        if self._data_dir is None or self._file_signature() == self._seen:
            return
        with self._lock:
            seen = self._file_signature()
            keys, current = _read_data_dir(self._data_dir, create=False)
            self._state, self._seen = self._index(keys, current), seen

    @contextmanager
    def _changing(self) -> Iterator[tuple[list[MasterKey], bytes]]:
        if self._data_dir is None:
            raise KeyringError(
                "the master keys come from HOTLINE_MASTER_KEY: change them there (docs/deploy.md, key rotation)"
            )
        lock_path = self._data_dir / "keys" / ".keyring.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600), "a") as lock:  # one change at a time
            fcntl.flock(lock, fcntl.LOCK_EX)
            keys, current = _read_data_dir(self._data_dir, create=False)
            yield keys, current

    def _save(self, keys: list[MasterKey], current: bytes) -> None:
        assert self._data_dir is not None
        by_id = {k.id: k for k in keys}
        body = json.dumps(to_document(keys, by_id[current]), indent=2).encode()
        write_private(self._data_dir / KEYRING_FILE, body)
        with self._lock:
            self._state, self._seen = self._index(keys, current), self._file_signature()


def _read_data_dir(data_dir: Path, create: bool) -> tuple[list[MasterKey], bytes]:
    path = data_dir / KEYRING_FILE
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # whoever reads it reads all evidence
        try:
            doc = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            raise KeyringError(f"{path} is damaged (not JSON); restore it from your keys backup") from None
        return from_document(doc, str(path))
    if not create and not (data_dir / MASTER_KEY_FILE).exists():
        raise KeyringError(f"no master key in {data_dir / 'keys'}")
    legacy = MasterKey(load_or_create_master_key(data_dir), origin="master.key")
    return [legacy], legacy.id
