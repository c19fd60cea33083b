"""Run one stage over leased rows, renewing the lease while the stage works.

The lease can then be short (a killed worker's items come back quickly) without a long batch losing
its rows to another worker half way through.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update

from hotline.executors.leases import claim, release
from hotline.executors.registry import Stage
from hotline.models import ReportedUrl, utcnow
from hotline.ops.metrics import timed_stage

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)


class LeaseKeeper(threading.Thread):
    """Pushes `lease_until` forward for every row still held by `token`, until stopped or `give_up_after`."""

    def __init__(self, app: Hotline, token: str, lease: timedelta, give_up_after: float):
        super().__init__(name=f"lease-{token[:8]}", daemon=True)
        self.app = app
        self.token = token
        self.lease = lease
        self.deadline = time.monotonic() + give_up_after
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.2)
        while not self.stopping.wait(interval) and time.monotonic() < self.deadline:
            try:
                self.renew()
            except Exception:  # a missed renewal only risks a second worker doing the item: log, go on
                log.exception("could not renew lease %s", self.token)

    def renew(self) -> int:
        with self.app.db.session() as session:
            result = session.execute(
                update(ReportedUrl)
                .where(ReportedUrl.lease_owner == self.token)
                .values(lease_until=utcnow() + self.lease)
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def run_leased(
    app: Hotline,
    stage: Stage,
    *,
    limit: int,
    lease: timedelta,
    ids: list[int] | None = None,
    give_up_after: float = 3600.0,
) -> list[int]:
    """Lease up to `limit` rows waiting for `stage` (only `ids` if given), run it, return the ids taken."""
    with app.db.sessions() as session:
        token, taken = claim(session, stage.waits_in, limit=limit, lease=lease, ids=ids)
    if not taken:
        return []
    keeper = LeaseKeeper(app, token, lease, give_up_after)
    keeper.start()
    try:
        with timed_stage(stage.name, len(taken)):
            stage.run(app, token, taken)
    finally:
        keeper.stop()
        # What the stage did not move on is given back now rather than when the lease runs out.
        with app.db.sessions() as session:
            release(session, token)
    return taken
