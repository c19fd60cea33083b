"""Periodic evidence jobs, for both executors: re-sealing after a key rotation, automatic retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hotline import background
from hotline.evidence import reseal
from hotline.models import Setting, utcnow

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(hours=1)
RETENTION_LAST_RUN = "evidence_retention_last_run"


def retention_job(app: Hotline) -> int:
    """With HOTLINE_RETENTION_DAYS set, purge what retention lets go, at most once an hour."""
    days = app.settings.retention_days
    if not days:
        return 0
    now = utcnow()
    with app.db.session() as session:
        row = session.get(Setting, RETENTION_LAST_RUN, with_for_update=True)
        if row is not None and now - datetime.fromisoformat(row.value["at"]) < RETENTION_EVERY:
            return 0
        if row is None:
            session.add(Setting(name=RETENTION_LAST_RUN, value={"at": now.isoformat()}))
        else:
            row.value = {"at": now.isoformat()}
    from hotline.evidence.retention import purge

    result = purge(app, days, app.settings.retention_states, actor="retention", now=now)
    if result.captures:
        log.info("retention purged the evidence of %d captures", result.captures)
    return result.captures


background.register("evidence_reseal", reseal.background_job)
background.register("evidence_retention", retention_job)
