"""Fixtures for the public form: a Hotline on SQLite (or both databases) served on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from fastapi import FastAPI
from public_support import UA_MARKER
from web_support import serving

from hotline.web import create_app


@pytest.fixture
def serve() -> Iterator[Callable[[FastAPI], str]]:
    """serve(web) -> base URL; every server stops when the test ends."""
    with ExitStack() as stack:
        yield lambda web: stack.enter_context(serving(web))


@pytest.fixture
def public_app(make_hotline):  # type: ignore[no-untyped-def]
    hotline = make_hotline()
    return hotline, create_app(hotline)


@pytest.fixture
def client_for() -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(base_url: str) -> httpx.Client:
        client = httpx.Client(base_url=base_url, headers={"User-Agent": UA_MARKER}, timeout=10)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
