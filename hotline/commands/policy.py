"""`hotline policy pause|resume|status|apply`: the supervisors' switch for auto-forward policies.

Pause and resume call the same function as the workspace's switch (hotline.triage.assessment), which only a
supervisor (or admin) may flip; the change is audited under their name.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.identity import acting_user
from hotline.commands.tables import table as cli_table

NAME = "policy"
app = typer.Typer(no_args_is_help=True, help="Auto-forward policies: pause, resume, status, apply.")
console = Console()

SupervisorOption = Annotated[str, typer.Option("--as", help="The supervisor flipping the switch (their "
                                                           "credentials on standard input).")]



def _switch(as_user: str, paused: bool) -> None:
    from hotline.errors import Refused
    from hotline.triage.autoforward import set_policies_paused

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                set_policies_paused(session, acting_user(hl, session, as_user), paused)
        except Refused as exc:
            raise _fail(str(exc)) from None


@app.command()
def pause(as_user: SupervisorOption) -> None:
    """Stop every auto-forward policy at once: from now on everything waits for an analyst."""
    _switch(as_user, True)
    console.print("auto-forward policies paused: every item waits for an analyst")


@app.command()
def resume(as_user: SupervisorOption) -> None:
    """Let enabled auto-forward policies act again (on new items; `policy apply` for those waiting)."""
    _switch(as_user, False)
    console.print("auto-forward policies resumed")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Whether policies are paused, and each policy in the rule file with its conditions."""
    from hotline.triage.autoforward import policies_paused

    with state.hotline() as hl, hl.db.sessions() as session:
        paused = policies_paused(session)
        policies: list[dict[str, Any]] = [
            {"id": p.id, "enabled": p.enabled, "assess_as": p.assess_as.value, "description": p.description,
             "when": p.when.model_dump(mode="json")}
            for p in hl.ruleset.policy
        ]
    if as_json:
        print(json.dumps({"paused": paused, "policies": policies}))
        return
    console.print("policies are [bold]paused[/]" if paused else "policies are not paused")
    table = cli_table("policy", "enabled", "assess as", "conditions", wide=("conditions",))
    for p in policies:
        when = ", ".join(f"{key}={value}" for key, value in p["when"].items() if value is not None)
        table.add_row(p["id"], "yes" if p["enabled"] else "no", p["assess_as"], when)
    console.print(table)


@app.command()
def apply(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Run the policies over every item still waiting in triaged without an assessment."""
    from hotline.triage.autoforward import auto_forward_many, waiting_ids

    with state.hotline() as hl:
        with hl.db.sessions() as session:
            ids = waiting_ids(session)
        outcomes = auto_forward_many(hl, ids)
    forwarded = [o for o in outcomes if o.forwarded]
    if as_json:
        print(json.dumps([{"url_id": o.url_id, "forwarded": o.forwarded, "policy": o.policy_id, "why": o.why,
                           "forward_ids": list(o.forward_ids)} for o in outcomes]))
        return
    console.print(f"considered={len(ids)} forwarded={len(forwarded)} waiting={len(ids) - len(forwarded)}")
