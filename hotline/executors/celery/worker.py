"""Start a Celery worker (or the scheduler) in this process for the hotline tasks."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hotline.config import SettingsError
from hotline.executors.celery.options import scale_options
from hotline.executors.registry import QUEUES
from hotline.ops.admin import start_admin_server

if TYPE_CHECKING:
    from hotline.app import Hotline

POOLS = ("prefork", "solo", "threads")
DEFAULT_QUEUES = QUEUES


def parse_queues(text: str) -> list[str]:
    """'capture,locate' -> ['capture', 'locate']; an unknown name is a one-line error."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if unknown or not names:
        raise SettingsError(f"unknown queue {', '.join(unknown) or '(none)'}: choose from {','.join(QUEUES)}")
    return names


def worker_argv(app: Hotline, queues: Sequence[str], concurrency: int, pool: str | None) -> list[str]:
    options = scale_options(app.settings)
    if pool is not None and pool not in POOLS:
        raise SettingsError(f"unknown pool {pool}: choose from {', '.join(POOLS)}")
    chosen = pool or ("solo" if concurrency == 1 else "prefork")
    loglevel = app.settings.log_level
    # Celery's start-up banner is text on stdout; with JSON logs every line must be an object.
    quiet = ["--quiet"] if app.settings.log_format == "json" else []
    return [
        *quiet,
        "worker",
        f"--queues={','.join(options.queue(name) for name in queues)}",
        f"--concurrency={concurrency}",
        f"--pool={chosen}",
        f"--loglevel={loglevel}",
        # Unique per process, so several workers on one host are told apart in logs and `celery inspect`.
        f"--hostname=hotline-{os.getpid()}@{socket.gethostname()}",
        # Workers need no chatter with each other: leases in the database coordinate them.
        "--without-gossip",
        "--without-mingle",
    ]


def run_worker(app: Hotline, queues: Sequence[str], concurrency: int, pool: str | None = None) -> None:
    """Consume `queues` until stopped (SIGTERM: finish the running task, then exit)."""
    from hotline.executors.celery.app import make_celery
    from hotline.ops.endpoints import Operations
    from hotline.ops.metrics import enable_multiprocess

    argv = worker_argv(app, queues, concurrency, pool)
    _log_like_every_command(app)
    if app.settings.metrics_port is not None:
        # Tasks run in prefork children: their metrics go to files the admin listener adds up.
        enable_multiprocess()
        # Figures from the database are the web app's to serve; a worker serves what it measured.
        captures = bool({"capture", "monitor"} & set(queues))
        start_admin_server(app, Operations(app, captures=captures, pipeline_metrics=False))
    make_celery(app.settings, app).worker_main(argv)


def run_scheduler(app: Hotline) -> None:
    """Dispatch waiting rows and periodic jobs until SIGTERM or Ctrl-C."""
    from hotline.executors.celery.app import make_celery
    from hotline.executors.celery.scheduler import Scheduler
    from hotline.ops.endpoints import Operations

    options = scale_options(app.settings)
    scheduler = Scheduler(app, make_celery(app.settings, app), options)
    _log_like_every_command(app)
    start_admin_server(app, Operations(app, pipeline_metrics=False))
    signal.signal(signal.SIGTERM, lambda *_: scheduler.stop())
    try:
        scheduler.run()
    except KeyboardInterrupt:
        scheduler.stop()


def _log_like_every_command(app: Hotline) -> None:
    """HOTLINE_LOG_LEVEL and HOTLINE_LOG_FORMAT, and Celery told to leave logging alone."""
    from celery import signals

    from hotline.logs import configure_from_settings

    configure_from_settings(app.settings)
    # Any receiver of setup_logging makes Celery skip its own handlers (which would log twice, as text).
    signals.setup_logging.connect(_logging_is_set_up, weak=False, dispatch_uid="hotline-logging")


def _logging_is_set_up(**_: object) -> None:
    pass
