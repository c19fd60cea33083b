"""A scale-out worker's admin listener: probes, and metrics its prefork children recorded."""

from __future__ import annotations

import json

import httpx
import pytest

from hotline.config import load_settings
from hotline.models import ReportedUrl, UrlState
from tests.ops.conftest import free_port
from tests.ops.metrics_support import value

from .scale_support import broker_or_skip, wait_until


@pytest.mark.postgres
def test_a_prefork_worker_serves_what_its_children_measured(pg_url, make_hotline, cluster_for) -> None:  # type: ignore[no-untyped-def]
    # Given: a worker with two prefork children and an admin listener, and a URL waiting for triage
    broker_url = broker_or_skip("redis")
    admin = f"http://127.0.0.1:{free_port()}"
    app = make_hotline(database_url=pg_url)
    with app.db.session() as session:
        row = ReportedUrl(url="http://a.example-synth.ro/", host="a.example-synth.ro", state=UrlState.LOCATED)
        session.add(row)
    cluster = cluster_for(pg_url, broker_url, {}, HOTLINE_METRICS_PORT=admin.rsplit(":", 1)[1],
                          HOTLINE_LOG_FORMAT="json")
    worker = cluster.worker("locate", concurrency=2)
    log = cluster.logs / "worker-0.log"
    wait_until(lambda: " ready." in log.read_text(), 60, "the worker to be ready", cluster.output)

    # When: the triage task for it runs in one of the children
    from hotline.executors.celery.app import make_celery
    from hotline.executors.celery.tasks import stage_task_name

    settings = load_settings(database_url=pg_url, broker_url=broker_url,
                             queue_prefix=cluster.env["HOTLINE_QUEUE_PREFIX"], data_dir=app.settings.data_dir)
    make_celery(settings).send_task(stage_task_name("triage"), kwargs={"ids": [row.id]})

    def triage_runs() -> float:  # counted when the run ends (its URLs are counted when it starts)
        return value(httpx.get(f"{admin}/metrics").text, "hotline_stage_seconds_count", stage="triage") or 0

    # Then: the parent's /metrics adds up what the child recorded; /readyz checks what a worker needs
    wait_until(lambda: triage_runs() == 1, 60, "the triage run to show in the worker's metrics", cluster.output)
    metrics = httpx.get(f"{admin}/metrics").text
    ready = httpx.get(f"{admin}/readyz")
    assert value(metrics, "hotline_stage_urls_total", stage="triage") == 1
    assert value(metrics, "hotline_urls", state="new") is None  # database figures are the web app's to serve
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "data_dir": "ok", "broker": "ok"}
    cluster.stop_all()
    assert worker.returncode == 0
    # No banner and no text lines while it runs. (When it stops, Celery prints a plain line on stdout and,
    # at times, billiard's pool a traceback of its own from an exit handler.)
    running = log.read_text().partition("worker: Warm shutdown (MainProcess)")[0]
    lines = [line for line in running.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)
