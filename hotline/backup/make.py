"""`hotline backup`: the database, the sealed evidence and the keys, while the instance keeps running.

Order matters. The database comes first (SQLite's online backup API, or pg_dump), then the evidence
files: every file a database row names was written before the row, so it is in the copy (files added
later are harmless extras). The keys come last, joined with those held at the start, so any key that
sealed a copied file is in the backup even if a rotation happened meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from hotline.backup import postgres
from hotline.backup.keys import SEALED_FILE, seal_keyring, write_keys_dir
from hotline.backup.manifest import FORMAT, SQLITE_FILE, VERSION, BackupError, copy_hashed, write_manifest
from hotline.sealing.envelope import KEY_ID_END, EvidenceCryptoError, sealed_key_id
from hotline.sealing.keyring import from_document, to_document

if TYPE_CHECKING:
    from hotline.app import Hotline


@dataclass
class BackupResult:
    out: Path
    database: dict[str, Any]
    evidence_files: int = 0
    evidence_bytes: int = 0
    keys: dict[str, Any] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)  # evidence under keys the keyring lacks


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _empty_or_new(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{what} {path} is not empty: give a new folder (a backup never overwrites another)")


def check_targets(app: Hotline, out: Path, keys_out: Path | None) -> None:
    _empty_or_new(out, "--out")
    if _inside(out, app.settings.data_dir):
        raise BackupError("--out is inside the data dir: put the backup somewhere else")
    if keys_out is not None:
        _empty_or_new(keys_out, "--keys-out")
        if _inside(keys_out, out) or _inside(out, keys_out):
            raise BackupError("--keys-out must not be inside --out (or hold it): the keys never lie beside the evidence")
        if _inside(keys_out, app.settings.evidence_dir):
            raise BackupError("--keys-out must not be inside the evidence store")


def make_backup(app: Hotline, out: Path, *, keys_out: Path | None = None, passphrase: str | None = None,
                skip_database: bool = False) -> BackupResult:
    if (keys_out is None) == (passphrase is None):
        raise BackupError("choose where the keys go: --keys-out DIR (kept apart from the backup) or a passphrase "
                          "(--passphrase-stdin or --passphrase-file)")
    check_targets(app, out, keys_out)
    keys_at_start = app.keyring.all_keys()
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    files: list[dict[str, Any]] = []
    result = BackupResult(out, _database(app, out, files, skip_database))
    used = _evidence(app, out, files, result)
    keyring = app.keyring
    current = keyring.current
    held = {k.id: k for k in [*keys_at_start, *keyring.all_keys()]}
    document = to_document(held.values(), current)
    from_document(document, "the keyring")  # the same checks a restore makes
    result.unreadable = {key: n for key, n in used.items() if key == "unreadable" or bytes.fromhex(key) not in held}
    ids = sorted(k.hex for k in held.values())
    if keys_out is not None:
        where = write_keys_dir(document, keys_out)
        result.keys = {"mode": "separate", "ids": ids, "location": str(where)}
    else:
        assert passphrase is not None
        (out / SEALED_FILE).write_bytes(seal_keyring(document, passphrase))
        (out / SEALED_FILE).chmod(0o600)
        result.keys = {"mode": "passphrase", "ids": ids, "location": str(out / SEALED_FILE)}
        files.append(_entry(out, SEALED_FILE))
    write_manifest(out, {
        "format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "hotline": _version(), "database": result.database,
        "keys": {"mode": result.keys["mode"], "ids": ids, "file": SEALED_FILE if passphrase else None},
        "evidence": {"files": result.evidence_files, "bytes": result.evidence_bytes, "key_ids": used},
        "files": files,
    })
    return result


def _entry(out: Path, relative: str) -> dict[str, Any]:
    from hotline.backup.manifest import hash_file

    size, digest = hash_file(out / relative)
    return {"path": relative, "size": size, "sha256": digest}


def _database(app: Hotline, out: Path, files: list[dict[str, Any]], skip: bool) -> dict[str, Any]:
    url = app.db.url
    if url.startswith("sqlite"):
        if skip:
            raise BackupError("--skip-database is for PostgreSQL backed up by its own tools; SQLite is always included")
        source = make_url(url).database
        if not source:
            raise BackupError("an in-memory SQLite database cannot be backed up")
        revision = _sqlite_online_backup(Path(source), out / SQLITE_FILE)
        files.append(_entry(out, SQLITE_FILE))
        return {"kind": "sqlite", "file": SQLITE_FILE, "revision": revision}
    info: dict[str, Any] = {"kind": "postgresql", "file": None, "revision": _revision(app),
                            "pg_dump": postgres.commands(url, out / postgres.DUMP_FILE)[0]}
    if skip:
        return info
    try:
        postgres.dump(url, out / postgres.DUMP_FILE)
    except postgres.PostgresToolError as exc:
        raise BackupError(f"{exc}; or back the database up with your own tools and pass --skip-database") from None
    files.append(_entry(out, postgres.DUMP_FILE))
    return info | {"file": postgres.DUMP_FILE}


def _sqlite_online_backup(source: Path, target: Path) -> str | None:
    """SQLite's backup API: a consistent copy while other connections go on writing."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        target.chmod(0o600)
        src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy of the database failed SQLite's check; try again")
        row = dst.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    finally:
        dst.close()
        src.close()


def _revision(app: Hotline) -> str | None:
    from sqlalchemy import text

    with app.db.engine.connect() as connection:
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(found) if found else None


def _evidence(app: Hotline, out: Path, files: list[dict[str, Any]], result: BackupResult) -> dict[str, int]:
    """Copy every sealed file as it is (it is encrypted already); count the master keys that sealed them."""
    store = app.evidence
    used: Counter[str] = Counter()
    for relative in store.files():
        target = f"evidence/{relative}"
        try:
            size, digest = copy_hashed(store.root / relative, out / target)
        except FileNotFoundError:
            continue  # purged while the backup ran
        with open(out / target, "rb") as handle:
            try:
                used[sealed_key_id(handle.read(KEY_ID_END)).hex()] += 1
            except EvidenceCryptoError:
                used["unreadable"] += 1
        files.append({"path": target, "size": size, "sha256": digest})
        result.evidence_files += 1
        result.evidence_bytes += size
    return dict(used)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hotline")
    except PackageNotFoundError:
        return "unknown"
