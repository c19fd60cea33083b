"""Shared fixtures: settings on a temporary data dir, SQLite and the real PostgreSQL, the synthetic internet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
POSTGRES_ADMIN_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# Tests must never pick up a developer's own settings.
for _name in list(os.environ):
    if _name.startswith("HOTLINE_"):
        del os.environ[_name]


def _postgres_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_ADMIN_URL)
    try:
        psycopg.connect(
            host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, connect_timeout=3
        ).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here": say why in the skip
        return f"PostgreSQL at {url.host}:{url.port} is not reachable ({exc.__class__.__name__})"
    return None


_PG_PROBLEM = _postgres_reachable()


def pytest_report_header(config: pytest.Config) -> str:
    return "postgresql: " + (f"SKIPPED, {_PG_PROBLEM}" if _PG_PROBLEM else f"using {POSTGRES_ADMIN_URL}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the real PostgreSQL server for this test session, dropped afterwards."""
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    from hotline.synthnet.scratch import scratch_database

    with scratch_database(POSTGRES_ADMIN_URL, prefix="hotline_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Runs a test once on the embedded SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
        return
    from hotline.synthnet.scratch import scratch_schema

    # One schema per test keeps tests independent without creating a database each time.
    with scratch_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def make_hotline(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build an initialised Hotline on a temporary data dir with the given settings."""
    from hotline.app import Hotline
    from hotline.config import load_settings

    made = []

    def build(**overrides):  # type: ignore[no-untyped-def]
        overrides.setdefault("data_dir", tmp_path / "var")
        app = Hotline(load_settings(**overrides))
        app.init()
        made.append(app)
        return app

    yield build
    for app in made:
        app.close()


@pytest.fixture
def hotline_db(make_hotline, database_url):  # type: ignore[no-untyped-def]
    """An initialised Hotline, once on SQLite and once on PostgreSQL."""
    return make_hotline(database_url=database_url)


@pytest.fixture
def live_server():  # type: ignore[no-untyped-def]
    """Serve a Hotline's web app with uvicorn on a free loopback port; yields a start(app) -> base URL."""
    from contextlib import ExitStack

    from web_support import serving

    from hotline.web import create_app

    with ExitStack() as stack:
        yield lambda app, **kwargs: stack.enter_context(serving(create_app(app, **kwargs)))


@pytest.fixture(scope="module")
def start_squid():  # type: ignore[no-untyped-def]
    """start_squid(hosts={name: address}, rules=[squid.conf lines]) -> a real Squid on loopback.

    Squid is Debian's (installed by `make test`); each one started is stopped after the test module.
    A Squid that is missing, will not start or cannot read its hosts_file fails the test (see
    tests/support/squid.py)."""
    from support.squid import Squid, SquidFailed

    yield from _daemons(Squid, SquidFailed)


@pytest.fixture
def start_dovecot():  # type: ignore[no-untyped-def]
    """start_dovecot(users={name: password}) -> a real Dovecot IMAP server on loopback (tests/support/dovecot.py).

    Debian's Dovecot, installed by `make test`; each one started is stopped after the test. One that is
    missing or will not start fails the test with one line saying what to do."""
    from support.dovecot import Dovecot, DovecotFailed

    yield from _daemons(Dovecot, DovecotFailed)


def _daemons(daemon: Any, failed: type[Exception]) -> Iterator[Any]:
    """A start(...) function for a fixture: each daemon it starts is cleaned up afterwards, and one that
    will not start fails the test with its one line."""
    started: list[Any] = []

    def start(*args: Any, **settings: Any) -> Any:
        server = daemon(*args, **settings)
        started.append(server)
        try:
            return server.start()
        except failed as failure:
            pytest.fail(str(failure), pytrace=False)

    yield start
    for server in started:
        server.cleanup()


CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any, impacts: tuple[str, ...] | None = ("serious", "critical")) -> list[str]:
    """What axe-core finds on the page (of these impacts; None: any), one 'rule (impact): targets' each.

    The page needs a context with bypass_csp=True: axe is injected by the test, not allowed by the page."""
    page.add_script_tag(path=str(AXE_JS))
    found: list[str] = page.evaluate(
        "async impacts => (await axe.run()).violations"
        ".filter(v => impacts === null || impacts.includes(v.impact))"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target).join(' | '))",
        list(impacts) if impacts is not None else None)
    return found


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright (installed by `make test`)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # Without these Chromium tries to reach Google's services, which this network refuses.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and other test artifacts land here (kept after the run)."""
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
