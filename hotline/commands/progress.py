"""What `hotline process --until-idle` shows while it works.

On a terminal: a live table of the stages, what each has done and what still waits for it. Piped or
redirected: one plain line per batch, so a log or a CI run shows progress as it happens.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.live import Live
from rich.table import Table

from hotline.commands.tables import table

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.executors.registry import Stage

_REFRESH_SECONDS = 0.25  # counting what waits is a query: at most this often on a terminal


class StageProgress:
    def __init__(self, console: Console, app: Hotline, stages: Sequence[Stage]) -> None:
        self.console = console
        self.app = app
        self.stages = stages
        self.done = {stage.name: 0 for stage in stages}
        self.waiting = self._count_waiting()
        self._live = Live(self._render(), console=console, auto_refresh=False) if console.is_terminal else None
        self._shown_at = 0.0

    def batch_done(self, stage_name: str, count: int) -> None:
        self.done[stage_name] += count
        now = time.monotonic()
        if self._live is None:
            self.waiting = self._count_waiting()
            waits = self.waiting.get(stage_name, 0)
            print(f"{stage_name}: {count} done in this batch, {self.done[stage_name]} in all, {waits} waiting",
                  flush=True)
        elif now - self._shown_at >= _REFRESH_SECONDS:
            self._shown_at = now
            self.waiting = self._count_waiting()
            self._live.update(self._render(), refresh=True)

    def _count_waiting(self) -> dict[str, int]:
        from hotline.executors.leases import waiting_rows

        with self.app.db.sessions() as session:
            by_state = waiting_rows(session, [stage.waits_in for stage in self.stages])
        return {stage.name: by_state.get(stage.waits_in, 0) for stage in self.stages}

    def _render(self) -> Table:
        shown = table("stage", "done", "waiting")
        for stage in self.stages:
            shown.add_row(stage.name, str(self.done[stage.name]), str(self.waiting.get(stage.name, 0)))
        return shown

    def __enter__(self) -> Self:
        if self._live is not None:
            self._live.start(refresh=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._live is not None:
            self.waiting = self._count_waiting()
            self._live.update(self._render(), refresh=True)
            self._live.stop()
