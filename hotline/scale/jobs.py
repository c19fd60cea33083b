"""Periodic jobs other areas own (forward delivery, takedown monitoring), found by name.

An area makes its job available to both executors by registering it with
`hotline.background.register(name, job)` when its module is imported, or by exposing one of the
functions listed below. A job that is not there (the area is not installed yet) is skipped.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

Job = Callable[["Hotline"], int]


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: str
    every_seconds: float
    modules: tuple[str, ...]  # imported so they can register themselves with hotline.background
    functions: tuple[str, ...]  # "module:function" fallbacks, tried in order


# Names become Celery task function names (hotline.job.NAME): identifiers only.
JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("forward", "forward", 15.0, ("hotline.outbox",),
                ("hotline.outbox:deliver_due", "hotline.outbox:run", "hotline.outbox:deliver")),
        JobSpec("monitor", "monitor", 60.0, ("hotline.monitor",),
                ("hotline.monitor:run_due", "hotline.monitor:run_due_checks", "hotline.monitor:run")),
        # On the capture hosts: they are the ones that write to the evidence store.
        JobSpec("evidence_reseal", "capture", 60.0, ("hotline.evidence.jobs",), ()),
        JobSpec("evidence_retention", "capture", 600.0, ("hotline.evidence.jobs",), ()),
    )
}


def resolve_job(name: str) -> Job | None:
    """The callable behind job `name`, or None when no installed module provides it."""
    spec = JOBS[name]
    for module in spec.modules:
        _import_quietly(module)
    from hotline import background

    registered = getattr(background, "_jobs", {}).get(name)
    if registered is not None:
        return registered  # type: ignore[no-any-return]
    for path in spec.functions:
        module_name, _, attribute = path.partition(":")
        found = _import_quietly(module_name)
        function = getattr(found, attribute, None) if found is not None else None
        if callable(function):
            return function  # type: ignore[no-any-return]
    return None


def _import_quietly(name: str) -> object | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None  # the area is simply not there
        raise
