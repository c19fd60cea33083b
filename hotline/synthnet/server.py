"""Threaded TCP/HTTP server plumbing shared by the farm, the private listener, the RDAP server and the proxy.

Every server runs in a daemon thread, binds a free port (port 0) and on stop closes the sockets of
connections still open, so handlers blocked in a read or a slow write end promptly.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from http.server import ThreadingHTTPServer
from typing import Any


class _ConnectionTracking:
    """Mix-in that remembers open connection sockets so stop() can cut them."""

    stopping: threading.Event
    _open: set[socket.socket]
    _open_lock: threading.Lock
    connections: int

    def _init_tracking(self) -> None:
        self.stopping = threading.Event()
        self._open = set()
        self._open_lock = threading.Lock()
        self.connections = 0  # every connection ever accepted (the private listener reports this)

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
            self.connections += 1
        try:
            super().finish_request(request, client_address)  # type: ignore[misc]
        finally:
            with self._open_lock:
                self._open.discard(request)

    def open_connections(self) -> int:
        with self._open_lock:
            return len(self._open)

    def cut_open_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the peer


class TrackingHTTPServer(_ConnectionTracking, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], handler: type, **context: Any) -> None:
        self._init_tracking()
        self.context = context
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients of a hostile farm hang up all the time: that is not worth a traceback."""


class TrackingTCPServer(_ConnectionTracking, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], handler: type, **context: Any) -> None:
        self._init_tracking()
        self.context = context
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """See TrackingHTTPServer.handle_error."""


class ServerThread:
    """Runs a socketserver in a daemon thread; stop() is idempotent and prompt."""

    def __init__(self, server: TrackingHTTPServer | TrackingTCPServer, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=name, daemon=True)

    @property
    def host(self) -> str:
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server.stopping.is_set():
            return
        self.server.stopping.set()
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.cut_open_connections()
        self.server.server_close()
        self._thread.join(timeout=5)
