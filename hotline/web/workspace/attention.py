"""Needs attention: URLs the capture guard refused or a stage gave up on, while an open report still
names them. Each can be captured again (the background workers take it) or its report closed with a
reason (usually "unreachable"), the same closing as on the report's page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hotline.models import MAX_STAGE_ATTEMPTS
from hotline.triage.closing import capture_again, needs_attention
from hotline.web.workspace.base import PREFIX, RowId, redirect, wake_workers, workspace_of
from hotline.web.workspace.reports import REASON_LABELS


def register(router: APIRouter) -> None:
    @router.get("/attention")
    def attention(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session)
            rows = needs_attention(session)
            items = [{
                "id": row.id,
                "url": row.url,
                "state": row.state.value,
                "why": row.state_reason,
                "attempts": row.stage_attempts,
                "since": row.updated_at,
                "reports": [link.report.reference for link in row.report_links
                            if link.report.closed_reason is None],
            } for row in rows]
            return ws.page(request, "attention.html", items=items, reasons=REASON_LABELS,
                           max_attempts=MAX_STAGE_ATTEMPTS)

    @router.post("/attention/{url_id}/capture")
    def capture(request: Request, url_id: RowId) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            capture_again(session, url_id, ws.require(request, session))
        wake_workers(request)
        return redirect(f"{PREFIX}/attention")
