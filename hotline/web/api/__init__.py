"""The JSON API under /api/v1: a FastAPI sub-application with its own OpenAPI document.

Routes come from the modules listed in `create_api` (reports, feedback, triage, hashes, schema), each
exposing `router`
(a fastapi.APIRouter); a new group of routes is one module here plus its name in that list, using the
shared pieces in `hotline.web.api.auth` (who is calling, with which roles) and `hotline.web.api.errors`
(one error shape).

The sub-application is also on `web.state.api` and keeps `hotline` on its own `state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
from fastapi import FastAPI

if TYPE_CHECKING:
    from hotline.app import Hotline

PREFIX = "/api/v1"
DESCRIPTION = """Partner hotlines send reports in the signed partner format, read their state and send
feedback (e.g. removed) about reports we forwarded to them; partners with the hashes role download hash
lists. The partner payload's JSON Schema is at /api/v1/schema/partner-payload.json.

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
    # Threads that may run submissions at once. SQLite takes one writer at a time: more threads would
    # only wait for its lock and fight over the interpreter lock meanwhile (measured: a fifth more CPU
    # per submission at 8 concurrent partners, see bench/RESULTS.md).
    api.state.intake_limiter = anyio.CapacityLimiter(1 if hotline.db.engine.dialect.name == "sqlite" else 16)
    install_error_handlers(api)
    from hotline.web.api import feedback, hashes, reports, schema, triage

    for module in (reports, feedback, triage, hashes, schema):
        api.include_router(module.router)
    install_openapi(api)
    return api


def mount(web: FastAPI, hotline: Hotline) -> None:
    api = create_api(hotline)
    # Read the parent's hook at call time: the server may set it after the app is built.
    api.state.on_new_work = lambda: web.state.on_new_work()
    web.state.api = api
    web.mount(PREFIX, api)
