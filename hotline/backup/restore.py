"""`hotline restore`: a backup into an empty data dir, checked before anything is put in place.

Every file is copied into a staging folder beside the data dir and checked against the manifest (size,
SHA-256); every evidence file is opened with the restored keys. Only when all of it holds is the
staging folder renamed into place (and, for PostgreSQL, the dump restored into the empty database).
A failed check leaves the data dir as it was: empty.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from hotline.backup import postgres
from hotline.backup.keys import SEALED_FILE, open_keyring, read_keys_dir
from hotline.backup.manifest import SQLITE_FILE, BackupError, copy_hashed, read_manifest
from hotline.config import Settings
from hotline.db import make_engine
from hotline.evidence.store import EvidenceNotFound, EvidenceStore
from hotline.sealing.envelope import EvidenceCryptoError
from hotline.sealing.keyring import (
    KEYRING_FILE,
    Keyring,
    KeyringError,
    MasterKey,
    from_document,
    to_document,
    write_private,
)


@dataclass
class RestoreResult:
    data_dir: Path
    database: str  # sqlite | postgresql | postgresql (not in the backup)
    evidence_files: int
    keys: list[str]
    unreadable: list[str]  # evidence files restored although they do not open (--accept-unreadable)
    pg_restore: str | None = None  # the command to run by hand when the backup has no database dump


def needs_passphrase(source: Path) -> bool:
    return bool(read_manifest(source).get("keys", {}).get("file"))


def restore_backup(settings: Settings, source: Path, *, keys_dir: Path | None = None,
                   passphrase: str | None = None, accept_unreadable: bool = False) -> RestoreResult:
    manifest = read_manifest(source)
    data_dir = settings.data_dir
    database = manifest.get("database", {})
    _check_target(settings, database)
    keys, current = _keys(manifest, source, keys_dir, passphrase)
    staging = data_dir.parent / f".{data_dir.name}.restoring-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True, mode=0o700)
    try:
        evidence, unreadable = _copy_and_check(manifest, source, staging, Keyring(keys, current))
        if unreadable and not accept_unreadable:
            raise BackupError(f"{len(unreadable)} evidence files do not open with the backup's keys (first: "
                              f"{unreadable[0]}); nothing was restored (--accept-unreadable restores them as they are)")
        document = to_document(keys, next(k for k in keys if k.id == current))
        write_private(staging / KEYRING_FILE, json.dumps(document, indent=2).encode())
        sqlite_target = _sqlite_path(settings)
        if database.get("kind") == "postgresql" and database.get("file"):
            postgres.restore(settings.database, staging / database["file"])
        if data_dir.exists():
            data_dir.rmdir()  # checked empty above
        staging.rename(data_dir)
        staging = data_dir
        if sqlite_target is not None and sqlite_target != (data_dir / SQLITE_FILE).resolve():
            (data_dir / SQLITE_FILE).rename(sqlite_target)  # the settings keep the database elsewhere
        for leftover in ("database.pgdump", SEALED_FILE):
            (data_dir / leftover).unlink(missing_ok=True)
    except BaseException:
        if staging != data_dir:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    kind = database.get("kind", "sqlite")
    pg_hint = None
    if kind == "postgresql" and not database.get("file"):
        # Into this instance's database (the manifest's command names the database that was backed up).
        kind, pg_hint = "postgresql (not in the backup)", postgres.commands(settings.database, source / postgres.DUMP_FILE)[1]
    return RestoreResult(data_dir, kind, evidence, [k.hex for k in keys], unreadable, pg_hint)


def _sqlite_path(settings: Settings) -> Path | None:
    if not settings.database.startswith("sqlite"):
        return None
    name = make_url(settings.database).database
    return Path(name).resolve() if name else None


def _check_target(settings: Settings, database: dict[str, Any]) -> None:
    data_dir = settings.data_dir
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(f"the data dir {data_dir} is not empty: restore only into an empty or new one")
    kind = database.get("kind", "sqlite")
    configured = "sqlite" if settings.database.startswith("sqlite") else "postgresql"
    if kind != configured:
        raise BackupError(f"this backup holds a {kind} database but the settings use {configured}: "
                          f"set HOTLINE_DATABASE_URL for {kind}")
    sqlite_target = _sqlite_path(settings)
    if sqlite_target is not None and sqlite_target.exists():
        raise BackupError(f"the database file {sqlite_target} exists already: restore only into an empty place")
    if configured == "postgresql" and database.get("file"):
        engine = make_engine(settings.database)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise BackupError("the PostgreSQL database in HOTLINE_DATABASE_URL is not empty: restore into a new one")


def _keys(manifest: dict[str, Any], source: Path, keys_dir: Path | None,
          passphrase: str | None) -> tuple[list[MasterKey], bytes]:
    if keys_dir is not None:
        keys, current = read_keys_dir(keys_dir)
    elif passphrase is not None:
        sealed = manifest.get("keys", {}).get("file")
        if not sealed:
            raise BackupError("this backup keeps its keys apart: give the folder with --keys-from")
        try:
            keys, current = from_document(open_keyring((source / sealed).read_bytes(), passphrase), SEALED_FILE)
        except KeyringError as exc:
            raise BackupError(str(exc)) from None
    else:
        raise BackupError("give the backup's keys: --keys-from DIR, or the passphrase (--passphrase-stdin)")
    missing = set(manifest.get("keys", {}).get("ids", [])) - {k.hex for k in keys}
    if missing:
        raise BackupError(f"these keys are not the backup's: key(s) {', '.join(sorted(missing))} are missing")
    return keys, current


def _copy_and_check(manifest: dict[str, Any], source: Path, staging: Path,
                    keyring: Keyring) -> tuple[int, list[str]]:
    """Copy every listed file into staging, checking size and digest, and open every evidence file."""
    store = EvidenceStore(staging / "evidence", keyring)
    evidence = 0
    unreadable: list[str] = []
    for entry in manifest["files"]:
        relative = entry["path"]
        try:
            size, digest = copy_hashed(source / relative, staging / relative)
        except FileNotFoundError:
            raise BackupError(f"{relative} is missing from the backup: nothing was restored") from None
        if (size, digest) != (entry.get("size"), entry.get("sha256")):
            raise BackupError(f"{relative} does not match the manifest (damaged or altered): nothing was restored")
        if relative.startswith("evidence/"):
            try:
                store.open_file(relative.removeprefix("evidence/"))
            except (EvidenceCryptoError, EvidenceNotFound):
                unreadable.append(relative)
            evidence += 1
    if evidence != manifest.get("evidence", {}).get("files", evidence):
        raise BackupError("the manifest's evidence count does not match its file list: nothing was restored")
    return evidence, unreadable
