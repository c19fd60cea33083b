"""The embedded executor: run every stage over the rows waiting for it until nothing is left.

The scale-out executor (Celery) calls the very same stage functions, one item or batch per task.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from hotline.models import UrlState
from hotline.ops.metrics import timed_stage
from hotline.pipeline.lease import claim, note_failure, release

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

StageFunction = Callable[["Hotline", str, list[int]], None]


@dataclass(frozen=True)
class Stage:
    name: str
    waits_in: UrlState
    function_path: str  # "module:function", imported when first used
    batch: int

    @property
    def function(self) -> StageFunction:
        module, _, name = self.function_path.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


STAGES: tuple[Stage, ...] = (
    Stage("capture", UrlState.NEW, "hotline.pipeline.capture:capture_stage", batch=100),
    Stage("fingerprint", UrlState.CAPTURED, "hotline.pipeline.fingerprint:fingerprint_stage", batch=50),
    Stage("locate", UrlState.FINGERPRINTED, "hotline.pipeline.locate:locate_stage", batch=100),
    Stage("triage", UrlState.LOCATED, "hotline.policy:triage_then_auto_forward", batch=200),
)
STAGE_BY_NAME = {stage.name: stage for stage in STAGES}


def run_stage_once(app: Hotline, stage: Stage, ids: list[int] | None = None) -> int:
    """Lease one batch waiting for `stage`, run it, and return how many rows it took.

    A stage that fails is logged and the reason kept on the rows it did not finish; a failing batch is
    run again one row at a time, so one bad row does not hold the others back. Each claim counts an
    attempt, and a row that keeps failing stops being taken (see lease.MAX_STAGE_ATTEMPTS).
    """
    with app.db.sessions() as session:
        lease = timedelta(seconds=app.settings.lease_seconds)
        token, taken = claim(session, stage.waits_in, limit=stage.batch, lease=lease, ids=ids)
    if not taken:
        return 0
    try:
        with timed_stage(stage.name, len(taken)):
            stage.function(app, token, taken)
    except Exception as exc:  # any stage bug or broken input: recorded, never the end of the run
        log.exception("stage %s failed on URLs %s", stage.name, taken)
        with app.db.sessions() as session:
            unfinished = note_failure(session, token, f"{stage.name} failed: {exc.__class__.__name__}: {exc}")
            release(session, token)
        if len(taken) > 1:
            for url_id in unfinished:
                run_stage_once(app, stage, ids=[url_id])
        return len(taken)
    with app.db.sessions() as session:
        # Whatever the stage did not move on is given back at once rather than when the lease ends.
        release(session, token)
    return len(taken)


def process_until_idle(
    app: Hotline,
    stages: tuple[Stage, ...] = STAGES,
    on_progress: Callable[[str, int], None] | None = None,
    max_rounds: int = 100_000,
) -> dict[str, int]:
    """Run the stages in order, again and again, until a whole round finds nothing to do."""
    done = {stage.name: 0 for stage in stages}
    for _ in range(max_rounds):
        progressed = 0
        for stage in stages:
            count = run_stage_once(app, stage)
            if count:
                done[stage.name] += count
                progressed += count
                if on_progress:
                    on_progress(stage.name, count)
        if not progressed:
            break
    return done
