"""`hotline audit verify|ls`: check the audit chain and read the log."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import state
from hotline.commands.tables import table as cli_table

NAME = "audit"
app = typer.Typer(no_args_is_help=True, help="The append-only, hash-chained audit log.")
console = Console()
err = Console(stderr=True, soft_wrap=True)


@app.command("verify")
def verify(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check that no event was edited, inserted or deleted; exit 1 naming the broken events."""
    from hotline import audit

    with state.hotline() as hl, hl.db.sessions() as session:
        problems = audit.verify(session)
    if as_json:
        print(json.dumps({"ok": not problems,
                          "problems": [{"event_id": p.event_id, "message": p.message} for p in problems]}))
    elif problems:
        for problem in problems:
            err.print(f"event {problem.event_id}: {problem.message}")
        err.print(f"the audit log is broken at event(s) {', '.join(str(p.event_id) for p in problems)}")
    else:
        console.print("the audit log is intact")
    if problems:
        raise typer.Exit(1)


@app.command("ls")
def ls(
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this, e.g. media.")] = None,
    subject: Annotated[str | None, typer.Option(help="TYPE:ID, e.g. reported_url:12.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List audit events, newest first."""
    from sqlalchemy import select

    from hotline.models import AuditEvent

    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    if subject:
        kind, _, ident = subject.partition(":")
        stmt = stmt.where(AuditEvent.subject_type == kind)
        if ident:
            stmt = stmt.where(AuditEvent.subject_id == ident)
    with state.hotline() as hl, hl.db.sessions() as session:
        events: list[dict[str, Any]] = [
            {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "subject_type": e.subject_type, "subject_id": e.subject_id, "detail": e.detail}
            for e in session.scalars(stmt)
        ]
    if as_json:
        print(json.dumps(events))
        return
    table = cli_table("id", "at", "actor", "action", "subject", "detail", wide=("detail",))
    for e in events:
        subject_text = f"{e['subject_type'] or ''} {e['subject_id'] or ''}".strip()
        table.add_row(str(e["id"]), e["at"][:19], e["actor"], e["action"], subject_text,
                      json.dumps(e["detail"], ensure_ascii=False))
    console.print(table)
