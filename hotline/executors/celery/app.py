"""The Celery application, configured from the hotline settings.

Delivery is at-least-once (late acks, requeue when a worker dies); leases in the database make each
item's work happen once at a time, and the stages' idempotence makes a repeat harmless.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from celery import Celery, signals
from kombu.entity import Exchange, Queue

from hotline.executors.celery.options import ScaleOptions, scale_options
from hotline.executors.celery.tasks import AppPerProcess, job_task_name, register_tasks, stage_task_name
from hotline.executors.registry import JOBS, QUEUES, STAGES

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.config import Settings


def make_celery(settings: Settings, app: Hotline | None = None) -> Celery:
    """A Celery app with hotline's tasks, routes and delivery guarantees; `app` is reused in this process."""
    options = scale_options(settings)
    celery = Celery("hotline", broker=options.broker_url, backend=options.result_backend, set_as_current=False)
    celery.conf.update(celery_config(options))
    register_tasks(celery, AppPerProcess(settings, app), options)
    signals.worker_process_init.connect(_allow_child_processes, weak=False, dispatch_uid="hotline-children")
    return celery


def _allow_child_processes(**_: Any) -> None:
    """Let a prefork child start processes of its own (the fingerprint stage hashes in a process pool).

    The pool marks its children daemonic, and Python refuses to start processes from a daemonic one;
    the pool also leaves its own kind of authentication key, which Python's spawn cannot pass on.
    """
    import multiprocessing
    from multiprocessing.process import AuthenticationString  # type: ignore[attr-defined]

    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    config["daemon"] = False
    config["authkey"] = AuthenticationString(bytes(config.get("authkey") or os.urandom(32)))


def celery_config(options: ScaleOptions) -> dict[str, Any]:
    routes = {stage_task_name(stage.name): {"queue": options.queue(stage.queue)} for stage in STAGES}
    routes.update({job_task_name(job.name): {"queue": options.queue(job.queue)} for job in JOBS})
    # A message may stay unacknowledged while its task runs; Redis hands it to another worker after this.
    visibility = max(3600.0, options.task_time_limit * 1.5)
    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # With late acks the broker redelivers a task whose worker lost its connection: stop the copy here.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_ignore_result": options.result_backend is None,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_routes": routes,
        "task_queues": [_queue(options.queue(name)) for name in QUEUES],
        "task_default_queue": options.queue("locate"),
        "task_time_limit": options.task_time_limit + 60,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": visibility},
        "result_expires": 3600,
        "enable_utc": True,
        "timezone": "UTC",
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
    }


def _queue(name: str) -> Queue:
    # Each queue gets its own exchange and key: on AMQP a shared default exchange would copy messages.
    return Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]


def delete_queues(broker_url: str, prefix: str = "") -> None:
    """Remove this instance's queues and their messages from the broker (tests, retiring a prefix)."""
    from kombu.connection import Connection

    with Connection(broker_url, connect_timeout=5) as connection:  # type: ignore[no-untyped-call]
        for name in QUEUES:
            channel = connection.channel()
            try:
                # Declared first: Redis deletes only the bindings the channel knows about.
                queue = _queue(prefix + name)(channel)
                queue.declare()  # type: ignore[no-untyped-call]
                queue.delete()  # type: ignore[no-untyped-call]
                queue.exchange.delete()  # type: ignore[no-untyped-call]
            finally:
                channel.close()
