"""Background work inside `hotline serve`: the embedded executor's loop over every periodic job."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from hotline.ops.metrics import timed_job

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

# Each job returns how much it did; jobs are registered by the areas that own them.
Job = Callable[["Hotline"], int]
_jobs: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    _jobs[name] = job


def _pipeline(app: Hotline) -> int:
    from hotline.pipeline.runner import process_until_idle

    return sum(process_until_idle(app).values())


register("pipeline", _pipeline)

# Areas that register jobs of their own when imported (forward delivery, takedown monitoring, policies,
# evidence re-sealing and retention).
JOB_MODULES = ("hotline.outbox", "hotline.monitor", "hotline.policy", "hotline.evidence.jobs")


def load_jobs() -> dict[str, Job]:
    import importlib

    for name in JOB_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return dict(_jobs)


def _forward(app: Hotline) -> int:
    from hotline.outbox.worker import background_job

    return background_job(app)


register("forward", _forward)


class BackgroundWorker(threading.Thread):
    """Runs every job until none has anything to do, then waits `idle_seconds` or until woken."""

    def __init__(self, app: Hotline, idle_seconds: float = 5.0):
        super().__init__(name="hotline-background", daemon=True)
        self.app = app
        self.idle_seconds = idle_seconds
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        jobs = load_jobs()
        while not self.stopping.is_set():
            busy = 0
            for name, job in jobs.items():
                try:
                    with timed_job(name):
                        busy += job(self.app)
                except Exception:  # a failing job must not stop the others; it is logged and retried
                    log.exception("background job %s failed", name)
            if not busy:
                self.wake.wait(self.idle_seconds)
                self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
