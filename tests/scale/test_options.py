"""Scale-out settings and the `hotline worker` / `hotline scheduler` commands' errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import SettingsError, load_settings
from hotline.executors.celery import broker_configured, scale_options
from hotline.executors.celery.worker import parse_queues, worker_argv
from hotline.executors.registry import STAGE_BY_NAME

REPO = Path(__file__).resolve().parents[2]


def test_the_broker_url_switches_to_celery_and_the_rest_has_defaults() -> None:
    settings = load_settings(broker_url="redis://127.0.0.1:6379/0")

    options = scale_options(settings)

    assert broker_configured(settings) and not broker_configured(load_settings())
    assert options.broker_url == "redis://127.0.0.1:6379/0"
    assert options.result_backend is None
    assert options.lease.total_seconds() == 600
    assert options.queue(STAGE_BY_NAME["triage"].queue) == "locate"


def test_scale_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    monkeypatch.setenv("HOTLINE_LEASE_SECONDS", "2.5")
    monkeypatch.setenv("HOTLINE_QUEUE_PREFIX", "nl-")
    monkeypatch.setenv("HOTLINE_RESULT_BACKEND", "redis://127.0.0.1:6379/1")

    options = scale_options(load_settings())

    assert options.lease_seconds == 2.5
    assert options.queue(STAGE_BY_NAME["capture"].queue) == "nl-capture"
    assert options.result_backend == "redis://127.0.0.1:6379/1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "setting HOTLINE_BROKER_URL is missing"),
        ({"HOTLINE_BROKER_URL": "http://user:secret@broker/"}, "HOTLINE_BROKER_URL is invalid: http://"),
        ({"HOTLINE_BROKER_URL": "redis://x", "HOTLINE_LEASE_SECONDS": "soon"}, "HOTLINE_LEASE_SECONDS is invalid"),
        ({"HOTLINE_BROKER_URL": "redis://x", "HOTLINE_TASK_BATCH": "0"}, "HOTLINE_TASK_BATCH is invalid"),
        ({"HOTLINE_BROKER_URL": "redis://x", "HOTLINE_RESULT_BACKEND": "rpc://"}, "HOTLINE_RESULT_BACKEND"),
    ],
)
def test_a_bad_scale_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as caught:
        scale_options(load_settings())

    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_worker_arguments_name_the_prefixed_queues_and_the_pool(make_hotline, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_QUEUE_PREFIX", "ro-")
    app = make_hotline(broker_url="redis://127.0.0.1:6379/0")

    single = worker_argv(app, parse_queues("capture"), concurrency=1, pool=None)
    several = worker_argv(app, parse_queues("fingerprint,locate"), concurrency=4, pool=None)

    assert "--queues=ro-capture" in single and "--pool=solo" in single
    assert "--queues=ro-fingerprint,ro-locate" in several and "--pool=prefork" in several
    with pytest.raises(SettingsError, match="unknown queue triage"):
        parse_queues("capture,triage")


def test_every_stage_and_job_is_a_function_on_a_queue_a_worker_can_consume() -> None:
    from hotline.executors.registry import JOBS, QUEUES, STAGES

    for stage in STAGES:
        assert callable(stage.run) and stage.queue in QUEUES and stage.batch > 0
    for job in JOBS:
        # A job's name becomes its Celery task function's name.
        assert callable(job.run) and job.queue in QUEUES and job.name.isidentifier() and job.every_seconds > 0
    assert parse_queues(",".join(QUEUES)) == list(QUEUES)


@pytest.mark.parametrize("command", [["worker"], ["scheduler"], ["worker", "--queues", "everything"]])
def test_the_commands_refuse_to_start_without_a_usable_setup(tmp_path: Path, command: list[str]) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path / "var")}
    if command[-1] == "everything":
        env["HOTLINE_BROKER_URL"] = "redis://127.0.0.1:6379/0"

    done = subprocess.run([sys.executable, str(REPO / "cli.py"), *command], env=env, capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert ("unknown queue everything" if command[-1] == "everything" else "HOTLINE_BROKER_URL") in lines[0]
