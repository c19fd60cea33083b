"""Tables for the terminal that fit 80 columns and never cut a value short.

Rich's default ends a long word with an ellipsis when a column must shrink, which cut references and URLs
(`HL-2026-…`) that people then copy into the next command. Here every column keeps its values whole on
their lines (ids, references, states, countries), except the `wide` ones (URLs, reasons, details): they
share the width that is left and fold a long word onto the next line instead of cutting it. Scripts
should read `--json` instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table


class _WholeValuesTable(Table):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Rows are in by now: a column that must not wrap is as wide as its longest line.
        for column in self.columns:
            if column.no_wrap:
                lines = [line for cell in column.cells for line in str(cell).splitlines()] + [str(column.header)]
                column.min_width = max(len(line) for line in lines)
        yield from super().__rich_console__(console, options)


def table(*headers: str, wide: Iterable[str] = ()) -> Table:
    """An empty table with these column headers; only the `wide` columns wrap (see the module docstring)."""
    wide = set(wide)
    if wide - set(headers):
        raise ValueError(f"wide columns must be some of {', '.join(headers)}")
    made = _WholeValuesTable(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for header in headers:
        if header in wide:
            made.add_column(header, overflow="fold", ratio=1)
        else:
            made.add_column(header, no_wrap=True)
    return made
