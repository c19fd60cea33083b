"""`hotline hashlist import|ls|rm`: the hash lists hotlines exchange."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.tables import table as cli_table

app = typer.Typer(no_args_is_help=True, help="Import, list and remove hash lists.")


@app.command("import")
def import_(
    file: Path,
    name: Annotated[str, typer.Option(help="A name for the list.")],
    verdict: Annotated[str, typer.Option(help="What a match means: baseline, national, adult-minors, ...")],
    source: Annotated[str | None, typer.Option(help="Who published the list.")] = None,
    trusted: Annotated[bool, typer.Option(help="Trusted for auto-forward policies.")] = False,
    confirmations: Annotated[int, typer.Option(help="Analysts who confirmed its entries.")] = 0,
    replace: Annotated[bool, typer.Option(help="Replace a list of the same name.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a CSV/TSV or JSON-lines file with md5, sha1, sha256, phash and/or pdq columns."""
    from fingerprints import HashListError
    from hotline import audit
    from hotline.matching.lists import HashListExists, import_list
    from hotline.pipeline.fingerprint import rematch_list
    from hotline.rules.taxonomy import LegalAssessment

    if verdict not in set(LegalAssessment):
        _fail(f"unknown verdict {verdict!r}: choose from {', '.join(LegalAssessment)}")
    if not file.is_file():
        _fail(f"{file} is not a readable file")
    with state.hotline() as hl:
        try:
            with hl.db.session() as session, Console(stderr=True).status("importing…") as status:
                done = import_list(session, file, name=name, verdict=verdict, source=source, trusted=trusted,
                                   confirmations=confirmations, replace=replace,
                                   on_progress=lambda n: status.update(f"{n} hashes"))
                summary = {"name": name, "rows": done.rows, "hashes": done.hashes,
                           "bad_rows": [{"line": line, "error": error} for line, error in done.errors]}
                list_id = done.hash_list.id
                audit.record(session, "cli", "hashlist.import", "hash_list", list_id, name=name, verdict=verdict,
                             hashes=done.hashes, trusted=trusted)
        except (HashListError, HashListExists) as exc:
            _fail(str(exc))
        # Media captured before the list came in: matched now, so analysts stop seeing what is on it.
        with Console(stderr=True).status("matching the media already captured…"):
            again = rematch_list(hl, list_id)
        summary["rematch"] = {"exact_matches": again.exact, "similar_matches": again.similar,
                              "items_checked": again.items, "continues_in_background": again.background}
    if as_json:
        print(json.dumps(summary))
        return
    typer.echo(f"{name}: {summary['hashes']} hashes from {summary['rows']} rows; {len(done.errors)} bad rows")
    typer.echo(f"media already captured: {again.exact + again.similar} new matches (hidden from analysts now)"
               + ("; the rest is matched in the background by `hotline serve` or the workers" if again.background
                  else ""))
    for line, error in done.errors[:50]:
        typer.echo(f"  line {line}: {error}", err=True)
    if len(done.errors) > 50:
        typer.echo(f"  … and {len(done.errors) - 50} more", err=True)


@app.command("ls")
def ls(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The imported lists."""
    from hotline.matching.lists import list_lists

    with state.hotline() as hl, hl.db.sessions() as session:
        lists = list_lists(session)
    if as_json:
        print(json.dumps(lists))
        return
    table = cli_table("name", "verdict", "source", "trusted", "confirmations", "hashes", "imported",
                      wide=("source",))
    for item in lists:
        table.add_row(*(str(item[k]) for k in ("name", "verdict", "source", "trusted", "confirmations",
                                               "hashes", "imported_at")))
    Console().print(table)


@app.command("rm")
def rm(name: str) -> None:
    """Remove a list and its matches."""
    from sqlalchemy import select

    from hotline import audit
    from hotline.matching.lists import remove_list
    from hotline.models import HashList

    with state.hotline() as hl, hl.db.session() as session:
        found = session.scalar(select(HashList).where(HashList.name == name))
        if found is None:
            _fail(f"no hash list named {name!r}")
        audit.record(session, "cli", "hashlist.remove", "hash_list", found.id, name=name)
        remove_list(session, found)
    typer.echo(f"removed {name}")

