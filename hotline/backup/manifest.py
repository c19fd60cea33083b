"""The backup's manifest: what it holds, file by file with size and SHA-256, so a restore checks first."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from hotline.sealing.keyring import write_private

MANIFEST = "manifest.json"
FORMAT = "hotline-backup"
VERSION = 1
SQLITE_FILE = "hotline.sqlite3"
_CHUNK = 1 << 20


class BackupError(Exception):
    """The backup or restore cannot go on; one line saying why and what to do."""


def copy_hashed(source: Path, target: Path) -> tuple[int, str]:
    """Copy one file (owner-only) and return its size and SHA-256, reading it once."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as src, open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    # Written last: a backup without its manifest did not finish, and a restore says so.
    write_private(out / MANIFEST, json.dumps(manifest, indent=1).encode())


def safe_relative(text: str) -> str:
    """A manifest path that stays inside the backup and the data dir (it is read from a file)."""
    path = PurePosixPath(text)
    if path.is_absolute() or not path.parts or any(p in ("..", ".", "") for p in path.parts):
        raise BackupError(f"the manifest names a file outside the backup ({text!r}): nothing was restored")
    return path.as_posix()


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BackupError(f"{source} holds no {MANIFEST}: not a hotline backup, or one that did not finish") from None
    except ValueError:
        raise BackupError(f"{path} is damaged (not JSON)") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), list):
        raise BackupError(f"{path} is not a hotline backup manifest")
    if manifest.get("version", 0) > VERSION:
        raise BackupError(f"this backup was made by a newer hotline (format {manifest.get('version')}); "
                          "restore it with that version")
    for entry in manifest["files"]:
        entry["path"] = safe_relative(str(entry.get("path", "")))
    return manifest
