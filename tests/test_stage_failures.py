"""A stage that fails on one URL records why, lets the others through, and stops retrying that one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hotline.executors.embedded import process_until_idle
from hotline.executors.registry import Stage
from hotline.models import MAX_STAGE_ATTEMPTS, ReportedUrl, UrlState
from hotline.pipeline.intake import submit_report

REPO = Path(__file__).resolve().parents[1]


def breaks_on_bad_urls(app, token: str, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    for url_id in ids:
        with app.db.session() as session:
            row = session.get(ReportedUrl, url_id)
            if row is None or not row.held_by(token, UrlState.NEW):
                continue
            if "bad" in row.url:
                raise ValueError(f"cannot handle {row.url}")
            row.advance(UrlState.CAPTURED)


FLAKY = Stage("capture", UrlState.NEW, breaks_on_bad_urls, batch=10, queue="capture")


def test_one_bad_url_does_not_hold_back_the_batch(hotline_db) -> None:
    with hotline_db.db.session() as session:
        submit_report(session, ["http://example.ro/bad", *[f"http://example.ro/good/{n}" for n in range(4)]])

    done = process_until_idle(hotline_db, (FLAKY,))

    with hotline_db.db.sessions() as session:
        rows = {row.url: row for row in session.query(ReportedUrl)}
    bad = rows.pop("http://example.ro/bad")
    assert all(row.state == UrlState.CAPTURED for row in rows.values())
    assert bad.state == UrlState.NEW and bad.stage_attempts >= MAX_STAGE_ATTEMPTS
    assert bad.state_reason == "capture failed: ValueError: cannot handle http://example.ro/bad"
    assert bad.lease_owner is None
    assert done["capture"] >= 5


def test_the_cli_names_urls_that_stopped_after_repeated_failures(tmp_path: Path) -> None:
    from hotline.app import Hotline
    from hotline.config import load_settings

    with Hotline(load_settings(data_dir=tmp_path)) as app:
        app.init()
        with app.db.session() as session:
            row = submit_report(session, ["http://example.ro/broken"]).urls[0]
            row.stage_attempts, row.state_reason = MAX_STAGE_ATTEMPTS, "capture failed: boom"
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(REPO / "cli.py"), "process", "--until-idle"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "stopped after repeated failures: URL 1 (new) http://example.ro/broken: capture failed: boom" in done.stderr
