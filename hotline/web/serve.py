"""`hotline serve`: the web application plus the embedded background executor."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

from hotline.executors.embedded import BackgroundWorker
from hotline.ops.admin import start_admin_server

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)


def serve(app: Hotline, *, host: str, port: int, background: bool = True) -> None:
    from hotline.executors.celery import broker_configured
    from hotline.web import create_app

    # With a broker the Celery workers and scheduler do the background work, on whatever hosts run them.
    worker = BackgroundWorker(app) if background and not broker_configured(app.settings) else None
    web = create_app(app, on_new_work=worker.wake.set if worker else None, captures=worker is not None)
    admin = start_admin_server(app, web.state.ops)
    if worker:
        worker.start()
    # uvicorn shuts down gracefully on SIGTERM, then raises it again, which by default kills the process
    # before the finally below stops the background worker and releases its resources: exit normally.
    signal.signal(signal.SIGTERM, _exit_normally)
    try:
        trusted = app.settings.trusted_proxies
        log.info("serving on %s:%s (%s)", host, port, "with the embedded executor" if worker else "web only")
        # No access log: it would record reporters' addresses, which the product promises not to keep.
        # No log config of uvicorn's own: its lines go through hotline.logs like everything else.
        uvicorn.run(web, host=host, port=port, log_config=None, access_log=False,
                    proxy_headers=bool(trusted), forwarded_allow_ips=",".join(trusted) or None)
    finally:
        if admin:
            admin.stop()
        if worker:
            worker.stop()
            worker.join(timeout=30)


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
