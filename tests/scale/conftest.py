"""Fixtures for the scale-out tests: real PostgreSQL, Redis and RabbitMQ, workers as subprocesses."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .scale_support import Cluster, delete_queues


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A schema of its own on the real PostgreSQL for one test."""
    from hotline.synthnet.scratch import scratch_schema

    with scratch_schema(postgres_url, prefix="s") as url:
        yield url


@pytest.fixture
def cluster_for(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    """cluster_for(database_url, broker_url, net) -> a Cluster whose processes stop after the test."""
    made: list[tuple[Cluster, str, str]] = []

    def build(database_url: str, broker_url: str, net_env: dict[str, str], **extra: str) -> Cluster:
        prefix = f"t{uuid.uuid4().hex[:8]}-"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "HOTLINE_DATA_DIR": str(tmp_path / "var"),
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_BROKER_URL": broker_url,
            "HOTLINE_QUEUE_PREFIX": prefix,  # this test's queues only, on a broker others may share
            "HOTLINE_LEASE_SECONDS": "3",  # renewed every second while a task works
            "HOTLINE_DISPATCH_SECONDS": "0.3",
            "HOTLINE_TASK_BATCH": "2",
            **net_env,
            **extra,
        }
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        cluster = Cluster(env, logs)
        made.append((cluster, broker_url, prefix))
        return cluster

    yield build
    for cluster, broker_url, prefix in made:
        cluster.stop_all()
        delete_queues(broker_url, prefix)


