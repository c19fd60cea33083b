"""`hotline audit verify|anchor|ls`: check the audit chain, anchor its head outside the database, read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.tables import table as cli_table

NAME = "audit"
app = typer.Typer(no_args_is_help=True, help="The append-only, hash-chained audit log.")
console = Console()
err = Console(stderr=True, soft_wrap=True)


@app.command("verify")
def verify(
    anchors: Annotated[
        Path | None, typer.Option("--anchors", help="Check against this anchor file (default: the configured one), "
                                                  "e.g. a copy kept by a log host.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check that no event was edited, inserted or deleted, and that nothing was cut off or rewritten since
    the last anchor; exit 1 naming the broken events."""
    from hotline import audit

    with state.hotline() as hl:
        try:
            marks = audit.read_anchors(anchors or audit.anchor_file(hl))
        except audit.AnchorError as exc:
            raise _fail(str(exc)) from None
        with hl.db.sessions() as session:
            problems = audit.verify(session, marks)
    if as_json:
        print(json.dumps({"ok": not problems, "anchors": len(marks),
                          "problems": [{"event_id": p.event_id, "message": p.message} for p in problems]}))
    elif problems:
        for problem in problems:
            err.print(f"event {problem.event_id}: {problem.message}")
        err.print(f"the audit log is broken at event(s) {', '.join(str(p.event_id) for p in problems)}")
    else:
        last = f"; checked against {len(marks)} anchor(s), the last of event {marks[-1].sequence}" if marks else \
            "; no anchor yet (`hotline audit anchor`)"
        console.print(f"the audit log is intact{last}")
    if problems:
        raise typer.Exit(1)


@app.command("anchor")
def anchor(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Write the log's head (event number, hash, time) to the anchor file outside the database, and to
    syslog or a partner when configured (HOTLINE_AUDIT_ANCHOR_SYSLOG, HOTLINE_AUDIT_ANCHOR_URL)."""
    from hotline import audit

    with state.hotline() as hl:
        try:
            mark, failures = audit.anchor(hl)
        except OSError as exc:
            raise _fail(f"cannot write the anchor file {audit.anchor_file(hl)}: {exc.strerror}") from None
        where = str(audit.anchor_file(hl))
    if as_json:
        print(json.dumps({"anchor": None if mark is None else json.loads(mark.line()), "file": where,
                          "failures": failures}))
    elif mark is None:
        console.print("the audit log is empty: nothing to anchor")
    else:
        console.print(f"anchored event {mark.sequence} ({mark.hash[:16]}…) in {where}")
    for failure in failures:
        err.print(f"error: {failure}")
    if failures:
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
