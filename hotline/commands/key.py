"""`hotline key status|rotate|reseal|retire|generate`: the master keys that seal evidence.

A rotation adds a key and makes it current: new evidence is sealed under it at once, and the
background job (`hotline serve`, or `hotline key reseal` now) seals the old files again under it.
An old key is retired only when no file is sealed under it any more. See hotline.sealing.keyring.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.identity import AsOption, actor_name

NAME = "key"
app = typer.Typer(no_args_is_help=True, help="Master keys of the evidence: status, rotate, reseal, retire.")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ActorOption = AsOption


def _status(hl: Any) -> dict[str, Any]:
    from hotline.evidence.reseal import key_usage, progress, sealed_in_database

    counts, unreadable = key_usage(hl.evidence)
    in_database = sealed_in_database(hl)  # the audit chain's key and the key of sealed columns
    keyring = hl.keyring
    current = keyring.current
    keys = [{"id": k.hex, "current": k.id == current.id, "origin": k.origin, "added_at": k.added_at,
             "files": counts.pop(k.hex, 0), "database_keys": in_database.pop(k.hex, 0)}
            for k in keyring.all_keys()]
    counts.update(in_database)
    return {"source": "HOTLINE_MASTER_KEY" if keyring.configured else "data dir", "keys": keys,
            "unknown_keys": dict(counts), "unreadable_files": unreadable, "reseal": progress(hl)}


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The keys in the keyring and how many evidence files each one sealed."""
    with state.hotline() as hl:
        report = _status(hl)
    if as_json:
        print(json.dumps(report))
        return
    console.print(f"keys from the {report['source']}")
    for key in report["keys"]:
        mark = "current" if key["current"] else "old    "
        console.print(f"{key['id']}  {mark}  {key['files']:>8} files  {key['database_keys']} keys in the database  "
                      f"{key['origin']} {key['added_at'] or ''}")
    for key_hex, count in report["unknown_keys"].items():
        err.print(f"{count} files are sealed under {key_hex}, which the keyring does not hold: they cannot be read")
    if report["unreadable_files"]:
        err.print(f"{report['unreadable_files']} files have no readable evidence header")
    walk = report["reseal"]
    if walk and not walk.get("finished_at"):
        console.print(f"re-sealing to {walk['target']}: {walk['resealed']} files so far, at {walk['after'] or 'the start'}")


@app.command()
def rotate(as_user: ActorOption = None) -> None:
    """Add a new master key and make it current; old evidence is sealed again in the background."""
    from hotline import audit
    from hotline.sealing.keyring import KeyringError

    with state.hotline() as hl:
        actor = actor_name(hl, as_user)
        old = hl.keyring.current
        try:
            new = hl.keyring.rotate()
        except KeyringError as exc:
            _fail(str(exc))
        with hl.db.session() as session:
            audit.record(session, actor, "key.rotate", "master_key", new.hex, previous=old.hex)
    console.print(f"new current key {new.hex} (was {old.hex}); old evidence is sealed again by `hotline serve`'s "
                  "background work, or now with `hotline key reseal`")
    err.print("back the keys up now (hotline backup): evidence sealed from now on needs the new key")


@app.command()
def reseal(batch: Annotated[int, typer.Option(min=1, help="Files per batch.")] = 200) -> None:
    """Seal every file not under the current key again now, from the first file to the last."""
    from hotline.evidence.reseal import reseal_all

    with state.hotline() as hl, console.status("re-sealing…") as shown:
        total = reseal_all(hl, batch, on_step=lambda t: shown.update(
            f"re-sealing: {t.examined} looked at, {t.resealed} sealed again"))
    console.print(f"looked at {total.examined} files, sealed {total.resealed} again under the current key")
    if total.damaged:
        _fail(f"{total.damaged} files could not be opened and keep their old key; see the log", code=1)


@app.command()
def retire(
    key_id: Annotated[str, typer.Argument(help="The key's id, or its first characters (see `key status`).")],
    as_user: ActorOption = None,
) -> None:
    """Remove an old key from the keyring, once no evidence file is sealed under it any more."""
    from hotline import audit
    from hotline.evidence.reseal import key_usage, sealed_in_database
    from hotline.sealing.keyring import KeyringError

    with state.hotline() as hl:
        actor = actor_name(hl, as_user)
        try:
            key = hl.keyring.find(key_id)
        except KeyringError as exc:
            _fail(str(exc))
        if key.id == hl.keyring.current.id:
            _fail("the current key cannot be retired; rotate first")
        still = key_usage(hl.evidence)[0].get(key.hex, 0) + sealed_in_database(hl).get(key.hex, 0)
        if still:
            _fail(f"{still} evidence files (or keys in the database) are still sealed under {key.hex}: wait until `hotline key status` "
                  "shows 0 (or run `hotline key reseal`)")
        if hl.keyring.configured:
            console.print(f"nothing is sealed under {key.hex} any more: remove it from HOTLINE_MASTER_KEY")
            return
        try:
            hl.keyring.retire(key.id)
        except KeyringError as exc:
            _fail(str(exc))
        with hl.db.session() as session:
            audit.record(session, actor, "key.retire", "master_key", key.hex)
    console.print(f"retired {key.hex}: the keyring no longer holds it")


@app.command()
def generate() -> None:
    """Print a new random key in base64, for HOTLINE_MASTER_KEY (put it first, the old keys after it)."""
    from hotline.evidence import generate_master_key

    print(base64.b64encode(generate_master_key()).decode())
