"""`hotline serve` as an operator runs it: JSON logs, probes and metrics on the admin listener, and a
reporter's URL and address kept out of the logs while the whole pipeline runs."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hotline.synthnet import SyntheticInternet

from .conftest import free_port, wait_for
from .metrics_support import value

REPO = Path(__file__).resolve().parents[2]
HOST = "galerie.sintetic-demo.ro"
REPORTED = f"http://{HOST}/album/private-7"
REPORTER_IP = "203.0.113.77"  # documentation range; only ever a header value here, never contacted


@pytest.fixture(scope="module")
def net() -> Iterator[SyntheticInternet]:
    with SyntheticInternet(default_sites=False) as running:
        running.add_host(HOST, country="RO")
        running.add_page(HOST, "/album/private-7", html="<html><body><img src='/i/1.png' alt=''></body></html>")
        running.add_image(HOST, "/i/1.png", seed=7)
        yield running


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(tmp_path)),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "HOTLINE_DATA_DIR": str(tmp_path / "var"), **extra}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """`hotline init`, then `hotline serve` on a free loopback port until the block ends."""
    assert _cli(env, "init").returncode == 0
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "cli.py"), "serve", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, f"serve exited: {log.read_text()}"
        try:
            return httpx.get(f"{base}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, 60, "hotline serve to answer")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _report(base: str, url: str) -> None:
    """Send the public form as a browser behind the trusted reverse proxy would."""
    headers = {"X-Forwarded-For": REPORTER_IP}
    with httpx.Client(base_url=base, headers=headers) as client:
        page = client.get("/en/report")
        fields = {name: found.group(1) for name in ("csrf_token", "submission")
                  if (found := re.search(rf'name="{name}" value="([^"]+)"', page.text))}
        done = client.post("/en/report", data={**fields, "urls": url, "category": "csam", "description": "",
                                               "contact": "", "consent": "yes", "website": ""})
    assert done.status_code == 200 and 'id="reference"' in done.text, done.text[:500]


def test_serve_runs_the_pipeline_with_json_logs_free_of_reported_urls_and_addresses(  # type: ignore[no-untyped-def]
    net, tmp_path: Path
) -> None:
    admin = free_port()
    env = _env(tmp_path, **net.env(), HOTLINE_LOG_FORMAT="json", HOTLINE_LOG_LEVEL="INFO",
               HOTLINE_METRICS_PORT=str(admin), HOTLINE_TRUSTED_PROXIES="127.0.0.1/32")
    log = tmp_path / "serve.log"
    admin_base = f"http://127.0.0.1:{admin}"

    with serving(env, log) as base:
        _report(base, REPORTED)
        # The embedded executor takes it through capture, fingerprint, locate and triage.
        wait_for(lambda: value(httpx.get(f"{admin_base}/metrics").text, "hotline_urls", state="triaged") == 1,
                 120, "the reported URL to be triaged")
        metrics = httpx.get(f"{admin_base}/metrics").text
        ready = wait_for(lambda: (r := httpx.get(f"{admin_base}/readyz")).status_code == 200 and r, 60, "ready")
        public_metrics = httpx.get(f"{base}/metrics")
        elsewhere = httpx.get(f"{admin_base}/report")

    assert ready.json()["checks"] == {"database": "ok", "data_dir": "ok", "capture_worker": "ok"}  # type: ignore[attr-defined]
    assert public_metrics.status_code == 404  # no token: only the admin listener serves metrics
    assert elsewhere.status_code == 404
    for stage in ("capture", "fingerprint", "locate", "triage"):
        assert (value(metrics, "hotline_stage_urls_total", stage=stage) or 0) >= 1, stage
    assert value(metrics, "hotline_captures", purpose="report", outcome="ok") == 1
    assert value(metrics, "hotline_http_requests_total", area="public", status="200") == 2

    text = log.read_text()
    entries = [json.loads(line) for line in text.splitlines()]  # every line, also uvicorn's and Celery's
    assert entries and all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any("serving on 127.0.0.1" in str(entry["message"]) for entry in entries)
    assert REPORTER_IP not in text
    assert HOST not in text and "private-7" not in text


def test_an_admin_port_in_use_stops_serve_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = _env(tmp_path, HOTLINE_METRICS_PORT=str(port))
        assert _cli(env, "init").returncode == 0

        done = _cli(env, "serve", "--port", str(free_port()))

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: setting HOTLINE_METRICS_PORT is invalid: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Traceback" not in done.stderr
