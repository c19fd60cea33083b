"""The Celery tasks: one per stage, each calling the stage function the embedded executor calls.

A stage task leases rows (a batch, or the ids it was given), runs the stage, gives back what it did not
finish and asks the next stage to take the rows it moved on. Running a task twice changes nothing: it
only takes rows still waiting in the stage's state, under a lease nobody else holds.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hotline.executors.celery.leased import run_leased
from hotline.executors.celery.options import ScaleOptions
from hotline.executors.registry import JOBS, STAGES, Job, Stage
from hotline.ops.metrics import timed_job

if TYPE_CHECKING:
    from celery import Celery

    from hotline.app import Hotline
    from hotline.config import Settings

log = logging.getLogger(__name__)

NEXT_STAGE: dict[str, Stage] = {a.name: b for a, b in itertools.pairwise(STAGES)}


def stage_task_name(stage: str) -> str:
    return f"hotline.stage.{stage}"


def job_task_name(job: str) -> str:
    return f"hotline.job.{job}"


class AppPerProcess:
    """One Hotline per OS process: a prefork child must not reuse its parent's database connections."""

    def __init__(self, settings: Settings, app: Hotline | None = None):
        self.settings = settings
        self._apps: dict[int, Hotline] = {os.getpid(): app} if app is not None else {}
        self._lock = threading.Lock()

    def __call__(self) -> Hotline:
        from hotline.app import Hotline

        with self._lock:
            pid = os.getpid()
            if pid not in self._apps:
                self._apps[pid] = Hotline(self.settings)
            return self._apps[pid]


def register_tasks(celery: Celery, hotline: Callable[[], Hotline], options: ScaleOptions) -> None:
    retry: dict[str, Any] = {
        "bind": True,
        "autoretry_for": (Exception,),
        "max_retries": options.task_max_retries,
        "retry_backoff": 2,
        "retry_backoff_max": 300,
        "retry_jitter": True,
        "acks_late": True,
        "reject_on_worker_lost": True,
    }
    for stage in STAGES:
        celery.task(name=stage_task_name(stage.name), **retry)(_stage_task(stage, hotline, options))
    for job in JOBS:
        celery.task(name=job_task_name(job.name), **retry)(_job_task(job, hotline))


def _stage_task(stage: Stage, hotline: Callable[[], Hotline], options: ScaleOptions) -> Callable[..., int]:
    def run(task: Any, ids: list[int] | None = None) -> int:
        limit = min(stage.batch, options.task_batch, len(ids) if ids else options.task_batch)
        taken = run_leased(
            hotline(), stage, limit=limit, lease=options.lease, ids=ids, give_up_after=options.task_time_limit
        )
        following = NEXT_STAGE.get(stage.name)
        if taken and following is not None:
            # Rows the stage did not move on are simply not taken by the next stage's claim.
            task.app.send_task(stage_task_name(following.name), kwargs={"ids": taken})
        return len(taken)

    run.__name__ = f"{stage.name}_task"
    return run


def _job_task(job: Job, hotline: Callable[[], Hotline]) -> Callable[..., int]:
    def run(task: Any) -> int:
        with timed_job(job.name):
            done = int(job.run(hotline()))
        if done:
            # More may be due right behind this batch: keep going rather than wait for the scheduler.
            task.app.send_task(job_task_name(job.name))
        return done

    run.__name__ = f"{job.name}_job"
    return run
