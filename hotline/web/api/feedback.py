"""POST /feedback: a partner tells us what became of a report we forwarded to them (e.g. removed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Security
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from forwarders.partner import HEADER_KEY_ID, HEADER_TIMESTAMP
from hotline import audit
from hotline.app import Hotline
from hotline.models import AuditEvent, Forward, ReportedUrl, UrlState, utcnow
from hotline.web.api.auth import Caller, signature_scheme, signed_caller
from hotline.web.api.errors import ApiProblem, error_responses
from hotline.web.api.openapi import body_from_schema
from hotline.web.api.schemas import Feedback, FeedbackAnswer
from hotline.web.public.body import BodyTooLarge, read_body

router = APIRouter(tags=["feedback"])
MAX_FEEDBACK_BYTES = 16 * 1024
ACTION = "partner-feedback"


@router.post(
    "/feedback",
    summary="Status feedback about a report we forwarded to this partner",
    response_model=FeedbackAnswer,
    responses=error_responses(401, 403, 404, 413, 422),
    openapi_extra=body_from_schema("Feedback"),
    dependencies=[Security(signature_scheme)],
)
async def feedback_endpoint(
    request: Request,
    key_id: Annotated[str | None, Header(alias=HEADER_KEY_ID)] = None,
    timestamp: Annotated[str | None, Header(alias=HEADER_TIMESTAMP)] = None,
) -> JSONResponse:
    try:
        body = await read_body(request, MAX_FEEDBACK_BYTES)
    except BodyTooLarge as exc:
        raise ApiProblem(413, str(exc)) from None
    hotline: Hotline = request.app.state.hotline
    answer = await run_in_threadpool(receive_feedback, hotline, request.headers, body)
    return JSONResponse(answer)


def receive_feedback(hotline: Hotline, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    caller = signed_caller(hotline, headers, body).require("feedback")
    try:
        feedback = Feedback.model_validate_json(body)
    except ValidationError as exc:
        raise ApiProblem(422, f"invalid feedback: {exc.errors()[0]['msg']}", exc.errors()) from None
    with hotline.db.session() as session:
        forward = session.scalar(select(Forward).where(Forward.idempotency_key == feedback.idempotency_key))
        if forward is None or not _sent_to(forward, caller):
            raise ApiProblem(404, "no forward with this idempotency_key was sent to this partner")
        recorded = _record(session, forward, caller, feedback)
    return {"idempotency_key": feedback.idempotency_key, "status": feedback.status, "recorded": recorded}


def _sent_to(forward: Forward, caller: Caller) -> bool:
    return forward.destination == caller.name or (caller.endpoint is not None and forward.address == caller.endpoint)


def _record(session: Any, forward: Forward, caller: Caller, feedback: Feedback) -> bool:
    """Audit the feedback once per (forward, status); a removal also moves the URL to REMOVED."""
    seen = session.scalars(select(AuditEvent).where(AuditEvent.action == ACTION,
                                                    AuditEvent.subject_type == "forward",
                                                    AuditEvent.subject_id == str(forward.id)))
    if any(event.detail.get("status") == feedback.status for event in seen):
        return False
    when = feedback.at or utcnow()
    audit.record(session, f"partner:{caller.name}", ACTION, "forward", forward.id, status=feedback.status,
                 at=when.isoformat(), note=feedback.note, reported_url_id=forward.reported_url_id)
    if feedback.status == "removed":
        row = session.get(ReportedUrl, forward.reported_url_id)
        if row is not None and row.state != UrlState.REMOVED:
            row.state, row.state_reason = UrlState.REMOVED, f"partner {caller.name} reports it removed"
            row.removed_at = row.removed_at or when
    return True
