"""`hotline forward [--until-idle] | ls | retry ID | release ID | sent ID`: the outbox from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.tables import table as cli_table

NAME = "forward"
app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="Send approved forwards (partner hotlines, police, ANCOM, abuse desks) and inspect the outbox.",
)
console = Console()


@app.callback()
def send(
    ctx: typer.Context,
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Keep sending until nothing is due.")] = False,
    limit: Annotated[int, typer.Option(help="Forwards leased per batch.", min=1)] = 20,
) -> None:
    """Send due forwards: one batch, or until nothing is due with --until-idle."""
    if ctx.invoked_subcommand is not None:
        return
    from hotline.outbox import deliver_due, forward_until_idle

    with state.hotline() as hl:
        if not until_idle:
            console.print(f"tried={deliver_due(hl, limit)}")
            return
        with console.status("forwarding…") as status:
            summary = forward_until_idle(
                hl, limit=limit, on_progress=lambda counts: status.update(
                    "forwarding… " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
            )
    console.print(str(summary))


@app.command("ls")
def ls(
    state_name: Annotated[str | None, typer.Option("--state", help="queued, sending, delivered, failed or held.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List forwards, newest first, with attempts, last error and receipt."""
    from hotline.outbox import ForwardRefused, list_forwards

    with state.hotline() as hl, hl.db.sessions() as session:
        try:
            rows = list_forwards(session, state_name)
        except ForwardRefused as exc:
            _fail(str(exc))
    if as_json:
        print(json.dumps(rows))
        return
    table = cli_table("id", "url id", "destination", "channel", "state", "tries", "last error / receipt",
                      wide=("destination", "last error / receipt"))
    for row in rows:
        detail = row["receipt"] if row["state"] == "delivered" else row["last_error"]
        table.add_row(str(row["id"]), str(row["reported_url_id"]), row["destination"], row["channel"],
                      row["state"], str(row["attempts"]), detail or "-")
    console.print(table)


@app.command("retry")
def retry(forward_id: Annotated[int, typer.Argument(help="The forward's id (see `hotline forward ls`).")]) -> None:
    """Queue a failed forward again (same idempotency key, so the recipient still sees it once)."""
    from hotline.outbox import ForwardRefused, retry_forward

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                forward = retry_forward(session, forward_id, "cli", hl.directory)
                address = forward.address
        except ForwardRefused as exc:
            _fail(str(exc))
    console.print(f"forward {forward_id} queued again, to {address or 'no address yet'}")


@app.command("release")
def release(forward_id: Annotated[int, typer.Argument(help="The held forward's id.")]) -> None:
    """Police clearance given: send a held forward now."""
    from hotline.outbox import ForwardRefused, release_forward

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                release_forward(session, forward_id, "cli")
        except ForwardRefused as exc:
            _fail(str(exc))
    console.print(f"forward {forward_id} released")


@app.command("sent")
def sent(
    forward_id: Annotated[int, typer.Argument(help="The manual forward's id (see `hotline forward ls`).")],
    note: Annotated[str, typer.Option("--note", help="How it was sent, e.g. the web form's confirmation number.")],
    actor: Annotated[str | None, typer.Option("--as", help="Who sent it (default: the system user).")] = None,
) -> None:
    """Record that a person sent a manual forward (web form, no endpoint) by hand: it becomes delivered."""
    from hotline.auth import named_user, system_user
    from hotline.errors import Refused
    from hotline.outbox import ForwardRefused, record_sent_by_hand

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                user = named_user(session, actor) if actor else system_user(session, hl.settings.cli_user)
                record_sent_by_hand(session, forward_id, user.name, note)
        except (ForwardRefused, Refused) as exc:
            _fail(str(exc))
    console.print(f"forward {forward_id} recorded as sent by hand")

