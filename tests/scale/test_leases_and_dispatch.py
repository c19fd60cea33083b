"""Leased stage runs and the dispatcher, in-process on the real PostgreSQL (and Redis for dispatch)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest

from hotline.executors.celery.leased import run_leased
from hotline.executors.leases import claim
from hotline.executors.registry import STAGE_BY_NAME, Stage
from hotline.models import ReportedUrl, UrlState, utcnow

from .scale_support import broker_or_skip, delete_queues, wait_until


def recording_stage(waits_in: UrlState, batch: int, seen: list[int], seconds: float = 0.0) -> Stage:
    """A stage that notes which rows it worked on, takes its time, and moves them on."""

    def work(app, token: str, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
        time.sleep(seconds)  # stands for a slow capture, not a wait for something
        for url_id in ids:
            with app.db.session() as session:
                row = session.get(ReportedUrl, url_id)
                if row is not None and row.held_by(token, UrlState.LOCATED):
                    seen.append(url_id)
                    row.advance(UrlState.TRIAGED)

    return Stage("triage", waits_in, work, batch=batch, queue="locate")


def _located_rows(app, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        rows = [ReportedUrl(url=f"http://h{n}.example-synth.ro/{uuid.uuid4().hex}", host=f"h{n}.example-synth.ro",
                            state=UrlState.LOCATED) for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


@pytest.mark.postgres
def test_two_workers_racing_for_the_same_rows_never_share_one(pg_url, make_hotline) -> None:  # type: ignore[no-untyped-def]
    # Given: 40 rows waiting and two workers asking for them at the same moment
    app = make_hotline(database_url=pg_url)
    ids = _located_rows(app, 40)
    seen: list[int] = []
    stage = recording_stage(UrlState.LOCATED, batch=200, seconds=0.2, seen=seen)
    taken: list[list[int]] = []
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        while batch := run_leased(app, stage, limit=5, lease=timedelta(seconds=30)):
            taken.append(batch)

    # When
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then: every row was worked on exactly once
    assert sorted(seen) == sorted(ids)
    assert sorted(i for batch in taken for i in batch) == sorted(ids)
    assert len(taken) >= 8


@pytest.mark.postgres
def test_a_running_stage_keeps_its_lease_past_the_lease_duration(pg_url, make_hotline) -> None:  # type: ignore[no-untyped-def]
    # Given: a stage that works three times longer than the lease
    app = make_hotline(database_url=pg_url)
    (row_id,) = _located_rows(app, 1)
    seen: list[int] = []
    slow = recording_stage(UrlState.LOCATED, batch=1, seconds=1.5, seen=seen)
    running = threading.Thread(target=run_leased, args=(app, slow),
                               kwargs={"limit": 1, "lease": timedelta(seconds=0.5)})
    running.start()
    with app.db.sessions() as session:

        def lease_until():  # type: ignore[no-untyped-def]
            return session.get(ReportedUrl, row_id, populate_existing=True).lease_until  # type: ignore[union-attr]

        wait_until(lambda: lease_until() is not None, 10, "the slow stage to take the row")
        first_until = lease_until()

        # When: the first lease has run out by the clock and another worker asks for the row
        wait_until(lambda: utcnow() > first_until, 10, "the first lease to end")
        _, stolen = claim(session, UrlState.LOCATED, limit=10, lease=timedelta(seconds=5), ids=[row_id])
    running.join(timeout=30)

    # Then: it gets nothing, and the first worker finished the row
    assert stolen == []
    assert seen == [row_id]


@pytest.mark.postgres
def test_the_rows_of_a_dead_worker_are_taken_again_once_its_lease_runs_out(pg_url, make_hotline) -> None:  # type: ignore[no-untyped-def]
    # Given: a worker that claimed a row and died (no release, no renewal)
    app = make_hotline(database_url=pg_url)
    (row_id,) = _located_rows(app, 1)
    with app.db.sessions() as session:
        _, dead = claim(session, UrlState.LOCATED, limit=1, lease=timedelta(seconds=0.3))
    assert dead == [row_id]
    seen: list[int] = []
    stage = recording_stage(UrlState.LOCATED, batch=1, seen=seen)

    # When / Then: nothing to take while the lease holds; the row once it ran out; nothing after that
    assert run_leased(app, stage, limit=1, lease=timedelta(seconds=5)) == []
    wait_until(lambda: bool(run_leased(app, stage, limit=1, lease=timedelta(seconds=5))), 10,
               "the expired lease to free the row")
    assert seen == [row_id]
    assert run_leased(app, stage, limit=1, lease=timedelta(seconds=5), ids=[row_id]) == []


@pytest.mark.postgres
def test_dispatch_queues_one_task_per_batch_and_does_not_pile_up(pg_url, make_hotline, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hotline.executors.celery.app import make_celery
    from hotline.executors.celery.options import scale_options
    from hotline.executors.celery.scheduler import dispatch, queue_depth

    # Given: five new URLs, three fingerprinted ones, and batches of two
    broker_url = broker_or_skip("redis")
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    monkeypatch.setenv("HOTLINE_QUEUE_PREFIX", prefix)
    monkeypatch.setenv("HOTLINE_TASK_BATCH", "2")
    app = make_hotline(database_url=pg_url, broker_url=broker_url)
    options = scale_options(app.settings)
    celery = make_celery(app.settings, app)
    with app.db.session() as session:
        for n in range(8):
            state = UrlState.NEW if n < 5 else UrlState.FINGERPRINTED
            session.add(ReportedUrl(url=f"http://d{n}.example-synth.ro/", host=f"d{n}.example-synth.ro", state=state))
    try:
        # When: the scheduler looks twice
        first = dispatch(app, celery, options)
        second = dispatch(app, celery, options)

        # Then: ceil(5/2) capture tasks and ceil(3/2) locate tasks, and not again while they wait
        assert first == {"capture": 3, "locate": 2}
        assert second == {}
        assert queue_depth(celery, options.queue("capture")) == 3
        assert queue_depth(celery, options.queue("locate")) == 2
        assert queue_depth(celery, options.queue("fingerprint")) == 0
    finally:
        delete_queues(broker_url, prefix)


def test_the_stage_tasks_are_the_embedded_stages() -> None:
    from hotline.executors.celery.tasks import NEXT_STAGE

    assert [stage.name for stage in NEXT_STAGE.values()] == ["fingerprint", "locate", "triage"]
    assert NEXT_STAGE["capture"] is STAGE_BY_NAME["fingerprint"]


@pytest.mark.postgres
def test_the_scheduler_queues_a_job_once_per_interval(pg_url, make_hotline, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hotline.executors.celery.app import make_celery
    from hotline.executors.celery.options import scale_options
    from hotline.executors.celery.scheduler import Scheduler, queue_depth

    # Given: the registry's jobs (forward delivery every 15 s, monitoring every 60 s) and a scheduler
    broker_url = broker_or_skip("redis")
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    monkeypatch.setenv("HOTLINE_QUEUE_PREFIX", prefix)
    app = make_hotline(database_url=pg_url, broker_url=broker_url)
    options = scale_options(app.settings)
    celery = make_celery(app.settings, app)
    scheduler = Scheduler(app, celery, options)
    try:
        # When: it ticks twice
        scheduler.tick()
        scheduler.tick()

        # Then: each job was queued once, on its own queue
        assert queue_depth(celery, options.queue("forward")) == 1
        assert queue_depth(celery, options.queue("monitor")) == 1
    finally:
        delete_queues(broker_url, prefix)
