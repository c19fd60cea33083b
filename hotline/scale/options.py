"""What the scale-out executor reads from the settings, validated once.

Fields the shared Settings object does not have yet are read from their HOTLINE_* variable directly
(same names), so deployments and tests can set them today.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from hotline.config import Settings, SettingsError

T = TypeVar("T")

BROKER_SCHEMES = ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://", "memory://", "filesystem://")
RESULT_SCHEMES = ("redis://", "rediss://")

# Logical queue names; a deployment may prefix them to share one broker between instances.
QUEUES = ("capture", "fingerprint", "locate", "forward", "monitor")
# Which queue each task kind goes to (triage is quick and shares the locate workers).
QUEUE_OF = {
    "capture": "capture",
    "fingerprint": "fingerprint",
    "locate": "locate",
    "triage": "locate",
    "forward": "forward",
    "monitor": "monitor",
}


@dataclass(frozen=True)
class ScaleOptions:
    broker_url: str
    result_backend: str | None = None
    lease_seconds: float = 600.0  # how long a crashed worker's items stay hidden
    task_batch: int = 50  # at most this many rows per task, so work spreads over workers
    task_max_retries: int = 3
    dispatch_seconds: float = 5.0  # how often the scheduler looks for waiting rows
    task_time_limit: float = 3600.0  # a task is given up (and its lease no longer renewed) after this
    queue_prefix: str = ""

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def queue(self, logical: str) -> str:
        return self.queue_prefix + logical

    def queue_for_task(self, kind: str) -> str:
        return self.queue(QUEUE_OF[kind])


def broker_configured(settings: Settings) -> bool:
    """True when the settings ask for the Celery executor instead of the embedded one."""
    return bool(_read(settings, "broker_url", None, str))


def scale_options(settings: Settings) -> ScaleOptions:
    """Read and check the scale-out settings; a bad value is a one-line SettingsError."""
    broker = _read(settings, "broker_url", None, str)
    if not broker:
        raise SettingsError(
            "setting HOTLINE_BROKER_URL is missing: set it to redis://host:6379/0 or amqp://user:pass@host:5672//"
        )
    if not broker.startswith(BROKER_SCHEMES):
        raise SettingsError(f"setting HOTLINE_BROKER_URL is invalid: {_scheme(broker)} is not redis:// or amqp://")
    backend = _read(settings, "result_backend", None, str) or None
    if backend and not backend.startswith(RESULT_SCHEMES):
        raise SettingsError(f"setting HOTLINE_RESULT_BACKEND is invalid: {_scheme(backend)} is not redis://")
    options = ScaleOptions(
        broker_url=broker,
        result_backend=backend,
        lease_seconds=_read(settings, "lease_seconds", 600.0, float),
        task_batch=_read(settings, "task_batch", 50, int),
        task_max_retries=_read(settings, "task_max_retries", 3, int),
        dispatch_seconds=_read(settings, "dispatch_seconds", 5.0, float),
        task_time_limit=_read(settings, "task_time_limit", 3600.0, float),
        queue_prefix=_read(settings, "queue_prefix", "", str),
    )
    for name in ("lease_seconds", "task_batch", "dispatch_seconds", "task_time_limit"):
        if getattr(options, name) <= 0:
            raise SettingsError(f"setting HOTLINE_{name.upper()} is invalid: it must be greater than 0")
    if options.task_max_retries < 0:
        raise SettingsError("setting HOTLINE_TASK_MAX_RETRIES is invalid: it must be 0 or more")
    return options


def _read(settings: Settings, name: str, default: T, cast: Callable[[Any], T]) -> T:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(f"HOTLINE_{name.upper()}")
    if value is None or value == "":
        return default
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise SettingsError(f"setting HOTLINE_{name.upper()} is invalid: {value!r} is not a {cast.__name__}") from None


def _scheme(url: str) -> str:
    # Never echo a URL that may carry a password.
    return url.split("://", 1)[0] + "://" if "://" in url else "the value"
