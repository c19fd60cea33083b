"""Supervisor and admin pages: the four-eyes switch and the audit log with its chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import select

from hotline import audit
from hotline.models import AuditEvent
from hotline.rules.taxonomy import LegalAssessment
from hotline.triage.assessment import four_eyes_classifications, set_four_eyes
from hotline.triage.autoforward import policies_paused, set_policies_paused
from hotline.web.workspace.base import PREFIX, redirect, workspace_of

AUDIT_PAGE_SIZE = 200


def register(router: APIRouter) -> None:
    @router.get("/settings")
    def settings_page(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session, role="supervisor")
            chosen = four_eyes_classifications(session)
            return ws.page(request, "settings.html", legal=list(LegalAssessment), chosen=chosen,
                           paused=policies_paused(session))

    @router.post("/settings/policies")
    def policies(request: Request, paused: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            set_policies_paused(session, ws.require(request, session, role="supervisor"), paused == "yes")
        return redirect(f"{PREFIX}/settings")

    @router.post("/settings/four-eyes")
    def four_eyes(request: Request, legal: Annotated[list[str] | None, Form()] = None) -> Response:
        ws = workspace_of(request)
        values = [v for v in legal or [] if v in {m.value for m in LegalAssessment}]
        with ws.hotline.db.session() as session:
            set_four_eyes(session, ws.require(request, session, role="supervisor"), values)
        return redirect(f"{PREFIX}/settings")

    @router.get("/audit")
    def audit_log(
        request: Request,
        actor: str = "",
        action: str = "",
        subject_type: str = "",
        subject_id: str = "",
        before: int | None = None,
        verify: bool = False,
    ) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session, role="admin")
            stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE)
            if actor:
                stmt = stmt.where(AuditEvent.actor == actor)
            if action:
                stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
            if subject_type:
                stmt = stmt.where(AuditEvent.subject_type == subject_type)
            if subject_id:
                stmt = stmt.where(AuditEvent.subject_id == subject_id)
            if before:
                stmt = stmt.where(AuditEvent.id < before)
            events = list(session.scalars(stmt))
            problems = audit.verify(session) if verify else None
            return ws.page(
                request, "audit.html", events=events, problems=problems,
                filters={"actor": actor, "action": action, "subject_type": subject_type,
                         "subject_id": subject_id},
                older=events[-1].id if len(events) == AUDIT_PAGE_SIZE else None,
            )
