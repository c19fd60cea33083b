"""What the scale-out benchmarks share: `hotline` processes started in their own session, and waiting
for a condition with a deadline."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`hotline ARGS` with its output in `log`, in a session of its own (killed with its children)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, str(REPO / "cli.py"), *args], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)
