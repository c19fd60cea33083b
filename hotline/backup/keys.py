"""The keyring in a backup: never beside the evidence in the clear.

Either a separate folder holding ``keyring.json`` (kept apart from the backup, e.g. on a token or in a
safe), or ``keys.sealed`` inside the backup: the keyring encrypted with AES-256-GCM under a key derived
from a passphrase with Argon2id. The passphrase is read from standard input or a file, never argv.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hotline.backup.manifest import BackupError
from hotline.sealing.keyring import KEYRING_FILE, KeyringError, MasterKey, from_document, write_private

SEALED_FILE = "keys.sealed"
SEALED_FORMAT = "hotline-sealed-keyring"
MIN_PASSPHRASE = 12
# Argon2id as RFC 9106's second recommendation (64 MiB, 3 passes): seconds of work per guess on a GPU.
KDF = {"name": "argon2id", "time_cost": 3, "memory_cost": 65536, "parallelism": 1}


class BackupKeysError(BackupError):
    """The keys cannot be written or read as asked; one line saying what to do."""


def read_passphrase(from_stdin: bool, from_file: Path | None, confirm: bool) -> str:
    """The passphrase from standard input's first line, a file's first line, or a prompt on a terminal."""
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8").splitlines()[0] if from_file.stat().st_size else ""
        except OSError as exc:
            raise BackupKeysError(f"cannot read the passphrase file {from_file}: {exc.strerror}") from None
    elif from_stdin:
        text = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        import typer

        text = typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)
    else:
        raise BackupKeysError("give the passphrase with --passphrase-stdin or --passphrase-file")
    if confirm and len(text) < MIN_PASSPHRASE:
        raise BackupKeysError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    if not text:
        raise BackupKeysError("the passphrase is empty")
    return text


def _derive(passphrase: str, salt: bytes, kdf: dict[str, Any]) -> bytes:
    if kdf.get("name") != "argon2id":
        raise BackupKeysError(f"unknown key derivation {kdf.get('name')!r} in {SEALED_FILE}")
    return hash_secret_raw(passphrase.encode("utf-8"), salt, int(kdf["time_cost"]), int(kdf["memory_cost"]),
                           int(kdf["parallelism"]), 32, Type.ID)


def _associated(doc: dict[str, Any]) -> bytes:
    # Everything but the ciphertext is authenticated: a weakened KDF setting fails to open.
    header = {k: v for k, v in doc.items() if k != "ciphertext"}
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def seal_keyring(document: dict[str, Any], passphrase: str) -> bytes:
    doc: dict[str, Any] = {"format": SEALED_FORMAT, "version": 1,
                           "kdf": KDF | {"salt": base64.b64encode(os.urandom(16)).decode()},
                           "nonce": base64.b64encode(os.urandom(12)).decode()}
    key = _derive(passphrase, base64.b64decode(doc["kdf"]["salt"]), doc["kdf"])
    sealed = AESGCM(key).encrypt(base64.b64decode(doc["nonce"]), json.dumps(document).encode(), _associated(doc))
    doc["ciphertext"] = base64.b64encode(sealed).decode()
    return json.dumps(doc, indent=2).encode()


def open_keyring(data: bytes, passphrase: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
        if doc.get("format") != SEALED_FORMAT or doc.get("version") != 1:
            raise ValueError
        key = _derive(passphrase, base64.b64decode(doc["kdf"]["salt"]), doc["kdf"])
        plain = AESGCM(key).decrypt(base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"]),
                                    _associated(doc))
    except InvalidTag:
        raise BackupKeysError("wrong passphrase (or the sealed keys were altered)") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupKeysError(f"{SEALED_FILE} is damaged: it is not a sealed hotline keyring") from None
    result: dict[str, Any] = json.loads(plain)
    return result


def write_keys_dir(document: dict[str, Any], keys_dir: Path) -> Path:
    """keyring.json (owner-only) in a folder of its own, the same file a data dir keeps in keys/."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys_dir / KEYRING_FILE.name
    write_private(path, json.dumps(document, indent=2).encode())
    return path


def read_keys_dir(keys_dir: Path) -> tuple[list[MasterKey], bytes]:
    path = keys_dir / KEYRING_FILE.name
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BackupKeysError(f"no {KEYRING_FILE.name} in {keys_dir}: give the folder `backup --keys-out` wrote") from None
    except ValueError:
        raise BackupKeysError(f"{path} is damaged (not JSON)") from None
    try:
        return from_document(doc, str(path))
    except KeyringError as exc:
        raise BackupKeysError(str(exc)) from None
