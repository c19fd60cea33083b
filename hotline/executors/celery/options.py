"""What the scale-out executor reads from the settings, checked once (a bad value: one-line SettingsError)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hotline.config import Settings, SettingsError

BROKER_SCHEMES = ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://", "memory://", "filesystem://")
RESULT_SCHEMES = ("redis://", "rediss://")

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
        """A deployment may prefix the registry's queue names to share one broker between instances."""
        return self.queue_prefix + logical


def broker_configured(settings: Settings) -> bool:
    """True when the settings ask for the Celery executor instead of the embedded one."""
    return bool(settings.broker_url)


def scale_options(settings: Settings) -> ScaleOptions:
    """Read and check the scale-out settings; a bad value is a one-line SettingsError."""
    broker = settings.broker_url
    if not broker:
        raise SettingsError(
            "setting HOTLINE_BROKER_URL is missing: set it to redis://host:6379/0 or amqp://user:pass@host:5672//"
        )
    if not broker.startswith(BROKER_SCHEMES):
        raise SettingsError(f"setting HOTLINE_BROKER_URL is invalid: {_scheme(broker)} is not redis:// or amqp://")
    backend = settings.result_backend or None
    if backend and not backend.startswith(RESULT_SCHEMES):
        raise SettingsError(f"setting HOTLINE_RESULT_BACKEND is invalid: {_scheme(backend)} is not redis://")
    options = ScaleOptions(
        broker_url=broker,
        result_backend=backend,
        lease_seconds=settings.lease_seconds,
        task_batch=settings.task_batch,
        task_max_retries=settings.task_max_retries,
        dispatch_seconds=settings.dispatch_seconds,
        task_time_limit=settings.task_time_limit,
        queue_prefix=settings.queue_prefix,
    )
    for name in ("lease_seconds", "task_batch", "dispatch_seconds", "task_time_limit"):
        if getattr(options, name) <= 0:
            raise SettingsError(f"setting HOTLINE_{name.upper()} is invalid: it must be greater than 0")
    if options.task_max_retries < 0:
        raise SettingsError("setting HOTLINE_TASK_MAX_RETRIES is invalid: it must be 0 or more")
    return options


def _scheme(url: str) -> str:
    # Never echo a URL that may carry a password.
    return url.split("://", 1)[0] + "://" if "://" in url else "the value"
