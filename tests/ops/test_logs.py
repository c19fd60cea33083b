"""HOTLINE_LOG_LEVEL and HOTLINE_LOG_FORMAT, and no reported URL or reporter's address above DEBUG."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.logs import configure_logging

REPO = Path(__file__).resolve().parents[2]
URL = "http://galerie.sintetic-demo.ro/album/7?id=3"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_json_logs_are_one_object_per_line_with_extra_fields(restore_logging, capsys) -> None:  # type: ignore[no-untyped-def]
    configure_logging("INFO", "json")
    log = logging.getLogger("hotline.test")

    log.info("forward %s delivered", 17, extra={"forward_id": 17, "destination": "police-ro"})
    try:
        raise ValueError('a "quoted" problem')
    except ValueError:
        log.exception("it broke")

    first, second = _lines(capsys.readouterr().err)
    assert set(first) == {"time", "level", "logger", "message", "forward_id", "destination"}
    assert first["level"] == "INFO" and first["logger"] == "hotline.test"
    assert first["message"] == "forward 17 delivered" and first["forward_id"] == 17
    assert str(first["time"]).endswith("+00:00")
    assert second["level"] == "ERROR" and 'ValueError: a "quoted" problem' in str(second["exception"])


def test_the_level_drops_what_is_below_it(restore_logging, capsys) -> None:  # type: ignore[no-untyped-def]
    configure_logging("WARNING", "text")
    log = logging.getLogger("hotline.test")

    log.info("not shown")
    log.warning("shown")

    err = capsys.readouterr().err
    assert "not shown" not in err
    assert err.count("\n") == 1 and " WARNING hotline.test: shown" in err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_urls_are_masked_above_debug_and_kept_at_debug(restore_logging, capsys, fmt: str) -> None:  # type: ignore[no-untyped-def]
    configure_logging("DEBUG", fmt)
    log = logging.getLogger("scrapy.core.downloader")

    log.debug("fetching <GET %s>", URL)
    log.warning('Got data loss in "%s"', URL)
    try:
        raise ConnectionError(f"Max retries exceeded with url: {URL} (postgresql://u:pw@db/h)")
    except ConnectionError:
        log.exception("failed")

    err = capsys.readouterr().err
    lines = err.splitlines()
    assert URL in lines[0]
    assert URL not in "\n".join(lines[1:]) and "pw@db" not in err
    assert "<url>" in lines[1]
    if fmt == "json":
        assert [entry["level"] for entry in _lines(err)] == ["DEBUG", "WARNING", "ERROR"]


def test_a_failing_stage_logs_ids_not_the_reported_url(restore_logging, make_hotline, capfd) -> None:  # type: ignore[no-untyped-def]
    from hotline.executors.embedded import run_stage_once
    from hotline.executors.registry import Stage
    from hotline.models import UrlState
    from hotline.pipeline.intake import submit_report

    app = make_hotline()
    configure_logging("INFO", "json")
    with app.db.session() as session:
        submit_report(session, [URL])
    from tests.ops.failing_stage import explode

    stage = Stage("capture", UrlState.NEW, explode, batch=10, queue="capture")
    capfd.readouterr()  # what setting up logged (the migrations) is not this test's business

    run_stage_once(app, stage)

    err = capfd.readouterr().err
    [entry] = _lines(err)
    assert entry["message"] == "stage capture failed on URLs [1]"
    assert "Max retries exceeded with url: <url>" in str(entry["exception"])
    assert "galerie.sintetic-demo.ro" not in err


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize(("name", "bad", "said"), [
    ("HOTLINE_LOG_LEVEL", "LOUD", "'LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("HOTLINE_LOG_FORMAT", "xml", "'xml' is not text or json"),
    ("HOTLINE_METRICS_PORT", "70000", "70000 is not a port number from 0 to 65535"),
    ("HOTLINE_CAPTURE_CHECK_SECONDS", "0", "it must be greater than 0"),
])
def test_a_bad_logging_or_metrics_setting_is_one_line(tmp_path: Path, name: str, bad: str, said: str) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path / "var"), name: bad}

    done = _cli(env, "init")

    assert done.returncode == 2
    assert done.stderr == f"error: setting {name} is invalid: {said}\n"
