"""Helpers for the scale-out tests: brokers, workers as subprocesses, polling with a deadline."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
BROKERS = {
    "redis": os.environ.get("SCALE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("SCALE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


def _unreachable(url: str) -> str | None:
    parts = urlsplit(url)
    port = parts.port or (6379 if parts.scheme.startswith("redis") else 5672)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        return f"{parts.scheme} broker at {parts.hostname}:{port} is not reachable ({exc.__class__.__name__})"
    return None


def broker_or_skip(kind: str) -> str:
    url = BROKERS[kind]
    problem = _unreachable(url)
    if problem:
        pytest.skip(problem)
    return url


@dataclass
class Cluster:
    """Workers and a scheduler started as `hotline` subprocesses sharing one environment."""

    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{args[0]}-{len(self.processes)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "cli.py"), *args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes its capture child with it
        )  # fmt: skip
        self.processes.append(proc)
        return proc

    def worker(self, queues: str = "capture,fingerprint,locate", concurrency: int = 1) -> subprocess.Popen[bytes]:
        """A worker: solo pool for concurrency 1, prefork processes above."""
        return self.start("worker", "--queues", queues, "--concurrency", str(concurrency))

    def scheduler(self) -> subprocess.Popen[bytes]:
        return self.start("scheduler")

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Kill the worker and the capture process it started, as a machine crash would."""
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.processes:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(self.logs.iterdir()))


def running_capture(worker: subprocess.Popen[bytes]) -> bool:
    """Whether this worker has a capture process running right now (a child running hotline.capture.worker)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        if parent == worker.pid and b"hotline.capture.worker" in command:
            return True
    return False


def delete_queues(broker_url: str, prefix: str) -> None:
    from hotline.executors.celery.app import delete_queues as delete

    delete(broker_url, prefix)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, on_timeout: Callable[[], str] = str) -> None:
    """Poll `predicate` until it holds; fail with `what` (and `on_timeout()` details) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{on_timeout()}")
        time.sleep(0.1)
