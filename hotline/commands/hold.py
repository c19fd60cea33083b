"""`hotline hold set|release|ls`: legal hold on a report (its evidence is never purged while held)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.identity import acting_user

NAME = "hold"
app = typer.Typer(no_args_is_help=True, help="Legal hold: keep a report's evidence from any purge.")
console = Console(soft_wrap=True)

SupervisorOption = Annotated[str, typer.Option("--as", help="The supervisor who decides (their credentials on "
                                                           "standard input).")]


def _change(reference: str, as_user: str, reason: str, place: bool) -> dict[str, Any] | None:
    from hotline.errors import Refused
    from hotline.evidence.legal_hold import hold_view, place_hold, release_hold
    from hotline.triage.views import UnknownReference, find_report

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                report = find_report(session, reference)
                actor = acting_user(hl, session, as_user)
                if place:
                    place_hold(session, report, actor, reason)
                else:
                    release_hold(session, report, actor, reason)
                return hold_view(session, report)
        except (Refused, UnknownReference) as exc:
            _fail(str(exc))


@app.command("set")
def set_hold(
    reference: str,
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. the police case number (recorded).")],
    as_user: SupervisorOption,
) -> None:
    """Put a report on legal hold: no purge touches the evidence of any URL it names."""
    held = _change(reference, as_user, reason, place=True)
    assert held is not None
    console.print(f"{reference.upper()} is on legal hold (by {held['by']}): {held['reason']}")


@app.command("release")
def release(
    reference: str,
    as_user: SupervisorOption,
    reason: Annotated[str, typer.Option("--reason", help="Why it may go now (recorded).")] = "",
) -> None:
    """Release a report's legal hold: its evidence follows the retention rules again."""
    _change(reference, as_user, reason, place=False)
    console.print(f"{reference.upper()} is no longer on legal hold")


@app.command("ls")
def ls(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The reports on legal hold, oldest hold first."""
    from hotline.evidence.legal_hold import held_reports, hold_view

    with state.hotline() as hl, hl.db.sessions() as session:
        rows = [{"reference": r.reference, **(hold_view(session, r) or {})} for r in held_reports(session)]
    if as_json:
        print(json.dumps(rows))
        return
    for row in rows:
        console.print(f"{row['reference']}  since {row['at']}  by {row['by']}: {row['reason']}")
    if not rows:
        console.print("no report is on legal hold")
