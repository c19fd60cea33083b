"""Exactly once from the recipient's view, none lost, while the worker process is killed with SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from outbox_support import add_partner, forwards, queue_forward, seed_url

from hotline import audit

REPO = Path(__file__).resolve().parents[2]
FORWARDS = 60
KILLS = 50
HOTLINE = str(Path(sys.executable).with_name("hotline"))  # the installed console script
WORKER_ARGS = ["forward", "--until-idle", "--limit", "2"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_LEASE_SECONDS": "0.3",  # a killed worker's rows are due again soon
        "HOTLINE_FORWARD_RATE_PER_SECOND": "1000",
        "HOTLINE_FORWARD_RATE_BURST": "1000",
        "HOTLINE_SENDER_ID": "ro-safernet",
        "PYTHONPATH": str(REPO),
    })
    return env


class Workers:
    """Forks `hotline forward --until-idle --limit 2` processes (see fork_worker.py)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("fork_worker.py")), *WORKER_ARGS],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )

    def _ask(self, line: str) -> int:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def start(self) -> int:
        return self._ask("run")

    def wait(self, pid: int) -> int:
        return self._ask(f"wait {pid}")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(10)


def _until(condition, deadline: float) -> None:  # type: ignore[no-untyped-def]
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_every_forward_reaches_the_partner_once_while_the_worker_is_killed_50_times(
    make_hotline, partner_endpoint, tmp_path
) -> None:
    # given sixty approved forwards to a partner that dedupes by idempotency key
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    add_partner(app, partner_endpoint.url)
    keys = {queue_forward(app, seed_url(app, n)).idempotency_key for n in range(1, FORWARDS + 1)}
    app.close()
    env = _env(data_dir)
    rng = random.Random(20261125)
    started = time.monotonic()
    workers = Workers(env)
    try:
        # when the worker is killed with SIGKILL 50 times: right after it starts, or just after the
        # partner received its n-th request (between the send and the commit of the outcome)
        for kill in range(KILLS):
            seen = len(partner_endpoint.received)
            # every twentieth run is a freshly executed `hotline` (full start-up), the others are forked
            fresh = subprocess.Popen([HOTLINE, *WORKER_ARGS], env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL) if kill % 20 == 0 else None
            pid = fresh.pid if fresh else workers.start()
            wanted = seen + rng.choice([0, 1, 1, 2, 3])
            patience = 10.0 if fresh else 3.0
            _until(lambda: len(partner_endpoint.received) >= wanted, time.monotonic() + patience)  # noqa: B023
            time.sleep(rng.uniform(0.0, 0.02))  # a random point in what follows, not a wait for it
            os.kill(pid, signal.SIGKILL)
            if fresh:
                code = fresh.wait(10)
                # A fresh worker may find the outbox already empty and finish before the kill: only then 0.
                assert code == -signal.SIGKILL or (code == 0 and len(partner_endpoint.stored) == FORWARDS), code
            else:
                workers.wait(pid)
    finally:
        workers.close()
    # and then the real command runs until nothing is due
    finished = subprocess.run([HOTLINE, "forward", "--until-idle"], env=env, cwd=REPO, check=False,
                              capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    elapsed = time.monotonic() - started
    # then the partner stored every key exactly once and no forward was lost or sent under a new key
    assert set(partner_endpoint.stored) == keys
    rows = forwards(app)
    assert len(rows) == FORWARDS and all(f.state == "delivered" for f in rows)
    # and each forward's receipt is the one the partner gave the key the first time
    assert {f.idempotency_key: json.loads(f.receipt)["id"] for f in rows} == partner_endpoint.stored
    with app.db.sessions() as session:
        assert audit.verify(session) == []
    resent = len(partner_endpoint.received) - len(keys)
    print(f"{KILLS} kills, {len(partner_endpoint.received)} requests, {resent} resends recognised, "
          f"{elapsed:.1f} s")
