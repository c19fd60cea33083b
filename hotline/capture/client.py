"""Run captures in a separate worker process and collect the results (the pipeline calls this)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult

# The worker inherits only these variables: no database URL, no credentials, no *_proxy settings.
_INHERITED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "HOME")
WORKER_COMMAND = (sys.executable, "-m", "hotline.capture.worker")


def worker_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in _INHERITED_ENV}


def _failed(job: CaptureJob, reason: str) -> CaptureResult:
    now = datetime.now(UTC)
    return CaptureResult(job_id=job.job_id, url=job.url, outcome="failed", reason=reason, started_at=now, finished_at=now)


def _batch_input(jobs: Sequence[CaptureJob], options: CaptureOptions) -> str:
    lines = ['{"options": ' + options.model_dump_json() + "}"]
    lines.extend('{"job": ' + job.model_dump_json() + "}" for job in jobs)
    return "\n".join(lines) + "\n"


def run_captures(
    jobs: Sequence[CaptureJob],
    options: CaptureOptions,
    *,
    on_result: Callable[[CaptureResult], None] | None = None,
    stall_seconds: float | None = None,
    command: Sequence[str] = WORKER_COMMAND,
) -> list[CaptureResult]:
    """Capture every job in one worker process; results in job order.

    A worker that sends nothing for ``stall_seconds`` (default: the capture time limit plus 30 s, twice the
    limit plus 45 s when a capture may go on in a browser after its static pass) is killed; captures it
    had not reported come back as failed with the reason.
    """
    if not jobs:
        return []
    if len({job.job_id for job in jobs}) != len(jobs):
        raise ValueError("job ids in one batch must be unique")
    browser = options.browser_below_images > 0 or any(job.engine == "browser" for job in jobs)
    stall = stall_seconds if stall_seconds is not None else options.max_seconds * (2 if browser else 1) + (
        45 if browser else 30)
    results: dict[str, CaptureResult] = {}
    proc = subprocess.Popen(
        list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
        env=worker_env(), text=True, encoding="utf-8",
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    feeder = threading.Thread(target=_feed, args=(proc.stdin, _batch_input(jobs, options)), daemon=True)
    feeder.start()
    alive, stalled = threading.Event(), threading.Event()
    watchdog = threading.Thread(target=_watch, args=(proc, alive, stalled, stall), daemon=True)
    watchdog.start()
    done = False
    try:
        for line in proc.stdout:
            alive.set()
            message = json.loads(line)
            if "result" in message:
                result = CaptureResult.model_validate(message["result"])
                results[result.job_id] = result
                if on_result is not None:
                    on_result(result)
            elif message.get("done"):
                done = True
    except BaseException:
        proc.kill()  # the caller could not take a result: the worker must not go on alone
        proc.wait()
        raise
    code = proc.wait()
    feeder.join()
    if stalled.is_set():
        reason = f"capture worker sent nothing for {stall:g} s and was stopped"
    elif not done:
        reason = f"capture worker exited with status {code}"
    else:
        reason = "capture worker did not report this job"
    return [results.get(job.job_id) or _failed(job, reason) for job in jobs]


def _feed(stdin: object, text: str) -> None:
    try:
        stdin.write(text)  # type: ignore[attr-defined]
        stdin.close()  # type: ignore[attr-defined]
    except BrokenPipeError:
        pass


def _watch(proc: subprocess.Popen[str], alive: threading.Event, stalled: threading.Event, stall: float) -> None:
    """Kill the worker when it has been silent for ``stall`` seconds."""
    while proc.poll() is None:
        if not alive.wait(stall):
            if proc.poll() is None:
                stalled.set()
                proc.kill()
            return
        alive.clear()


def worker_starts(
    options: CaptureOptions, *, timeout: float = 120.0, command: Sequence[str] = WORKER_COMMAND
) -> str | None:
    """Start a capture worker with an empty batch: None when it starts and finishes, else why not.

    It imports everything a capture needs (Scrapy, Twisted) before it sees there is nothing to do, so
    this costs what a worker start costs: seconds. Readiness checks call it rarely and keep the answer.
    """
    try:
        done = subprocess.run(
            list(command), input=_batch_input([], options), capture_output=True, env=worker_env(), check=False,
            text=True, encoding="utf-8", timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"it did not finish an empty batch within {timeout:g} s"
    except OSError as exc:
        return f"it could not be run: {exc.strerror or exc.__class__.__name__}"
    if done.returncode == 0 and '"done": true' in done.stdout:
        return None
    last = (done.stderr.strip().splitlines() or [""])[-1][:200]
    return f"it exited with status {done.returncode}" + (f": {last}" if last else "")
