"""`hotline backup --out DIR` and `hotline restore --from DIR`: see hotline.backup."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.identity import AsOption, actor_name

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

PassphraseStdin = Annotated[
    bool, typer.Option("--passphrase-stdin", help="Read the passphrase from the first line of standard input.")
]
PassphraseFile = Annotated[
    Path | None,
    typer.Option("--passphrase-file", envvar="HOTLINE_BACKUP_PASSPHRASE_FILE",
                 help="Read the passphrase from this file's first line (or HOTLINE_BACKUP_PASSPHRASE_FILE)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ActorOption = AsOption


def backup(
    out: Annotated[Path, typer.Option("--out", help="A new, empty folder for the backup.")],
    keys_out: Annotated[
        Path | None, typer.Option("--keys-out", help="A separate folder for the keys (never inside --out).")
    ] = None,
    passphrase_stdin: PassphraseStdin = False,
    passphrase_file: PassphraseFile = None,
    skip_database: Annotated[
        bool, typer.Option("--skip-database", help="PostgreSQL only: its own backups cover the database.")
    ] = False,
    as_user: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the database, the sealed evidence and the keys (apart, or sealed with a passphrase)."""
    from hotline import audit
    from hotline.backup import BackupError, make_backup
    from hotline.backup.keys import read_passphrase

    with state.hotline() as hl:
        actor = actor_name(hl, as_user)
        try:
            passphrase = None
            if keys_out is None and not (passphrase_stdin or passphrase_file or sys.stdin.isatty()):
                raise BackupError("choose where the keys go: --keys-out DIR (kept apart from the backup) or a "
                                  "passphrase (--passphrase-stdin or --passphrase-file)")
            if passphrase_stdin or passphrase_file or keys_out is None:
                passphrase = read_passphrase(passphrase_stdin, passphrase_file, confirm=True)
            if passphrase is not None and keys_out is not None:
                raise BackupError("choose one place for the keys: --keys-out or a passphrase, not both")
            with console.status("backing up…"):
                result = make_backup(hl, out, keys_out=keys_out, passphrase=passphrase, skip_database=skip_database)
        except BackupError as exc:
            _fail(str(exc))
        with hl.db.session() as session:  # whoever holds a backup and its keys reads every piece of evidence
            audit.record(session, actor, "backup.create", None, None, out=str(out.resolve()),
                         evidence_files=result.evidence_files, keys=result.keys["mode"],
                         database=bool(result.database.get("file")))
    if as_json:
        print(json.dumps({"out": str(result.out), "database": result.database, "evidence_files": result.evidence_files,
                          "evidence_bytes": result.evidence_bytes, "keys": result.keys, "unreadable": result.unreadable}))
    else:
        database = result.database
        included = f"{database['kind']} database" if database.get("file") else "no database"
        console.print(f"backed up to {result.out}: {included}, {result.evidence_files} evidence files "
                      f"({result.evidence_bytes} bytes)")
        if result.keys["mode"] == "separate":
            console.print(f"keys ({len(result.keys['ids'])}) in {result.keys['location']}: keep them apart from the backup")
        else:
            console.print(f"keys ({len(result.keys['ids'])}) sealed with the passphrase in {result.keys['location']}")
    if not result.database.get("file"):
        err.print(f"the database is not in this backup: dump it with\n  {result.database['pg_dump']}")
    if result.unreadable:
        err.print(f"warning: evidence sealed under keys the keyring does not hold: {result.unreadable}")


def restore(
    source: Annotated[Path, typer.Option("--from", help="The backup folder.")],
    keys_from: Annotated[Path | None, typer.Option("--keys-from", help="The folder backup --keys-out wrote.")] = None,
    passphrase_stdin: PassphraseStdin = False,
    passphrase_file: PassphraseFile = None,
    accept_unreadable: Annotated[
        bool, typer.Option("--accept-unreadable", help="Restore even evidence files that do not open.")
    ] = False,
    as_user: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into an empty data dir (and empty database), after checking every file."""
    from hotline import audit
    from hotline.app import Hotline
    from hotline.backup import BackupError, needs_passphrase, restore_backup
    from hotline.backup.keys import read_passphrase
    from hotline.config import load_settings
    from hotline.logs import configure_from_settings

    settings = load_settings(state.config)
    configure_from_settings(settings)
    try:
        passphrase = None
        if keys_from is None and (passphrase_stdin or passphrase_file or needs_passphrase(source)):
            passphrase = read_passphrase(passphrase_stdin, passphrase_file, confirm=False)
        with console.status("checking and restoring…"):
            result = restore_backup(settings, source, keys_dir=keys_from, passphrase=passphrase,
                                    accept_unreadable=accept_unreadable)
    except BackupError as exc:
        _fail(str(exc))
    if result.pg_restore is None:  # else the database is still to be restored by hand: leave it empty
        with Hotline(settings) as hl:
            hl.init()  # the schema of an older backup is brought up to date
            # Proved against the restored accounts (there are no others); the restore stands either way.
            actor = actor_name(hl, as_user)
            with hl.db.session() as session:
                audit.record(session, actor, "backup.restore", None, None, source=str(source.resolve()),
                             evidence_files=result.evidence_files, unreadable=len(result.unreadable))
    if as_json:
        print(json.dumps({"data_dir": str(result.data_dir), "database": result.database,
                          "evidence_files": result.evidence_files, "keys": result.keys,
                          "unreadable": result.unreadable}))
    else:
        console.print(f"restored into {result.data_dir}: {result.database} database, {result.evidence_files} "
                      f"evidence files checked, {len(result.keys)} keys")
    if result.pg_restore:
        err.print(f"the backup holds no database dump: restore yours before starting, e.g.\n  {result.pg_restore}")
    if result.unreadable:
        err.print(f"warning: {len(result.unreadable)} evidence files were restored although they do not open")


COMMANDS = (backup, restore)
