"""`hotline serve`: the web application plus the embedded background executor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import uvicorn

from hotline.background import BackgroundWorker

if TYPE_CHECKING:
    from hotline.app import Hotline


def serve(app: Hotline, *, host: str, port: int, background: bool = True) -> None:
    from hotline.scale import broker_configured
    from hotline.web import create_app

    # With a broker the Celery workers and scheduler do the background work, on whatever hosts run them.
    worker = BackgroundWorker(app) if background and not broker_configured(app.settings) else None
    web = create_app(app, on_new_work=worker.wake.set if worker else None)
    if worker:
        worker.start()
    try:
        trusted = app.settings.trusted_proxies
        # No access log: it would record reporters' addresses, which the product promises not to keep.
        uvicorn.run(web, host=host, port=port, log_level="info", access_log=False,
                    proxy_headers=bool(trusted), forwarded_allow_ips=",".join(trusted) or None)
    finally:
        if worker:
            worker.stop()
            worker.join(timeout=30)
