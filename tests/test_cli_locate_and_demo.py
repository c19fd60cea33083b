"""`hotline locate` and `hotline demo` on the synthetic internet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hotline.synthnet import SyntheticInternet

REPO = Path(__file__).resolve().parents[1]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_locate_prints_the_hosting_record_without_creating_a_report(tmp_path: Path) -> None:
    with SyntheticInternet() as net:
        env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path), **net.env()}
        assert _run(env, "init").returncode == 0
        done = _run(env, "locate", next(iter(net.sites)), "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["country"] == "RO" and record["ips"] and record["abuse_email"]
    assert record["sources"]["country"] == "rdap"


def test_locate_refuses_garbage_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path)}
    done = _run(env, "locate", "javascript:alert(1)")
    assert done.returncode == 2 and "only http and https" in done.stderr


def test_demo_runs_the_whole_path_and_prints_it(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "COLUMNS": "200"}
    done = _run(env, "demo", "--data-dir", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "report HL-" in done.stdout
    assert "police-ro" in done.stdout
