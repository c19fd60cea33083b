"""Four-eyes in the workspace: the "Awaiting my approval" list and the one-step decision (approve and
queue the forwards, or send back to the assessor with a note)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import select

from hotline.errors import Refused
from hotline.models import User
from hotline.triage.assessment import (
    approve_url,
    awaiting_approval,
    latest_batch,
    needs_second_person,
    send_back,
)
from hotline.web.workspace.base import PREFIX, RowId, redirect, workspace_of
from hotline.web.workspace.item import item_context, load_row


def register(router: APIRouter) -> None:
    @router.get("/approvals")
    def approvals(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            names = {u.id: u.name for u in session.scalars(select(User))}
            items = []
            for row in awaiting_approval(session, user):
                batch = latest_batch(row)
                latest = batch[-1]
                items.append({
                    "id": row.id, "url": row.url, "legal": needs_second_person(session, row),
                    "assessor": names.get(latest.assessor_id or 0, "?"), "assessed_at": latest.created_at,
                    "items": len(batch) - 1, "notes": latest.notes,
                    "destinations": [p.destination for p in row.proposals if p.state == "pending"],
                })
            return ws.page(request, "approvals.html", items=items)

    @router.post("/items/{url_id}/decision")
    def decide(request: Request, url_id: RowId, decision: Annotated[str, Form()] = "",
               note: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "") -> Response:
        """Approve (every pending proposal) or send back with the note, in one step."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            try:
                if decision == "approve":
                    approve_url(ws.hotline, session, url_id, user)
                elif decision == "send-back":
                    send_back(session, url_id, user, note)
                else:
                    raise Refused("choose Approve or Send back")
            except Refused as exc:
                # On the item's own page, the note kept as typed: no dead end.
                session.rollback()
                user = ws.require(request, session)
                context = item_context(ws, request, session, load_row(session, url_id), user, None)
                return ws.page(request, "item.html", 409, form_error=str(exc), decision_note=note, **context)
        return redirect(f"{PREFIX}/approvals" if back == "approvals" else f"{PREFIX}/items/{url_id}")
