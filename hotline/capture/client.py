"""Run captures in a separate worker process and collect the results (the pipeline calls this)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
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
    stall = _checked_batch(jobs, options, stall_seconds)
    results: dict[str, CaptureResult] = {}
    proc = _start_worker(command)
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
        kill_worker(proc)  # the caller could not take a result: the worker must not go on alone
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


def _start_worker(command: Sequence[str]) -> subprocess.Popen[str]:
    # Its own session: killed, it takes every process it started with it (see kill_worker).
    return subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                            env=worker_env(), text=True, encoding="utf-8", start_new_session=True)


def _checked_batch(jobs: Sequence[CaptureJob], options: CaptureOptions, stall_seconds: float | None) -> float:
    """Refuse a batch with a job id twice; the seconds of silence after which its worker counts as stalled
    (the given ones, else the capture time limit plus 30 s, twice the limit plus 45 s when a capture may go
    on in a browser after its static pass)."""
    if len({job.job_id for job in jobs}) != len(jobs):
        raise ValueError("job ids in one batch must be unique")
    if stall_seconds is not None:
        return stall_seconds
    browser = options.browser_below_images > 0 or any(job.engine == "browser" for job in jobs)
    return options.max_seconds * (2 if browser else 1) + (45 if browser else 30)


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
                kill_worker(proc)
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


# Beyond either bound a shared worker is replaced: its guard keeps the DNS answers it checked (so the
# address checked is the address used) for as long as it lives, as one long batch would.
SHARED_WORKER_JOBS = 1000
SHARED_WORKER_SECONDS = 300.0
_END = object()
EXITED = "capture worker exited with status"


class SharedWorker:
    """One capture worker process kept for batch after batch (the capture stage's), so its start-up
    (Scrapy's and Twisted's imports, about half a second of CPU) is paid once per many captures rather
    than once per batch. Jobs stream in (the worker's ``"stream"`` mode) and each batch waits for its own
    results. One batch at a time; a stalled or dead worker fails the batch's open captures with the
    reason, like run_captures, and the next batch starts a new one. Jobs may not name a proxy or an engine
    of their own (the worker's guard and browser are set up for the product's): run_captures takes those."""

    def __init__(self, command: Sequence[str] = WORKER_COMMAND, max_jobs: int = SHARED_WORKER_JOBS,
                 max_seconds: float = SHARED_WORKER_SECONDS) -> None:
        self.command, self.max_jobs, self.max_seconds = list(command), max_jobs, max_seconds
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[object] = queue.Queue()
        self._options: CaptureOptions | None = None
        self._jobs_done = 0
        self._started = 0.0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def run(self, jobs: Sequence[CaptureJob], options: CaptureOptions, *,
            on_result: Callable[[CaptureResult], None] | None = None,
            stall_seconds: float | None = None) -> list[CaptureResult]:
        """Capture every job in the shared worker; results in job order (see run_captures)."""
        if not jobs:
            return []
        if any(job.egress_proxy or job.engine == "browser" for job in jobs):
            # Its guard and browser were set up for the product's proxy and the options' browser rule.
            raise ValueError("a shared capture worker takes no proxy or engine of a job's own: use run_captures")
        stall = _checked_batch(jobs, options, stall_seconds)
        with self._lock:
            results: dict[str, CaptureResult] = {}
            wanted = {job.job_id for job in jobs}
            for _ in range(2):  # a second time only for a worker that had died while idle
                proc = self._worker(options)
                reason = self._send(proc, jobs)
                while reason is None and len(results) < len(jobs):
                    reason = self._receive(proc, wanted, results, stall, on_result)
                if reason is None:
                    break
                self._stop(kill=True)
                if results or not reason.startswith(EXITED):
                    break  # a stall, or a worker that died during this batch: its captures failed
                # It had died before this batch began (killed while idle): once more in a new one.
            if reason is None:
                self._jobs_done += len(jobs)
                if self._jobs_done >= self.max_jobs or time.monotonic() - self._started >= self.max_seconds:
                    self._stop()
            return [results.get(job.job_id) or _failed(job, reason or "capture worker did not report this job")
                    for job in jobs]

    def close(self) -> None:
        with self._lock:
            self._stop()

    # -- the process ---------------------------------------------------------------------------
    def _worker(self, options: CaptureOptions) -> subprocess.Popen[str]:
        if self._proc is not None and (self._proc.poll() is not None or options != self._options):
            self._stop()  # gone, or set up for other options
        if self._proc is None:
            proc = _start_worker(self.command)
            lines: queue.Queue[object] = queue.Queue()
            threading.Thread(target=_read_lines, args=(proc, lines), name="capture-worker-output",
                             daemon=True).start()
            self._proc, self._lines, self._options = proc, lines, options
            self._jobs_done, self._started = 0, time.monotonic()
            self._write(proc, '{"stream": true, "options": ' + options.model_dump_json() + "}\n")
        return self._proc

    def _send(self, proc: subprocess.Popen[str], jobs: Sequence[CaptureJob]) -> str | None:
        lines = "".join('{"job": ' + job.model_dump_json() + "}\n" for job in jobs)
        if not self._write(proc, lines):
            return f"{EXITED} {proc.wait()}"
        return None

    @staticmethod
    def _write(proc: subprocess.Popen[str], text: str) -> bool:
        assert proc.stdin is not None
        try:
            proc.stdin.write(text)
            proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError):
            return False

    def _receive(self, proc: subprocess.Popen[str], wanted: set[str], results: dict[str, CaptureResult],
                 stall: float, on_result: Callable[[CaptureResult], None] | None) -> str | None:
        """Take the worker's next line; a reason when the batch cannot go on."""
        try:
            message = self._lines.get(timeout=stall)
        except queue.Empty:
            return f"capture worker sent nothing for {stall:g} s and was stopped"
        if message is _END:
            return f"{EXITED} {proc.wait()}"
        assert isinstance(message, dict)
        if "result" in message:
            result = CaptureResult.model_validate(message["result"])
            if result.job_id in wanted and result.job_id not in results:
                results[result.job_id] = result
                if on_result is not None:
                    try:
                        on_result(result)
                    except BaseException:
                        self._stop(kill=True)  # the caller could not take a result: start afresh next time
                        raise
        return None

    def _stop(self, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill or proc.poll() is not None:
            kill_worker(proc)  # and what it left behind, if it died alone
        elif proc.stdin is not None:
            try:
                proc.stdin.close()  # end of input: the worker ends once its captures are written
            except (BrokenPipeError, ValueError):
                pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_worker(proc)
            proc.wait()


def kill_worker(proc: subprocess.Popen[str]) -> None:
    """Kill a worker and every process it started (its recorder, a browser): they share its session.
    A recorder left behind would keep the worker's output open, and whoever reads it waiting."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read_lines(proc: subprocess.Popen[str], lines: queue.Queue[object]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip():
            lines.put(json.loads(line))
    lines.put(_END)
