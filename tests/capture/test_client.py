"""The client side of the worker protocol: isolation of the environment, broken or stalled workers."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from hotline.capture.client import run_captures, worker_env
from hotline.capture.models import CaptureJob, CaptureOptions
from hotline.evidence import generate_master_key


@pytest.fixture
def options(tmp_path: Path) -> CaptureOptions:
    return CaptureOptions(evidence_dir=tmp_path, master_key=generate_master_key(), dns_nameservers=["127.0.0.1:9"])


def test_the_worker_gets_no_database_credentials_or_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql://hotline:secret@db/hotline")
    monkeypatch.setenv("http_proxy", "http://corporate-proxy:3128")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    env = worker_env()
    assert "HOTLINE_DATABASE_URL" not in env and "http_proxy" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert "PATH" in env


def test_a_stalled_worker_is_stopped_and_its_captures_fail(options: CaptureOptions) -> None:
    # A fake worker that reads its input and then never answers.
    silent = [sys.executable, "-c", "import sys, select; sys.stdin.read(); select.select([], [], [])"]
    jobs = [CaptureJob(job_id="a", url="http://example.test/"), CaptureJob(job_id="b", url="http://example.test/b")]
    results = run_captures(jobs, options, stall_seconds=0.5, command=silent)
    assert [r.job_id for r in results] == ["a", "b"]
    assert all(r.outcome == "failed" and "sent nothing" in (r.reason or "") for r in results)


def test_a_worker_that_rejects_its_input_is_reported(options: CaptureOptions) -> None:
    failing = [sys.executable, "-c", "import sys; sys.stdin.read(); sys.exit(2)"]
    [result] = run_captures([CaptureJob(job_id="a", url="http://example.test/")], options, command=failing)
    assert result.outcome == "failed" and "status 2" in (result.reason or "")


def test_options_travel_as_json_with_the_key_intact(options: CaptureOptions) -> None:
    again = CaptureOptions.model_validate_json(options.model_dump_json())
    assert again.master_key == options.master_key
    assert "master_key" not in repr(options)


def test_socks_proxies_and_duplicate_job_ids_are_refused_up_front(options: CaptureOptions) -> None:
    with pytest.raises(ValidationError, match="http:// or https://"):
        CaptureJob(job_id="a", url="http://example.test/", egress_proxy="socks5://127.0.0.1:1080")
    with pytest.raises(ValueError, match="unique"):
        run_captures([CaptureJob(job_id="a", url="http://x.test/")] * 2, options)


def test_a_caller_that_fails_on_a_result_stops_the_worker(options: CaptureOptions, tmp_path: Path) -> None:
    # A fake worker that reports one capture, then waits for more input that never ends.
    pid_file = tmp_path / "worker.pid"
    result = ('{"result": {"job_id": "a", "url": "http://example.test/", "outcome": "ok", '
              '"started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z"}}')
    script = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
              f"print({result!r}, flush=True); time.sleep(600)")
    lingering = [sys.executable, "-c", script]

    def refuse(_: object) -> None:
        raise RuntimeError("the database is gone")

    with pytest.raises(RuntimeError, match="database is gone"):
        run_captures([CaptureJob(job_id="a", url="http://example.test/")], options, on_result=refuse, command=lingering)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left running


def test_a_stalled_worker_is_stopped_with_the_processes_it_started(options: CaptureOptions) -> None:
    # A fake worker whose child (as the recorder is) holds the output open, and neither ever answers.
    forking = [sys.executable, "-c", "import os, sys, time; sys.stdin.read(); os.fork(); time.sleep(600)"]
    done: list[object] = []
    waiting = threading.Thread(target=lambda: done.append(run_captures(
        [CaptureJob(job_id="a", url="http://example.test/")], options, stall_seconds=0.5, command=forking)))
    waiting.start()
    waiting.join(timeout=30)
    # the child was stopped too: the output ended and the capture came back as failed
    assert done, "run_captures still waits for output the worker's child holds open"
    [[result]] = done  # type: ignore[misc]
    assert result.outcome == "failed" and "sent nothing" in (result.reason or "")
