"""Supervisor and admin pages: the four-eyes switch, the users (password, disable, end sessions) and the
audit log with its chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import ROLES, AuthError, change_password, logout_everywhere, set_active
from hotline.errors import Refused
from hotline.models import AuditEvent, User, UserSession, utcnow
from hotline.rules.taxonomy import LegalAssessment
from hotline.triage.assessment import APPROVERS, four_eyes_approvers, four_eyes_classifications, set_four_eyes
from hotline.triage.autoforward import policies_paused, set_policies_paused
from hotline.web.workspace.base import MAX_ID, PREFIX, NotFound, RowId, Workspace, redirect, workspace_of

AUDIT_PAGE_SIZE = 200


def _person(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role not in ROLES:
        raise NotFound(f"There is no user {user_id}.")
    return user


def _users_register(router: APIRouter) -> None:
    @router.get("/users")
    def users_page(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session, role="admin")
            people = list(session.scalars(select(User).where(User.role.in_(ROLES)).order_by(User.name)))
            now = utcnow()
            open_sessions = dict(session.execute(
                select(UserSession.user_id, func.count()).where(UserSession.revoked_at.is_(None),
                                                               UserSession.expires_at > now)
                .group_by(UserSession.user_id)).all())
            return ws.page(request, "users.html", users=people, open_sessions=open_sessions,
                           required_roles=ws.hotline.settings.totp_required_roles)

    @router.post("/users/{user_id}/password")
    def set_password(request: Request, user_id: RowId, password: Annotated[str, Form(max_length=1000)] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            admin = ws.require(request, session, role="admin")
            try:
                change_password(session, _person(session, user_id), password, admin.name, by_admin=True)
            except AuthError as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/users")

    @router.post("/users/{user_id}/disable")
    def disable(request: Request, user_id: RowId) -> Response:
        return _set_active(request, user_id, False)

    @router.post("/users/{user_id}/enable")
    def enable(request: Request, user_id: RowId) -> Response:
        return _set_active(request, user_id, True)

    @router.post("/users/{user_id}/logout")
    def end_sessions(request: Request, user_id: RowId) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            admin = ws.require(request, session, role="admin")
            logout_everywhere(session, _person(session, user_id), actor=admin.name)
        return redirect(f"{PREFIX}/users")

    def _set_active(request: Request, user_id: int, active: bool) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            admin = ws.require(request, session, role="admin")
            try:
                set_active(session, _person(session, user_id), active, admin.name)
            except AuthError as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/users")


def _verify(ws: Workspace, session: Session) -> list[audit.Problem]:
    try:
        anchors = audit.read_anchors(audit.anchor_file(ws.hotline))
    except audit.AnchorError as exc:
        return [audit.Problem(0, str(exc))]
    return audit.verify(session, anchors)


def register(router: APIRouter) -> None:
    _users_register(router)

    @router.get("/settings")
    def settings_page(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session, role="supervisor")
            chosen = four_eyes_classifications(session)
            return ws.page(request, "settings.html", legal=list(LegalAssessment), chosen=chosen,
                           approvers=four_eyes_approvers(session), paused=policies_paused(session))

    @router.post("/settings/policies")
    def policies(request: Request, paused: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            set_policies_paused(session, ws.require(request, session, role="supervisor"), paused == "yes")
        return redirect(f"{PREFIX}/settings")

    @router.post("/settings/four-eyes")
    def four_eyes(request: Request, legal: Annotated[list[str] | None, Form()] = None,
                  approvers: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        values = [v for v in legal or [] if v in {m.value for m in LegalAssessment}]
        with ws.hotline.db.session() as session:
            set_four_eyes(session, ws.require(request, session, role="supervisor"), values,
                          approvers if approvers in APPROVERS else None)
        return redirect(f"{PREFIX}/settings")

    @router.get("/audit")
    def audit_log(
        request: Request,
        actor: str = "",
        action: str = "",
        subject_type: str = "",
        subject_id: str = "",
        before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
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
            problems = _verify(ws, session) if verify else None
            return ws.page(
                request, "audit.html", events=events, problems=problems,
                filters={"actor": actor, "action": action, "subject_type": subject_type,
                         "subject_id": subject_id},
                older=events[-1].id if len(events) == AUDIT_PAGE_SIZE else None,
            )
