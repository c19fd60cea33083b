"""`hotline partner add|ls`: partner hotlines that may use our intake API."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

NAME = "partner"
app = typer.Typer(no_args_is_help=True, help="Partner hotlines and their API credentials.")
console = Console()
err = Console(stderr=True, soft_wrap=True)


def _hotline(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from hotline.app import Hotline
    from hotline.config import load_settings

    # The global --config option lives on the root command (cli.py).
    return Hotline(load_settings(ctx.find_root().params.get("config")))


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Partner id agreed with them, e.g. nl-meldpunt.")],
    country: Annotated[str, typer.Option("--country", help="Two-letter country code, e.g. NL.")],
    endpoint: Annotated[str | None, typer.Option(help="Where we forward reports to them.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Add a partner and print its key id, API key and signing secret (shown only this once)."""
    from hotline.partners import PartnerError, create_partner

    with _hotline(ctx) as hl:
        hl.init()
        try:
            with hl.db.session() as session:
                issued = create_partner(session, name, country=country, endpoint=endpoint)
        except PartnerError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(2) from None
    values = {"name": issued.partner.name, "key_id": issued.key_id, "api_key": issued.api_key,
              "signing_secret": issued.signing_secret}
    if as_json:
        print(json.dumps(values))
        return
    for label, value in values.items():
        print(f"{label}: {value}")
    err.print("Give the API key and signing secret to the partner now: they cannot be shown again.")


@app.command("ls")
def ls(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List partners (never their keys or secrets)."""
    from hotline.partners import list_partners

    with _hotline(ctx) as hl, hl.db.sessions() as session:
        rows: list[dict[str, Any]] = [
            {"name": p.name, "country": p.country, "key_id": p.key_id, "endpoint": p.endpoint,
             "roles": list(p.roles or []), "created_at": p.created_at.isoformat()}
            for p in list_partners(session)
        ]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table()
    for column in ("name", "country", "key id", "endpoint", "roles", "created"):
        table.add_column(column, no_wrap=column in ("name", "key id"))
    for row in rows:
        table.add_row(row["name"], row["country"] or "-", row["key_id"], row["endpoint"] or "-",
                      ",".join(row["roles"]), row["created_at"][:10])
    console.print(table)
