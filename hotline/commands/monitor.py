"""`hotline monitor [--until-idle] | ls`: takedown checks from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

import hotline.monitor  # noqa: F401 - registers the "monitor" job with `hotline serve`'s background loop
from hotline.commands import state
from hotline.commands.tables import table as cli_table

NAME = "monitor"
app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="Re-check forwarded URLs that are due (removed? replaced? still up?) and list what is watched.",
)
console = Console()
err = Console(stderr=True, soft_wrap=True)
ORDER = ("present", "removed", "replaced", "error", "skipped")


@app.callback()
def run(
    ctx: typer.Context,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Keep checking until nothing is due.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Run due takedown checks: one batch, or until nothing is due with --until-idle."""
    if ctx.invoked_subcommand is not None:
        return
    from hotline.monitor import monitor_until_idle, run_batch

    with state.hotline() as hl:
        if until_idle:
            with console.status("checking…") as status:
                counts = monitor_until_idle(hl, on_progress=lambda c: status.update("checking… " + _text(c)))
        else:
            counts = run_batch(hl)
    if as_json:
        print(json.dumps({name: counts.get(name, 0) for name in ORDER}))
    else:
        console.print(_text(counts))


@app.command("ls")
def ls(
    state_name: Annotated[str | None, typer.Option("--state", help="forwarded or removed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many URLs.", min=1)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List watched URLs with their last check and when the next one is due."""
    from hotline.monitor import watch_list

    if state_name not in (None, "forwarded", "removed"):
        err.print(f"error: --state must be forwarded or removed, not {state_name!r}")
        raise typer.Exit(2)
    with state.hotline() as hl, hl.db.sessions() as session:
        rows = watch_list(session, state_name, limit)
    if as_json:
        print(json.dumps(rows))
        return
    table = cli_table("id", "url", "state", "checks", "last check", "outcome", "next due", "detail",
                      wide=("url", "detail"))
    for row in rows:
        table.add_row(str(row["reported_url_id"]), row["url"], row["state"], str(row["checks"]),
                      _when(row["last_checked_at"]), row["last_outcome"] or "-", _when(row["next_due_at"]),
                      (row["last_detail"] or "-"))
    console.print(table)


def _text(counts: dict[str, int]) -> str:
    return " ".join(f"{name}={counts.get(name, 0)}" for name in ORDER)


def _when(value: str | None) -> str:
    return value[:16].replace("T", " ") + " UTC" if value else "-"
