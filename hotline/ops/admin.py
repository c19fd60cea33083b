"""The admin listener: /healthz, /readyz and /metrics on HOTLINE_METRICS_HOST:HOTLINE_METRICS_PORT.

`hotline serve`, `hotline worker` and `hotline scheduler` start one when HOTLINE_METRICS_PORT is set, in a
thread of their own, apart from the public listener. This is how Prometheus scrapes the workers of a
scale-out deployment: one target per `hotline worker` process, whose prefork children report through
prometheus-client's multiprocess mode (hotline.ops.metrics.enable_multiprocess).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING

import uvicorn

from hotline.config import SettingsError
from hotline.ops.endpoints import Operations, admin_app

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)


class AdminServer:
    def __init__(self, ops: Operations, sock: socket.socket):
        self.ops = ops
        self.socket = sock
        self.port: int = sock.getsockname()[1]
        config = uvicorn.Config(admin_app(ops), log_config=None, access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       name="hotline-admin", daemon=True)

    def start(self) -> None:
        self.ops.start()
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_admin_server(app: Hotline, ops: Operations) -> AdminServer | None:
    """Start the admin listener when HOTLINE_METRICS_PORT is set; a port in use is a one-line error."""
    settings = app.settings
    if settings.metrics_port is None:
        return None
    host, port = settings.metrics_host, settings.metrics_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        raise SettingsError(
            f"setting HOTLINE_METRICS_PORT is invalid: cannot listen on {host}:{port}: {exc.strerror}"
        ) from None
    server = AdminServer(ops, sock)
    server.start()
    log.info("admin listener (/healthz, /readyz, /metrics) on %s:%s", host, server.port)
    return server
