"""`hotline worker` and `hotline scheduler`: the scale-out executor (Celery; Redis or RabbitMQ).

Set HOTLINE_DATABASE_URL=postgresql+psycopg://... and HOTLINE_BROKER_URL=redis://... (or amqp://...),
run `hotline scheduler` once and `hotline worker` on as many machines as needed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, soft_wrap=True)


def worker(
    queues: Annotated[
        str, typer.Option(help="Comma-separated queues to consume: capture,fingerprint,locate,forward,monitor.")
    ] = "capture,fingerprint,locate,forward,monitor",
    concurrency: Annotated[int, typer.Option(min=1, help="Tasks run at once in this worker.")] = 1,
    pool: Annotated[
        str | None, typer.Option(help="prefork, solo or threads (default: solo for 1, prefork above).")
    ] = None,
) -> None:
    """Run a Celery worker for the pipeline stages and jobs (scale-out executor)."""
    from hotline.commands import require_data_files, state
    from hotline.config import SettingsError
    from hotline.executors.celery.worker import parse_queues, run_worker

    try:
        chosen = parse_queues(queues)
        _check_broker()
        with state.hotline() as hl:
            require_data_files(hl)
            _warn_if_sqlite(hl.db.url)
            run_worker(hl, chosen, concurrency, pool)
    except SettingsError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None


def scheduler() -> None:
    """Queue stage tasks for waiting rows and run periodic jobs (run one per deployment)."""
    from hotline.commands import require_data_files, state
    from hotline.config import SettingsError
    from hotline.executors.celery.worker import run_scheduler

    try:
        _check_broker()
        with state.hotline() as hl:
            require_data_files(hl)
            _warn_if_sqlite(hl.db.url)
            run_scheduler(hl)
    except SettingsError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None


def _check_broker() -> None:
    """The scale-out settings first: without a broker nothing else about the set-up matters yet."""
    from hotline.commands import state
    from hotline.config import load_settings
    from hotline.executors.celery import scale_options

    scale_options(load_settings(state.config))


def _warn_if_sqlite(url: str) -> None:
    if url.startswith("sqlite"):
        err.print("warning: SQLite works for workers on this machine only; use PostgreSQL across machines")


COMMANDS = [worker, scheduler]
