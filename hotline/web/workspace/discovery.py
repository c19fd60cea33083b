"""Discovery in the workspace: supervisors list crawls, start one from an item, stop one, and pause them
all; the item page shows "N URLs found, M matched" and the matched pages with their reasons.

A crawl started here is queued; the background worker (or a worker on the discovery queue) runs it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from hotline.errors import Refused
from hotline.pipeline.discovery.jobs import (
    cancel_job,
    default_limits,
    discovery_paused,
    set_discovery_paused,
    start_job,
)
from hotline.pipeline.discovery.views import jobs_view
from hotline.web.workspace.base import PREFIX, RowId, redirect, workspace_of
from hotline.web.workspace.item import load_row


def _limit(text: str, name: str, low: int, high: int) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise Refused(f"the {name} must be a whole number from {low} to {high}")
    return int(text)


def register(router: APIRouter) -> None:
    @router.get("/discovery")
    def crawls(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session, role="supervisor")
            return ws.page(request, "discovery.html", jobs=jobs_view(session), paused=discovery_paused(session),
                           enabled=ws.hotline.settings.discovery_enabled)

    @router.post("/items/{url_id}/discover")
    def start(request: Request, url_id: RowId, depth: Annotated[str, Form()] = "",
              pages: Annotated[str, Form()] = "") -> Response:
        from dataclasses import replace

        ws = workspace_of(request)
        limits = default_limits(ws.hotline)
        chosen_depth, chosen_pages = _limit(depth, "depth", 0, 10), _limit(pages, "page limit", 1, 100_000)
        limits = replace(limits, depth=limits.depth if chosen_depth is None else chosen_depth,
                         pages=chosen_pages or limits.pages)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            load_row(session, url_id)
            start_job(ws.hotline, session, url_id, actor=user.name, trigger="manual", limits=limits)
        return redirect(f"{PREFIX}/items/{url_id}#h-discovery")

    @router.post("/discovery/{job_id}/cancel")
    def cancel(request: Request, job_id: RowId) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            try:
                cancel_job(session, job_id, user)
            except LookupError as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/discovery")

    @router.post("/discovery/pause")
    def pause(request: Request, paused: Annotated[str, Form()] = "yes") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            set_discovery_paused(session, user, paused == "yes")
        return redirect(f"{PREFIX}/discovery")
