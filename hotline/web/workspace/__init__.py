"""The analysts' workspace: queue, item pages with protected previews, assessment, audit log.

Server-rendered (Jinja2, autoescaped) and usable without JavaScript. `mount(web, hotline)` adds every
route under /workspace; each goes through `WorkspaceRoute` (login, CSRF on state changes, no-store).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from hotline.web.workspace import (
    account,
    admin,
    approvals,
    attention,
    discovery,
    hold,
    item,
    login,
    media,
    queue,
    recapture,
    reports,
    stats,
)
from hotline.web.workspace.base import PREFIX, Workspace, WorkspaceRoute

if TYPE_CHECKING:
    from hotline.app import Hotline


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, route_class=WorkspaceRoute, include_in_schema=False)
    # reports before item: /reports/new must not be read as the report "new"
    for area in (login, queue, reports, attention, approvals, item, hold, media, recapture, admin, account, stats,
                 discovery):
        area.register(router)
    return router


def mount(web: FastAPI, hotline: Hotline) -> None:
    web.state.workspace = Workspace.build(hotline)
    web.include_router(build_router())
    web.mount(f"{PREFIX}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="workspace-static")
