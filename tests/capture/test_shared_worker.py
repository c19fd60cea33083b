"""The capture stage's shared worker: one process for batch after batch, replaced when it is done with.

Live captures go through the synthetic egress proxy on loopback, with direct connections limited to
loopback (as every capture test)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.capture.client import SharedWorker
from hotline.capture.models import CaptureJob, CaptureOptions
from hotline.synthnet import SyntheticInternet

from .conftest import LOOPBACK_ONLY

SITE = "shared.example-synth.ro"


@pytest.fixture(scope="module")
def pages(net: SyntheticInternet) -> list[str]:
    net.add_host(SITE, country="RO")
    for n in range(6):
        net.add_page(SITE, f"/shared/{n}", html=f"<p>page {n}</p><img src='/shared/{n}.png'>")
        net.add_image(SITE, f"/shared/{n}.png", seed=600 + n)
    return [f"http://{SITE}/shared/{n}" for n in range(6)]


@pytest.fixture
def options(net: SyntheticInternet, evidence_dir: Path, master_key: bytes) -> CaptureOptions:
    return CaptureOptions(evidence_dir=evidence_dir, master_key=master_key, dns_nameservers=[net.dns_nameserver],
                          egress_proxy=net.proxy_url, direct_connect_only=LOOPBACK_ONLY, max_seconds=5)


@pytest.fixture
def worker() -> Iterator[SharedWorker]:
    shared = SharedWorker()
    yield shared
    shared.close()


def _running_in_group(pgid: int) -> list[int]:
    """Processes of a process group that are still running (an orphan's zombie is dead, if unreaped)."""
    running = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            running.append(int(entry.name))
    return running


def _jobs(urls: list[str]) -> list[CaptureJob]:
    return [CaptureJob(job_id=str(n), url=url) for n, url in enumerate(urls)]


def test_batches_share_one_worker_and_each_gets_its_own_results(
    worker: SharedWorker, options: CaptureOptions, pages: list[str]
) -> None:
    first = worker.run(_jobs(pages[:3]), options)
    pid = worker.pid
    second = worker.run(_jobs(pages[3:]), options)

    assert pid is not None and worker.pid == pid
    for batch, urls in ((first, pages[:3]), (second, pages[3:])):
        assert [r.url for r in batch] == urls
        assert all(r.outcome == "ok" and r.status == 200 and len(r.resources) == 1 for r in batch), batch
    worker.close()
    assert worker.pid is None


def test_a_worker_is_replaced_after_its_jobs_and_when_the_options_change(
    options: CaptureOptions, pages: list[str]
) -> None:
    shared = SharedWorker(max_jobs=2)
    try:
        shared.run(_jobs(pages[:2]), options)
        assert shared.pid is None  # done with after two captures: its DNS pins go with it
        shared.run(_jobs(pages[2:3]), options)
        pid = shared.pid
        assert pid is not None
        [result] = shared.run(_jobs(pages[3:4]), options.model_copy(update={"max_seconds": 6}))
        assert result.outcome == "ok" and shared.pid not in (None, pid)
    finally:
        shared.close()


def test_a_worker_that_died_between_batches_is_started_again(
    worker: SharedWorker, options: CaptureOptions, pages: list[str]
) -> None:
    worker.run(_jobs(pages[:1]), options)
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the worker alone, as the kernel's OOM killer would: its recorder lives on
    deadline = time.monotonic() + 10
    while worker.pid is not None:
        assert time.monotonic() < deadline, "the killed worker never exited"
        time.sleep(0.05)

    [result] = worker.run(_jobs(pages[1:2]), options, stall_seconds=20)

    assert result.outcome == "ok" and worker.pid not in (None, pid)
    assert _running_in_group(pid) == []  # nothing of the old worker's is left running


def test_a_stalled_shared_worker_fails_its_batch_and_the_next_batch_gets_a_new_one(options: CaptureOptions) -> None:
    # A fake worker that reads its input and never answers.
    silent = [sys.executable, "-c", "import sys, time\nfor line in sys.stdin: pass\ntime.sleep(600)"]
    shared = SharedWorker(command=silent)
    try:
        jobs = _jobs(["http://example.test/a", "http://example.test/b"])
        results = shared.run(jobs, options, stall_seconds=0.5)
        assert all(r.outcome == "failed" and "sent nothing for 0.5 s" in (r.reason or "") for r in results)
        assert shared.pid is None  # killed, not left running
        again = shared.run(jobs[:1], options, stall_seconds=0.5)
        assert again[0].outcome == "failed"
    finally:
        shared.close()


def test_jobs_with_a_proxy_or_engine_of_their_own_are_refused(worker: SharedWorker, options: CaptureOptions) -> None:
    job = CaptureJob(job_id="a", url="http://example.test/", egress_proxy="http://127.0.0.1:3128")
    with pytest.raises(ValueError, match="no proxy or engine of a job's own"):
        worker.run([job], options)
    with pytest.raises(ValueError, match="no proxy or engine of a job's own"):
        worker.run([CaptureJob(job_id="b", url="http://example.test/", engine="browser")], options)
