"""`hotline partner add|ls`: partner hotlines that may use our intake API."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import state
from hotline.commands.tables import table as cli_table

NAME = "partner"
app = typer.Typer(no_args_is_help=True, help="Partner hotlines and their API credentials.")
console = Console()
err = Console(stderr=True, soft_wrap=True)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Partner id agreed with them, e.g. nl-meldpunt.")],
    country: Annotated[str, typer.Option("--country", help="Two-letter country code, e.g. NL.")],
    endpoint: Annotated[str | None, typer.Option(help="Where we forward reports to them.")] = None,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="What its key may do: submit, feedback, triage, hashes (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Add a partner and print its key id, API key and signing secret (shown only this once)."""
    from hotline.web.api.partners import DEFAULT_ROLES, PartnerError, create_partner

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                issued = create_partner(session, name, country=country, endpoint=endpoint,
                                        roles=tuple(role) if role else DEFAULT_ROLES)
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


@app.command("outbound")
def outbound(
    name: Annotated[str, typer.Argument(help="The partner, as added with `partner add`.")],
    endpoint: Annotated[str, typer.Option(help="Their intake URL, e.g. https://hotline.example/api/v1/reports.")],
    key_id: Annotated[str, typer.Option("--key-id", help="The key id they issued to us.")],
    secret: Annotated[str, typer.Option(help="The signing secret they issued to us.")],
    api_key: Annotated[str | None, typer.Option("--api-key", help="The API key they issued to us.")] = None,
    directory_id: Annotated[
        str | None, typer.Option("--directory-id", help="The rules directory entry they serve, e.g. hotline-nl-offlimits.")
    ] = None,
    share_media: Annotated[bool, typer.Option(help="The agreement allows sending media.")] = False,
) -> None:
    """Record the credentials a partner issued to us, so forwards to them can be signed and delivered."""
    from sqlalchemy import select

    from hotline import audit
    from hotline.models import Partner

    with state.hotline() as hl, hl.db.session() as session:
        partner = session.scalar(select(Partner).where(Partner.name == name.strip().lower()))
        if partner is None:
            err.print(f"error: no partner named {name!r}; add it first with `hotline partner add`")
            raise typer.Exit(2)
        partner.endpoint, partner.outbound_key_id = endpoint, key_id
        partner.outbound_secret, partner.outbound_api_key = secret.encode(), api_key
        partner.directory_id, partner.share_media = directory_id, share_media
        audit.record(session, "cli", "partner.outbound", "partner", partner.id, endpoint=endpoint,
                     directory_id=directory_id, share_media=share_media)
    print(f"{name}: forwards go to {endpoint}")


@app.command("ls")
def ls(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List partners (never their keys or secrets)."""
    from hotline.web.api.partners import list_partners

    with state.hotline() as hl, hl.db.sessions() as session:
        rows: list[dict[str, Any]] = [
            {"name": p.name, "country": p.country, "key_id": p.key_id, "endpoint": p.endpoint,
             "roles": list(p.roles or []), "created_at": p.created_at.isoformat()}
            for p in list_partners(session)
        ]
    if as_json:
        print(json.dumps(rows))
        return
    table = cli_table("name", "country", "key id", "endpoint", "roles", "created",
                      wide=("endpoint",))
    for row in rows:
        table.add_row(row["name"], row["country"] or "-", row["key_id"], row["endpoint"] or "-",
                      ",".join(row["roles"]), row["created_at"][:10])
    console.print(table)
