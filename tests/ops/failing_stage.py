"""A stage that fails the way library code does: with the reported URL in its exception message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.models import ReportedUrl


def explode(app: Any, token: str, ids: list[int]) -> None:
    with app.db.sessions() as session:
        url = session.scalar(select(ReportedUrl.url).where(ReportedUrl.id == ids[0]))
    raise ConnectionError(f"HTTPConnectionPool: Max retries exceeded with url: {url}")
