"""/healthz, /readyz and /metrics, as plain ASGI code in front of the web app (and on the admin listener).

Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs measurable CPU on every request: this
wrapper also times every other request for `hotline_http_requests` and `hotline_http_request_seconds`.

- /healthz: 200 while the process serves; looks at nothing else.
- /readyz: 200 {"status": "ready", "checks": {...}} or 503 {"status": "not ready", "checks": {...}}
  naming each failing check (hotline.ops.readiness).
- /metrics: Prometheus text format. With HOTLINE_METRICS_TOKEN set, only for `Authorization: Bearer
  <token>`. Without a token the web app's own listener does not serve it at all (404): behind a reverse
  proxy on the same host every visitor would look like a loopback client, so "loopback only" would
  open it to the world. The admin listener (HOTLINE_METRICS_PORT, on HOTLINE_METRICS_HOST, loopback by
  default) serves it without a token unless one is set.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from prometheus_client.exposition import choose_encoder

from hotline.ops.collector import PipelineCollector, collectors
from hotline.ops.metrics import HTTP_REQUESTS, HTTP_SECONDS, process_metrics
from hotline.ops.readiness import Readiness

if TYPE_CHECKING:
    from hotline.app import Hotline

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# First path segment -> area, for request metrics (a fixed, small set of label values).
_AREAS = {"api": "api", "workspace": "workspace", "static": "static", "report": "public", "ro": "public",
          "en": "public", "": "public"}


class Operations:
    """What the endpoints answer from: readiness checks and the metrics to expose."""

    def __init__(self, app: Hotline, *, captures: bool = False, pipeline_metrics: bool = True):
        self.token = app.settings.metrics_token
        self.readiness = Readiness(app, captures=captures)
        sources: list[Any] = [process_metrics()]
        if pipeline_metrics:
            sources.append(PipelineCollector(app))
        self.metrics = collectors(sources)

    def start(self) -> None:
        self.readiness.start()

    def authorised(self, scope: Scope, *, admin: bool) -> bool | None:
        """True: serve metrics; False: wrong or missing token (401); None: not served here (404)."""
        if self.token is None:
            return True if admin else None
        return hmac.compare_digest(_header(scope, b"authorization"), b"Bearer " + self.token.encode())


class OpsEndpoints:
    def __init__(self, app: ASGIApp, ops: Operations, admin: bool = False):
        self.app = app
        self.ops = ops
        self.admin = admin
        self.routes: dict[str, Callable[[Scope, Send], Awaitable[None]]] = {
            "/healthz": self.healthz, "/readyz": self.readyz, "/metrics": self.metrics,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self.routes.get(scope["path"])
        if route is None and self.admin:
            await self.app(scope, receive, send)
            return
        if route is not None:
            if scope["method"] not in ("GET", "HEAD"):
                await _respond(scope, send, 405, b"method not allowed\n", headers=[(b"allow", b"GET, HEAD")])
                return
            await route(scope, send)
            return
        await self.counted(scope, receive, send)

    async def healthz(self, scope: Scope, send: Send) -> None:
        await _json(scope, send, 200, {"status": "ok"})

    async def readyz(self, scope: Scope, send: Send) -> None:
        checks = await anyio.to_thread.run_sync(self.ops.readiness.report)
        ready = all(answer == "ok" for answer in checks.values())
        await _json(scope, send, 200 if ready else 503, {"status": "ready" if ready else "not ready",
                                                         "checks": checks})

    async def metrics(self, scope: Scope, send: Send) -> None:
        allowed = self.ops.authorised(scope, admin=self.admin)
        if allowed is None:
            await _respond(scope, send, 404, b"not found\n")
        elif not allowed:
            await _respond(scope, send, 401, b"metrics need the bearer token (HOTLINE_METRICS_TOKEN)\n",
                           headers=[(b"www-authenticate", b'Bearer realm="metrics"')])
        else:
            # Prometheus asks for OpenMetrics or the classic text format in Accept; answer in kind.
            encoder, content_type = choose_encoder(_header(scope, b"accept").decode("latin-1"))
            body = await anyio.to_thread.run_sync(encoder, self.ops.metrics)
            await _respond(scope, send, 200, body, content_type=content_type.encode())

    async def counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # when the app raises before it starts a response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            area = _AREAS.get(scope["path"].split("/", 2)[1], "other")
            if area == "workspace" and scope["path"].startswith("/workspace/static/"):
                area = "static"
            HTTP_REQUESTS.labels(area, str(status)).inc()
            HTTP_SECONDS.labels(area).observe(time.perf_counter() - started)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return b""


async def _json(scope: Scope, send: Send, status: int, body: dict[str, Any]) -> None:
    await _respond(scope, send, status, json.dumps(body).encode() + b"\n", content_type=b"application/json")


async def _respond(
    scope: Scope, send: Send, status: int, body: bytes, *, content_type: bytes = b"text/plain; charset=utf-8",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """The admin listener's answer to anything but the three endpoints."""
    if scope["type"] == "http":
        await _respond(scope, send, 404, b"not found\n")


def admin_app(ops: Operations) -> ASGIApp:
    return OpsEndpoints(not_found, ops, admin=True)
