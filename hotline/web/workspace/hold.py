"""Legal hold from an item page: a supervisor puts one of the URL's reports on hold or releases it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session

from hotline.evidence.legal_hold import place_hold, release_hold
from hotline.models import Report, ReportUrl
from hotline.web.workspace.base import PREFIX, NotFound, RowId, redirect, workspace_of


def _report_of(session: Session, url_id: int, report_id: int) -> Report:
    link = session.query(ReportUrl).filter_by(reported_url_id=url_id, report_id=report_id).one_or_none()
    if link is None:
        raise NotFound(f"URL {url_id} is not named by report {report_id}.")
    return link.report


def register(router: APIRouter) -> None:
    @router.post("/items/{url_id}/reports/{report_id}/hold")
    def hold(request: Request, url_id: RowId, report_id: RowId, reason: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            place_hold(session, _report_of(session, url_id, report_id), user, reason)
        return redirect(f"{PREFIX}/items/{url_id}#h-reports")

    @router.post("/items/{url_id}/reports/{report_id}/release")
    def release(request: Request, url_id: RowId, report_id: RowId, reason: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            release_hold(session, _report_of(session, url_id, report_id), user, reason)
        return redirect(f"{PREFIX}/items/{url_id}#h-reports")
