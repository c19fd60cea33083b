"""`hotline hashlist import|export|ls|rm`: the hash lists hotlines exchange, in the formats they use."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.tables import table as cli_table

app = typer.Typer(no_args_is_help=True, help="Import, export, list and remove hash lists.")


@app.command("import")
def import_(
    file: Path,
    name: Annotated[str, typer.Option(help="A name for the list.")],
    verdict: Annotated[str, typer.Option(help="What a match means: baseline, national, adult-minors, ...")],
    source: Annotated[str | None, typer.Option(help="Who published the list.")] = None,
    trusted: Annotated[bool, typer.Option(help="Trusted for auto-forward policies.")] = False,
    confirmations: Annotated[int, typer.Option(help="Analysts who confirmed its entries.")] = 0,
    replace: Annotated[bool, typer.Option(help="Replace a list of the same name.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="auto (from the content), csv, tsv, jsonl, tx, tx-csv, "
                                                      "hma or plain.")] = "auto",
    kind: Annotated[str | None, typer.Option(help="The kind of the hashes in a list of bare hashes "
                                                  "(md5, sha1, sha256, pdq...).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a hash list: our CSV/TSV or JSON lines (md5, sha1, sha256, phash, pdq... columns),
    python-threatexchange's CSV or `TYPE VALUE` lines, HMA bank JSON, or bare hashes with --kind."""
    from fingerprints import LIST_FORMATS, HashListError
    from hotline.matching.lists import HashListExists, import_list
    from hotline.rules.taxonomy import LegalAssessment

    if verdict not in set(LegalAssessment):
        _fail(f"unknown verdict {verdict!r}: choose from {', '.join(LegalAssessment)}")
    if fmt not in LIST_FORMATS:
        _fail(f"unknown format {fmt!r}: choose from {', '.join(LIST_FORMATS)}")
    if not file.is_file():
        _fail(f"{file} is not a readable file")
    with state.hotline() as hl:
        try:
            with hl.db.session() as session, Console(stderr=True).status("importing…") as status:
                done = import_list(session, file, name=name, verdict=verdict, source=source, trusted=trusted,
                                   confirmations=confirmations, replace=replace,
                                   on_progress=lambda n: status.update(f"{n} hashes"),
                                   fmt=fmt, kind=kind)  # type: ignore[arg-type]  # checked above
                summary = {"name": name, "format": done.format, "rows": done.rows, "hashes": done.hashes,
                           "skipped": done.skipped,
                           "bad_rows": [{"line": line, "error": error} for line, error in done.errors]}
        except (HashListError, HashListExists) as exc:
            _fail(str(exc))
    if as_json:
        print(json.dumps(summary))
        return
    skipped = "".join(f"; skipped {n} {kind_} (not a media hash)" for kind_, n in done.skipped.items())
    typer.echo(f"{name}: {summary['hashes']} hashes from {summary['rows']} rows ({done.format}); "
               f"{len(done.errors)} bad rows{skipped}")
    for line, error in done.errors[:50]:
        typer.echo(f"  line {line}: {error}", err=True)
    if len(done.errors) > 50:
        typer.echo(f"  … and {len(done.errors) - 50} more", err=True)


@app.command("export")
def export(
    name: Annotated[str | None, typer.Option(help="Export this imported list.")] = None,
    assessed: Annotated[bool, typer.Option("--assessed", help="Export the items our analysts assessed as "
                                                               "illegal.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="tx (python-threatexchange lines), csv (ours) or hma "
                                                      "(HMA bank JSON).")] = "tx",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
    actor: Annotated[str, typer.Option("--as", help="Who exports, for the audit log.")] = "cli",
) -> None:
    """Write a hash list partners can load: an imported list (--name) or our assessed items (--assessed)."""
    from fingerprints import EXPORT_FORMATS
    from hotline.triage.sharing import export_hashes

    if (name is None) == (not assessed):
        _fail("say what to export: --name LIST or --assessed")
    if fmt not in EXPORT_FORMATS:
        _fail(f"unknown format {fmt!r}: choose from {', '.join(EXPORT_FORMATS)}")
    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                done = export_hashes(session, actor, list_name=name, fmt=fmt)  # type: ignore[arg-type]
        except LookupError as exc:
            _fail(str(exc.args[0]))
    if out is None:
        sys.stdout.write(done.written.text)
    else:
        out.write_text(done.written.text, encoding="utf-8")
    left_out = ", ".join(f"{n} {kind}" for kind, n in done.written.left_out.items())
    typer.echo(f"{done.source}: {done.written.signals} signals of {done.items} items as {fmt}"
               + (f"; left out (the format cannot carry them): {left_out}" if left_out else ""), err=True)


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

