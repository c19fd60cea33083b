"""`hotline locate URL`: the hosting record of one URL, without creating a report."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.commands import state


def locate(
    url: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    offline: Annotated[bool, typer.Option(help="Offline data only: no RDAP query.")] = False,
) -> None:
    """Where a URL is hosted: IPs, network owner, country, abuse contact, CDN and platform."""
    from hotline.pipeline.locate import locator
    from hotline.pipeline.urls import UrlError, normalise_url

    try:
        normalised = normalise_url(url)
    except UrlError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with state.hotline() as hl:
        service = locator(hl)
        if offline:
            from hotline.locate import locate as locate_url

            record = locate_url(normalised, nameservers=hl.settings.dns_nameservers or None, rdap=None,
                                offline=service.offline, cdn=service.cdn, platforms=service.platforms)
        else:
            record = service.locate(normalised)
    if as_json:
        print(record.model_dump_json(indent=2))
        return
    rows = {
        "url": record.url,
        "ips": ", ".join(record.ips) or "-",
        "country": record.country or str(record.country_status),
        "provider": record.provider or "-",
        "network": f"{record.network_name or '-'} {record.cidr or ''}".strip(),
        "abuse": record.abuse_email or "-",
        "cdn": record.cdn or "-",
        "platform": record.platform.name if record.platform else "-",
        "sources": ", ".join(f"{k}={v}" for k, v in sorted(record.sources.items())),
    }
    for key, value in rows.items():
        typer.echo(f"{key:>9}: {value}")
    for error in record.errors:
        typer.echo(f"  note: {error}", err=True)


COMMANDS = [locate]
