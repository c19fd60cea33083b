"""/healthz and /readyz over real HTTP: ready when everything works, and each reason for not being ready."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from hotline.ops.readiness import CachedCheck

from .conftest import closed_port, wait_for


def _ready(base: str) -> httpx.Response:
    return httpx.get(f"{base}/readyz", timeout=30)


def test_a_working_hotline_is_alive_and_ready(hotline_db, live_server) -> None:  # type: ignore[no-untyped-def]
    base = live_server(hotline_db)

    health = httpx.get(f"{base}/healthz")
    ready = _ready(base)

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "data_dir": "ok"}}
    assert ready.headers["cache-control"] == "no-store"
    assert httpx.post(f"{base}/readyz").status_code == 405


def test_healthz_answers_when_the_database_is_gone_and_readyz_says_so(make_hotline, tmp_path, live_server) -> None:  # type: ignore[no-untyped-def]
    from hotline.app import Hotline
    from hotline.config import load_settings

    password = "s3cret-do-not-show"
    app = Hotline(load_settings(data_dir=tmp_path / "var",
                                database_url=f"postgresql+psycopg://hotline:{password}@127.0.0.1:{closed_port()}/h"))
    (tmp_path / "var" / "evidence").mkdir(parents=True)
    base = live_server(app)

    health = httpx.get(f"{base}/healthz")
    ready = _ready(base)

    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "checks": {"database": "database unreachable", "data_dir": "ok"}}
    assert password not in ready.text
    app.close()


def test_a_database_without_the_schema_is_not_ready_until_hotline_init(database_url, tmp_path, live_server) -> None:  # type: ignore[no-untyped-def]
    from hotline.app import Hotline
    from hotline.config import load_settings

    app = Hotline(load_settings(data_dir=tmp_path / "var", database_url=database_url))
    (tmp_path / "var" / "evidence").mkdir(parents=True)
    base = live_server(app)

    before = _ready(base)
    app.init()
    after = _ready(base)

    assert before.status_code == 503
    assert before.json()["checks"]["database"] == "database not migrated: run `hotline init`"
    assert after.status_code == 200
    app.close()


def test_a_schema_newer_than_this_hotline_asks_for_an_upgrade(hotline_db, live_server) -> None:  # type: ignore[no-untyped-def]
    with hotline_db.db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    base = live_server(hotline_db)

    ready = _ready(base)

    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == (
        "database schema is newer than this version of hotline: upgrade hotline"
    )


def test_an_evidence_dir_that_takes_no_files_is_not_ready(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    # Tests run as root, whom file modes do not stop: a file where the directory should be stops everyone.
    app = make_hotline()
    evidence = app.settings.evidence_dir
    evidence.rmdir()
    evidence.write_text("not a directory")
    base = live_server(app)

    ready = _ready(base)

    assert ready.status_code == 503
    assert ready.json()["checks"]["data_dir"] == "data dir (evidence/) not writable: Not a directory"


def test_a_data_dir_never_initialised_is_not_ready(postgres_url, tmp_path, live_server) -> None:  # type: ignore[no-untyped-def]
    from hotline.app import Hotline
    from hotline.config import load_settings
    from hotline.synthnet.scratch import scratch_schema

    with scratch_schema(postgres_url) as url:
        app = Hotline(load_settings(data_dir=tmp_path / "nowhere", database_url=url))
        app.db.upgrade()
        base = live_server(app)

        ready = _ready(base)

        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": "ok",
                                          "data_dir": "data dir (evidence/) not writable: No such file or directory"}
        app.close()


def test_a_configured_broker_that_does_not_answer_is_not_ready(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    password = "broker-pass-do-not-show"
    app = make_hotline(broker_url=f"amqp://hotline:{password}@127.0.0.1:{closed_port()}//")
    base = live_server(app)

    ready = _ready(base)

    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"] == "broker unreachable"
    assert password not in ready.text


def test_a_broker_that_answers_is_ready(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    from tests.scale.scale_support import broker_or_skip

    app = make_hotline(broker_url=broker_or_skip("redis"))
    base = live_server(app)

    ready = _ready(base)

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["broker"] == "ok"


def test_a_process_that_captures_is_ready_once_a_capture_worker_started(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    base = live_server(make_hotline(), captures=True)

    # The first check runs in the background at start-up; until it answers, the process is not ready.
    ready = wait_for(lambda: (r := _ready(base)).status_code == 200 and r, 120, "the capture worker check")

    assert ready.json()["checks"]["capture_worker"] == "ok"  # type: ignore[attr-defined]


def test_a_capture_worker_that_cannot_start_makes_the_process_not_ready(  # type: ignore[no-untyped-def]
    make_hotline, live_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A broken installation: the capture worker's Scrapy does not import.
    broken = tmp_path / "broken"
    (broken / "scrapy").mkdir(parents=True)
    (broken / "scrapy" / "__init__.py").write_text("raise ImportError('scrapy is broken on this host')\n")
    monkeypatch.setenv("PYTHONPATH", str(broken))
    base = live_server(make_hotline(), captures=True)

    answer = wait_for(
        lambda: (r := _ready(base).json()["checks"]["capture_worker"]) != CachedCheck.PENDING and r,
        120, "the capture worker check",
    )

    assert str(answer).startswith("capture worker cannot start: it exited with status 1")
    assert "scrapy is broken on this host" in str(answer)
    assert _ready(base).status_code == 503


def test_the_slow_check_runs_once_however_often_it_is_asked() -> None:
    calls: list[int] = []

    def slow_check() -> None:
        calls.append(1)

    cached = CachedCheck(slow_check, every=3600)

    first = cached.current()
    wait_for(lambda: cached.current() is None, 10, "the first check")
    for _ in range(50):
        cached.current()

    assert first == CachedCheck.PENDING
    assert len(calls) == 1


def test_a_failing_slow_check_is_retried_sooner_than_a_passing_one() -> None:
    calls: list[int] = []

    def failing() -> str:
        calls.append(1)
        return "broken"

    cached = CachedCheck(failing, every=3600, retry=0.0)

    wait_for(lambda: cached.current() == "broken", 10, "the first check")
    wait_for(lambda: cached.current() == "broken" and len(calls) >= 3, 10, "checks again")

    assert len(calls) >= 3


@pytest.mark.skipif(sys.platform != "linux", reason="uses Linux errno wording")
def test_readiness_names_every_failing_check_at_once(make_hotline, live_server) -> None:  # type: ignore[no-untyped-def]
    app = make_hotline(broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    app.settings.evidence_dir.rmdir()
    app.settings.evidence_dir.write_text("")
    with app.db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    base = live_server(app)

    checks = _ready(base).json()["checks"]

    assert checks == {
        "database": "database not migrated: run `hotline init`",
        "data_dir": "data dir (evidence/) not writable: Not a directory",
        "broker": "broker unreachable",
    }
