"""`hotline egress squid-config`: the egress proxy's policy, from the capture guard's own table."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.commands import fail

app = typer.Typer(no_args_is_help=True, help="The egress proxy every capture leaves through.")


@app.command("squid-config")
def squid_config(
    listen: Annotated[str, typer.Option(help="Where Squid listens: ADDRESS:PORT or PORT.")] = "127.0.0.1:3128",
    client: Annotated[list[str] | None, typer.Option(
        help="Network allowed to use the proxy (the capture hosts); repeat for more. Default: loopback.")] = None,
    connect_port: Annotated[list[int] | None, typer.Option(
        help="Port besides 443 that https:// captures may reach (CONNECT); repeat for more.")] = None,
    log_dir: Annotated[str, typer.Option(help="Folder of Squid's access.log.")] = "/var/log/squid",
    policy_only: Annotated[bool, typer.Option(
        "--policy-only", help="Only the ACLs and http_access rules, to include in an existing squid.conf.")] = False,
) -> None:
    """Print a Squid configuration that refuses every address the capture guard refuses (plus
    HOTLINE_ALLOW_PRIVATE), CONNECT only to 443 and --connect-port, no cache, no query strings in logs."""
    import ipaddress

    from hotline.capture.egress import SquidOptions, policy_lines
    from hotline.capture.egress import squid_config as build
    from hotline.capture.ssrf import parse_networks
    from hotline.commands import state
    from hotline.config import load_settings, parse_nameserver

    settings = load_settings(state.config)  # no data dir needed: this runs on the proxy's host too
    for cidr in client or ():
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            fail(f"--client {cidr!r} is not a network such as 10.0.0.0/24")
    bad_ports = [p for p in connect_port or () if not 0 < p < 65536]
    if bad_ports:
        fail(f"--connect-port {bad_ports[0]} is not a port number from 1 to 65535")
    options = SquidOptions(
        listen=listen, clients=client or SquidOptions.clients, connect_ports=connect_port or (), log_dir=log_dir,
        allow_private=parse_networks(settings.allow_private), max_reply_bytes=settings.capture_max_bytes,
        dns_nameservers=[parse_nameserver(s) for s in settings.dns_nameservers],
    )  # fmt: skip
    typer.echo("\n".join(policy_lines(options)) if policy_only else build(options), nl=policy_only)
    for note in options.notes:
        typer.echo(f"note: {note}", err=True)
