"""The scheduler: keeps enough stage tasks queued for the rows waiting in each state, and runs jobs.

It enqueues one "take a batch" task per `task_batch` waiting rows, minus what is already queued, so a
backlog never floods the broker. Rows whose lease ran out (their worker died) count as waiting again,
which is how a killed worker's items are picked up. Two schedulers are harmless, merely wasteful.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from typing import TYPE_CHECKING

from hotline.executors.celery.options import ScaleOptions
from hotline.executors.celery.tasks import job_task_name, stage_task_name
from hotline.executors.leases import waiting_rows
from hotline.executors.registry import JOBS, STAGES

if TYPE_CHECKING:
    from celery import Celery

    from hotline.app import Hotline

log = logging.getLogger(__name__)

# Never queue more than this many tasks for one stage in one round.
MAX_QUEUED_PER_STAGE = 200


def queue_depth(celery: Celery, queue: str) -> int:
    """Messages waiting in `queue` (not those a worker already holds); 0 when the queue does not exist."""
    with celery.pool.acquire(block=True) as connection:
        # A channel of its own: on AMQP a failed passive declare closes the channel it was sent on.
        channel = connection.channel()
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except Exception as exc:  # a missing queue is "empty"; each broker says so differently
            if "NOT_FOUND" in str(exc) or "404" in str(exc):
                return 0
            raise
        finally:
            with contextlib.suppress(Exception):
                channel.close()


def dispatch(app: Hotline, celery: Celery, options: ScaleOptions) -> dict[str, int]:
    """Queue stage tasks for waiting rows; returns how many tasks were sent per stage."""
    with app.db.sessions() as session:
        waiting = waiting_rows(session, [stage.waits_in for stage in STAGES])
    sent: dict[str, int] = {}
    depth_cache: dict[str, int] = {}
    for stage in STAGES:
        rows = waiting.get(stage.waits_in, 0)
        if not rows:
            continue
        queue = options.queue(stage.queue)
        if queue not in depth_cache:
            depth_cache[queue] = queue_depth(celery, queue)
        batch = min(stage.batch, options.task_batch)
        wanted = min(math.ceil(rows / batch), MAX_QUEUED_PER_STAGE) - depth_cache[queue]
        for _ in range(max(wanted, 0)):
            celery.send_task(stage_task_name(stage.name), kwargs={})
        depth_cache[queue] += max(wanted, 0)
        if wanted > 0:
            sent[stage.name] = wanted
    return sent


class Scheduler:
    """`hotline scheduler`: dispatch every `dispatch_seconds`, each installed job at its own interval."""

    def __init__(self, app: Hotline, celery: Celery, options: ScaleOptions):
        self.app = app
        self.celery = celery
        self.options = options
        self.stopping = threading.Event()
        self._next_job_run = {job.name: 0.0 for job in JOBS}

    def run(self) -> None:
        while not self.stopping.is_set():
            self.tick()
            self.stopping.wait(self.options.dispatch_seconds)

    def tick(self) -> None:
        try:
            sent = dispatch(self.app, self.celery, self.options)
            if sent:
                log.info("queued %s", ", ".join(f"{name}={count}" for name, count in sent.items()))
        except Exception:  # a broker or database hiccup must not stop the scheduler; next tick retries
            log.exception("dispatch failed")
        now = time.monotonic()
        for job in JOBS:
            if now >= self._next_job_run[job.name]:
                self._next_job_run[job.name] = now + job.every_seconds
                try:
                    if queue_depth(self.celery, self.options.queue(job.queue)) == 0:
                        self.celery.send_task(job_task_name(job.name))
                except Exception:
                    log.exception("could not queue job %s", job.name)

    def stop(self) -> None:
        self.stopping.set()
