"""`hotline stats --from YYYY-MM-DD --to YYYY-MM-DD --format table|csv|json|html [--out FILE]`."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from hotline.commands import fail as _fail
from hotline.commands import state

console = Console()
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    HTML = "html"


def stats(
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, UTC); default 1 January.")]
    = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day, included (YYYY-MM-DD); default today.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv, json or html.")] = Format.TABLE,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")] = None,
) -> None:
    """The period's statistics: reports, validity, hosting countries, destinations, time to removal."""
    from hotline.stats import compute, render_csv, render_html, render_json, render_table

    if output_format not in set(Format):
        _fail(f"unknown format {output_format!r}: choose from {', '.join(Format)}")
    output_format = Format(output_format)
    today = datetime.now(UTC).date()
    first = _day(from_, "--from") if from_ else date(today.year, 1, 1)
    last = _day(to, "--to") if to else today
    if last < first:
        _fail(f"--to ({last}) is before --from ({first})")
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    with state.hotline() as hl, hl.db.sessions() as session, _progress() as progress:
        task = progress.add_task("computing", total=None)

        def step(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        figures = compute(session, start, end, progress=step)
    if output_format is Format.TABLE and out is None:
        render_table(figures, console)
        return
    if output_format is Format.TABLE:
        buffer = io.StringIO()
        render_table(figures, Console(file=buffer, width=100, color_system=None))
        text = buffer.getvalue()
    else:
        text = {Format.CSV: render_csv, Format.JSON: render_json, Format.HTML: render_html}[output_format](figures)
    if out is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror}")
    err.print(f"wrote {out}")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} must be a date like 2026-01-31, not {text!r}")



COMMANDS = [stats]
