"""The JSON API under /api/v1: a FastAPI sub-application with its own OpenAPI document.

Routes come from the modules in ROUTER_MODULES, each exposing `router` (a fastapi.APIRouter); a module
that is not installed is skipped. Another area adds its routes by adding a module here (e.g. the triage
actions of issue 12 in `hotline.web.api.triage`), and uses the shared pieces in `hotline.web.api.auth`
(who is calling, with which roles) and `hotline.web.api.errors` (one error shape).

The sub-application is also on `web.state.api` and keeps `hotline` on its own `state`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    from hotline.app import Hotline

PREFIX = "/api/v1"
ROUTER_MODULES = ("hotline.web.api.reports", "hotline.web.api.feedback", "hotline.web.api.triage")
DESCRIPTION = """Partner hotlines send reports in the signed partner format, read their state and send
feedback (e.g. removed) about reports we forwarded to them.

Requests with a body are signed: `X-Hotline-Key-Id`, `X-Hotline-Timestamp` (Unix seconds) and
`X-Hotline-Signature` = `sha256=` + hex HMAC-SHA256(signing secret, timestamp + "." + body).
Reads accept either the API key (`Authorization: Bearer <key>`) or the same signature over an empty body.
"""


def create_api(hotline: Hotline) -> FastAPI:
    from hotline.web.api.errors import install_error_handlers
    from hotline.web.api.openapi import install_openapi

    api = FastAPI(title="hotline API", version="1", description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None)
    api.state.hotline = hotline
    api.state.on_new_work = lambda: None
    install_error_handlers(api)
    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        api.include_router(module.router)
    install_openapi(api)
    return api


def mount(web: FastAPI, hotline: Hotline) -> None:
    api = create_api(hotline)
    # Read the parent's hook at call time: the server may set it after the app is built.
    api.state.on_new_work = lambda: web.state.on_new_work()
    web.state.api = api
    web.mount(PREFIX, api)
