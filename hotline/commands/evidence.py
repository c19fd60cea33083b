"""`hotline evidence export|purge`: decrypt a report's captures to .warc.gz (or one .wacz) files; retention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hotline.commands import state

if TYPE_CHECKING:
    from hotline.app import Hotline

app = typer.Typer(no_args_is_help=True, help="Evidence kept from captures.")


@app.command()
def export(
    reference: str,
    out: Annotated[Path, typer.Option("--out", help="Folder for the exported files.")],
    wacz: Annotated[bool, typer.Option("--wacz", help="One WACZ file (WARCs, index, pages) for replay tools.")]
    = False,
    actor: Annotated[str, typer.Option("--as", help="Who exports, for the audit log.")] = "cli",
) -> None:
    """Write every capture of a report as a .warc.gz file (or, with --wacz, one .wacz) that standard
    tools read and replay (pywb, ReplayWeb.page, warcio)."""
    from hotline import audit
    from hotline.evidence.wacz import WaczError
    from hotline.triage.views import UnknownReference, find_report

    with state.hotline() as hl, hl.db.session() as session:
        try:
            report = find_report(session, reference)
        except UnknownReference as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        captures = [c for link in report.urls for c in link.reported_url.captures]
        warcs = [c.warc_path for c in captures if c.warc_path]
        purged = [c.purged_at for c in captures if c.purged_at]
        if not warcs and purged:
            typer.echo(f"error: the evidence of report {report.reference} was purged on "
                       f"{max(purged).strftime('%Y-%m-%d')} (retention)", err=True)
            raise typer.Exit(1)
        if not warcs:
            typer.echo(f"error: report {report.reference} has no captured evidence yet", err=True)
            raise typer.Exit(1)
        try:
            written = _export_wacz(hl, report.reference, warcs, out) if wacz else hl.evidence.export(warcs, out)
        except WaczError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        # Every evidence download is audited, whoever does it and however.
        audit.record(session, actor, "evidence.export", "report", report.reference,
                     files=[str(p) for p in written], format="wacz" if wacz else "warc.gz")
    print(json.dumps({"reference": report.reference, "files": [str(p) for p in written]}))


def _export_wacz(hl: Hotline, reference: str, warcs: list[str], out: Path) -> list[Path]:
    """`<reference>.wacz` in `out`; the .warc.gz files it holds are made in a private folder and go."""
    import os
    import tempfile

    from hotline.evidence.wacz import package_wacz

    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = out / f"{reference}.wacz"
    # Decrypted evidence: owner-only like the sealed files, from the first byte (py-wacz keeps the mode).
    target.unlink(missing_ok=True)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with tempfile.TemporaryDirectory(prefix=".export-", dir=out) as scratch:
            files = hl.evidence.export(warcs, Path(scratch))
            package_wacz(files, target, title=reference,
                         description=f"Evidence captured for report {reference} ({len(files)} captures)")
    except BaseException:
        target.unlink(missing_ok=True)  # no half-written package left behind
        raise
    return [target]


@app.command()
def purge(
    older_than: Annotated[float, typer.Option("--older-than", help="Days since capture (at least 1).")],
    states: Annotated[str, typer.Option("--state", help="URL states whose evidence may go, comma-separated.")]
    = "removed,closed",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go; change nothing.")] = False,
    actor: Annotated[str, typer.Option("--as", help="Who purges, for the audit log.")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Delete the evidence files of old captures of finished URLs (never of a report on legal hold)."""
    from hotline.commands import fail
    from hotline.evidence.retention import PurgeRefused
    from hotline.evidence.retention import purge as run_purge

    with state.hotline() as hl:
        try:
            result = run_purge(hl, older_than, states.split(","), actor=actor, dry_run=dry_run)
        except PurgeRefused as exc:
            fail(str(exc))
        listed = _describe(hl, result.capture_ids[:50]) if dry_run and not as_json else []
    if as_json:
        print(json.dumps(result.counts() | {"capture_ids": result.capture_ids}))
        return
    verb = "would delete" if dry_run else "deleted"
    print(f"{verb} the evidence of {result.captures} captures: {result.warcs} WARC files and {result.blobs} "
          f"blobs ({result.bytes} bytes); kept {result.blobs_shared} blobs other captures share, "
          f"{result.blobs_in_use} in use by a new capture; {result.held} captures are on legal hold")
    for line in listed:
        print(line)
    if len(result.capture_ids) > len(listed) and listed:
        print(f"… and {len(result.capture_ids) - len(listed)} more")


def _describe(hl: Hotline, capture_ids: list[int]) -> list[str]:
    from hotline.models import Capture

    with hl.db.sessions() as session:
        return [f"capture {c.id} of {c.reported_url.url} ({c.reported_url.state}), {c.started_at:%Y-%m-%d}"
                for c in (session.get(Capture, i) for i in capture_ids) if c]
