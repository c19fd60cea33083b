"""The embedded executor: stages and jobs run in this process, over SQLite or PostgreSQL.

`hotline process` runs the stages until nothing is left; `hotline serve` runs BackgroundWorker, a
thread that goes round every stage and periodic job of the registry until none has anything to do,
then waits. The Celery executor (executors/celery) runs the very same functions as tasks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from hotline.executors.leases import claim, note_failure, release
from hotline.executors.registry import JOBS, STAGES, Stage
from hotline.ops.metrics import timed_job, timed_stage

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.25


def run_stage_once(app: Hotline, stage: Stage, ids: list[int] | None = None) -> int:
    """Lease one batch waiting for `stage`, run it, and return how many rows it took.

    A stage that fails is logged and the reason kept on the rows it did not finish; a failing batch is
    run again one row at a time, so one bad row does not hold the others back. Each claim counts an
    attempt, and a row that keeps failing stops being taken (see leases.MAX_STAGE_ATTEMPTS).
    """
    with app.db.sessions() as session:
        lease = timedelta(seconds=app.settings.lease_seconds)
        token, taken = claim(session, stage.waits_in, limit=stage.batch, lease=lease, ids=ids)
    if not taken:
        return 0
    try:
        with timed_stage(stage.name, len(taken)):
            stage.run(app, token, taken)
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
) -> dict[str, int]:
    """Run the stages until none has anything left, each in a thread of its own.

    The stages overlap like an assembly line: while the fingerprint stage hashes one batch on every core,
    capture fetches the next and locate works through the one before. A stage's thread ends when it
    finds nothing to take and every stage before it has ended (rows only move forward, so nothing more
    can arrive). Returns how many rows each stage took.
    """
    done = {stage.name: 0 for stage in stages}
    finished = [threading.Event() for _ in stages]
    arrived = [threading.Event() for _ in stages]  # set when the stage before moved rows on (or ended)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work(position: int, stage: Stage) -> None:
        following = arrived[position + 1] if position + 1 < len(stages) else None
        try:
            while True:
                upstream_done = all(event.is_set() for event in finished[:position])
                arrived[position].clear()
                count = run_stage_once(app, stage)
                if count:
                    with lock:
                        done[stage.name] += count
                        if on_progress:
                            on_progress(stage.name, count)
                    if following:
                        following.set()
                elif upstream_done:
                    return
                else:
                    # Woken when the stage before finishes a batch; the short timeout finds rows it moved
                    # on in the middle of one (capture keeps each result as it comes).
                    arrived[position].wait(IDLE_POLL_SECONDS)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            failures.append(exc)
        finally:
            finished[position].set()
            if following:
                following.set()

    threads = [threading.Thread(target=work, args=(n, stage), name=f"stage-{stage.name}", daemon=True)
               for n, stage in enumerate(stages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return done


class BackgroundWorker(threading.Thread):
    """`hotline serve`'s executor: the stages until idle, then every job; when nothing did anything, wait
    `idle_seconds` or until woken (intake wakes it)."""

    def __init__(self, app: Hotline, idle_seconds: float = 5.0):
        super().__init__(name="hotline-background", daemon=True)
        self.app = app
        self.idle_seconds = idle_seconds
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            busy = self._run_one("pipeline", lambda app: sum(process_until_idle(app).values()))
            for job in JOBS:
                busy += self._run_one(job.name, job.run)
            if not busy:
                self.wake.wait(self.idle_seconds)
                self.wake.clear()

    def _run_one(self, name: str, job: Callable[[Hotline], int]) -> int:
        try:
            with timed_job(name):
                return job(self.app)
        except Exception:  # a failing job must not stop the others; it is logged and retried
            log.exception("background job %s failed", name)
            return 0

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
