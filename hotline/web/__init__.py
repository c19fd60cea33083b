"""The web application: public report form, analyst workspace and partner API, on one FastAPI app.

Each area is a module exposing `mount(web, hotline)`: hotline.web.public (report form and status page),
hotline.web.api (partner and integration API under /api/v1 with its own OpenAPI document) and
hotline.web.workspace (the analysts' pages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from hotline.ops.endpoints import Operations, OpsEndpoints
from hotline.web.security import SecurityHeaders

if TYPE_CHECKING:
    from hotline.app import Hotline

def create_app(
    hotline: Hotline, on_new_work: Callable[[], None] | None = None, *, captures: bool = False
) -> FastAPI:
    """The web app; `captures`: this process runs captures, so readiness checks a capture worker starts."""
    web = FastAPI(title="hotline", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.hotline = hotline
    # Intake calls this after committing, so the background worker starts at once instead of polling.
    web.state.on_new_work = on_new_work or (lambda: None)
    # /healthz, /readyz, /metrics and request metrics, inside the security headers.
    web.state.ops = Operations(hotline, captures=captures)
    web.state.ops.start()
    web.add_middleware(OpsEndpoints, ops=web.state.ops)
    web.add_middleware(SecurityHeaders)

    @web.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/report", status_code=303)

    from hotline.web import api, public, workspace

    for area in (public, api, workspace):
        area.mount(web, hotline)
    return web
