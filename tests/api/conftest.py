"""Fixtures for the partner API: a hotline (SQLite and PostgreSQL) served on loopback with one partner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_support import add_partner
from web_support import serving

from hotline.web import create_app


@pytest.fixture
def api_on(hotline_db) -> Iterator[tuple[Any, httpx.Client, Any]]:  # type: ignore[no-untyped-def]
    """(hotline, client, partner credentials) on SQLite and on PostgreSQL."""
    creds = add_partner(hotline_db)
    with serving(create_app(hotline_db)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield hotline_db, client, creds


@pytest.fixture
def api_sqlite(make_hotline) -> Iterator[tuple[Any, httpx.Client, Any]]:  # type: ignore[no-untyped-def]
    hotline = make_hotline()
    creds = add_partner(hotline)
    with serving(create_app(hotline)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield hotline, client, creds
