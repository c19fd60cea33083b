"""POST /reports (submit in the partner format) and GET /reports/{receipt} (its state)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Path, Security
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from forwarders.partner import HEADER_IDEMPOTENCY_KEY, HEADER_KEY_ID, HEADER_TIMESTAMP
from forwarders.partner_schema import MAX_BODY_BYTES
from hotline.app import Hotline
from hotline.models import Report
from hotline.web.api.auth import api_key_scheme, authenticated_caller, signature_scheme
from hotline.web.api.errors import ApiProblem, error_responses
from hotline.web.api.intake import receive_report
from hotline.web.api.openapi import body_from_schema
from hotline.web.api.schemas import ReportReceipt, ReportState
from hotline.web.public.body import BodyTooLarge, read_body
from hotline.web.public.status import PROGRESS_STEPS, progress_of

router = APIRouter(tags=["reports"])

KeyIdHeader = Annotated[str | None, Header(alias=HEADER_KEY_ID, description="The partner's key id.")]
TimestampHeader = Annotated[str | None, Header(alias=HEADER_TIMESTAMP, description="Unix seconds, signed.")]
IdempotencyHeader = Annotated[
    str | None, Header(alias=HEADER_IDEMPOTENCY_KEY, description="Optional copy of the body's idempotency_key.")
]


@router.post(
    "/reports",
    status_code=201,
    summary="Submit a report in the partner format",
    description="Answers only after the report is committed. A retry with the same idempotency_key gets "
                "the same receipt (status 200, duplicate=true) and creates nothing.",
    response_model=ReportReceipt,
    responses={200: {"model": ReportReceipt, "description": "Already received with this idempotency key."},
               **error_responses(401, 403, 413, 422)},
    openapi_extra=body_from_schema("PartnerPayload"),
    dependencies=[Security(signature_scheme)],
)
async def submit_report_endpoint(
    request: Request, key_id: KeyIdHeader = None, timestamp: TimestampHeader = None,
    idempotency_key: IdempotencyHeader = None,
) -> JSONResponse:
    try:
        body = await read_body(request, MAX_BODY_BYTES)
    except BodyTooLarge as exc:
        raise ApiProblem(413, str(exc)) from None
    hotline: Hotline = request.app.state.hotline
    status, answer = await anyio.to_thread.run_sync(receive_report, hotline, request.headers, body,
                                                    limiter=request.app.state.intake_limiter)
    if status == 201:
        request.app.state.on_new_work()
    return JSONResponse(answer, status_code=status)


@router.get(
    "/reports/{receipt}",
    summary="The state of a report this partner sent",
    response_model=ReportState,
    responses=error_responses(401, 403, 404, 422),
    dependencies=[Security(api_key_scheme), Security(signature_scheme)],
)
async def report_state(
    request: Request,
    receipt: Annotated[str, Path(max_length=64, description="The receipt we answered the submission with.")],
    key_id: KeyIdHeader = None, timestamp: TimestampHeader = None,
) -> JSONResponse:
    hotline: Hotline = request.app.state.hotline
    state = await run_in_threadpool(_state, hotline, request.headers, receipt)
    return JSONResponse(state)


def _state(hotline: Hotline, headers: Any, receipt: str) -> dict[str, Any]:
    caller = authenticated_caller(hotline, headers).require("submit")
    with hotline.db.sessions() as session:
        report = session.scalar(select(Report).where(Report.reference == receipt.strip().upper()))
        if report is None or report.partner_id != caller.partner_id:
            # Another partner's reports do not exist, as far as this caller can tell.
            raise ApiProblem(404, f"no report {receipt[:64]!r} from this partner")
        items = [{"url": link.reported_url.url, "status": progress_of(link.reported_url.state)}
                 for link in report.urls]
        overall = min((PROGRESS_STEPS.index(i["status"]) for i in items), default=0)
        return {"receipt": report.reference, "reference": report.partner_reference,
                "received_at": report.received_at.isoformat(), "status": PROGRESS_STEPS[overall],
                "items": items}
