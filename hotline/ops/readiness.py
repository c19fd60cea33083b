"""Readiness: can this process do its work now? Each check answers None (fine) or a problem in plain words.

- database: reachable, and migrated to the schema this version of hotline expects;
- data dir: the data dir and the evidence dir take a new file;
- broker: reachable, when one is configured;
- capture worker: one starts and runs an empty batch, for processes that capture. Starting one costs
  seconds, so it is checked at start-up and again every `capture_check_seconds` (every 30 s while it
  fails), in the background; a probe reads the last answer and never waits for a new one.

The quick checks run on every probe, in threads, under a deadline: a database that does not answer
makes the probe say so within `timeout` seconds instead of hanging it. A check still running from an
earlier probe is waited for, not started again, so slow dependencies do not pile up threads.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

Check = Callable[[], "str | None"]
NOT_MIGRATED = "database not migrated: run `hotline init`"


class Readiness:
    def __init__(self, app: Hotline, *, captures: bool = False, timeout: float = 5.0):
        self.app = app
        self.timeout = timeout
        self.checks: dict[str, Check] = {"database": self.database, "data_dir": self.data_dir}
        if app.settings.broker_url:  # the Celery executor is asked for
            self.checks["broker"] = self.broker
        self.capture = (
            CachedCheck(self.capture_worker, every=app.settings.capture_check_seconds) if captures else None
        )
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(self.checks),
                                                           thread_name_prefix="readiness")
        self._running: dict[str, concurrent.futures.Future[str | None]] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Begin the slow checks now (at start-up) rather than at the first probe."""
        if self.capture is not None:
            self.capture.current()

    def report(self) -> dict[str, str]:
        """Every check's answer: "ok" or the problem. Waits at most `timeout` seconds."""
        with self._lock:
            for name, check in self.checks.items():
                running = self._running.get(name)
                if running is None or running.done():
                    self._running[name] = self._pool.submit(_guarded, name, check)
            futures = {name: self._running[name] for name in self.checks}
        deadline = time.monotonic() + self.timeout
        answers: dict[str, str] = {}
        for name, future in futures.items():
            try:
                problem = future.result(timeout=max(deadline - time.monotonic(), 0.0))
            except concurrent.futures.TimeoutError:
                problem = f"{name.replace('_', ' ')} did not answer within {self.timeout:g} s"
            answers[name] = problem or "ok"
        if self.capture is not None:
            answers["capture_worker"] = self.capture.current() or "ok"
        return answers

    def database(self) -> str | None:
        from sqlalchemy import inspect, text

        try:
            with self.app.db.engine.connect() as connection:
                # No alembic_version table: `hotline init` never ran on this database.
                migrated = inspect(connection).has_table("alembic_version")
                query = text("SELECT version_num FROM alembic_version")
                current = set(connection.scalars(query)) if migrated else set()
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the answer is "unreachable"
            log.warning("readiness: database unreachable: %s: %s", exc.__class__.__name__, exc)
            return "database unreachable"
        heads, known = _schema_revisions()
        if current == heads:
            return None
        if current - known:
            return "database schema is newer than this version of hotline: upgrade hotline"
        return NOT_MIGRATED

    def data_dir(self) -> str | None:
        settings = self.app.settings
        for path in (settings.data_dir, settings.evidence_dir):
            try:
                with tempfile.NamedTemporaryFile(dir=path, prefix=".ready-"):
                    pass
            except OSError as exc:
                where = "data dir" if path == settings.data_dir else f"data dir ({path.name}/)"
                return f"{where} not writable: {exc.strerror or exc.__class__.__name__}"
        return None

    def broker(self) -> str | None:
        from kombu.connection import Connection

        try:
            with Connection(self.app.settings.broker_url, connect_timeout=self.timeout) as connection:  # type: ignore[no-untyped-call]
                connection.ensure_connection(max_retries=0)
        except Exception as exc:  # noqa: BLE001 - each transport raises its own errors
            log.warning("readiness: broker unreachable: %s: %s", exc.__class__.__name__, exc)
            return "broker unreachable"
        return None

    def capture_worker(self) -> str | None:
        from hotline.capture.client import worker_starts

        problem = worker_starts(self.app.capture_options())
        if problem:
            log.warning("readiness: capture worker cannot start: %s", problem)
            return f"capture worker cannot start: {problem}"
        return None


class CachedCheck:
    """A slow check run in a background thread: at most every `every` seconds, every `retry` while failing."""

    PENDING = "capture worker not checked yet (starting one takes a few seconds)"

    def __init__(self, check: Check, *, every: float, retry: float = 30.0):
        self.check = check
        self.every = every
        self.retry = min(retry, every)
        self._answer: str | None = self.PENDING
        self._checked_at: float | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def current(self) -> str | None:
        """The last answer (None: fine); starts a new check in the background when it is due."""
        with self._lock:
            age = None if self._checked_at is None else time.monotonic() - self._checked_at
            due = age is None or age >= (self.every if self._answer is None else self.retry)
            if due and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="readiness-capture", daemon=True)
                self._thread.start()
            return self._answer

    def _run(self) -> None:
        answer = _guarded("capture worker", self.check)
        with self._lock:
            self._answer, self._checked_at = answer, time.monotonic()


def _guarded(name: str, check: Check) -> str | None:
    try:
        return check()
    except Exception:  # a bug in a check must show as a failing check, not a 500
        log.exception("readiness check %s failed", name)
        return f"{name.replace('_', ' ')} check failed"


@functools.cache
def _schema_revisions() -> tuple[set[str], set[str]]:
    """The newest migrations (heads) and every migration this version of hotline ships."""
    from alembic.script import ScriptDirectory

    from hotline.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return set(script.get_heads()), {revision.revision for revision in script.walk_revisions()}

