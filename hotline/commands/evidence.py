"""`hotline evidence export REF --out DIR`: decrypt a report's captures to plain WARC files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hotline.commands import state

app = typer.Typer(no_args_is_help=True, help="Evidence kept from captures.")


@app.command()
def export(
    reference: str,
    out: Annotated[Path, typer.Option("--out", help="Folder for the plain WARC files.")],
    actor: Annotated[str, typer.Option("--as", help="Who exports, for the audit log.")] = "cli",
) -> None:
    """Write every capture of a report as a plain WARC file that standard tools read."""
    from hotline import audit
    from hotline.views import UnknownReference, find_report

    with state.hotline() as hl, hl.db.session() as session:
        try:
            report = find_report(session, reference)
        except UnknownReference as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        warcs = [c.warc_path for link in report.urls for c in link.reported_url.captures if c.warc_path]
        if not warcs:
            typer.echo(f"error: report {report.reference} has no captured evidence yet", err=True)
            raise typer.Exit(1)
        written = hl.evidence.export(warcs, out)
        # Every evidence download is audited, whoever does it and however.
        audit.record(session, actor, "evidence.export", "report", report.reference,
                     files=[str(p) for p in written])
    print(json.dumps({"reference": report.reference, "files": [str(p) for p in written]}))
