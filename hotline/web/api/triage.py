"""Triage for integrations: GET /queue, POST /urls/{id}/assessment, POST /urls/{id}/approval and
POST /reports/{reference}/closing (close a report as not valid).

Only API keys (partners) with the "triage" role may call these. A key acts as its own account,
`api:<partner name>` (role system, created on demand), which is never a person: a key is never one of the
four eyes, so a four-eyes classification it assessed needs a person's assessment and another person's
approval, and it cannot approve one either. The actions are the workspace's
(hotline.triage.assessment), so the API refuses what the workspace refuses, with the same one-line message:
422 for a classification with missing or wrong fields, 409 for an action the item's state forbids.

Authentication: `Authorization: Bearer <API key>`, or the partner signature (as for every request
with a body elsewhere in this API) when the signature headers are sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Security
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from hotline.app import Hotline
from hotline.auth import api_user
from hotline.errors import Refused
from hotline.models import ClosingReason, ReportedUrl, User
from hotline.rules.taxonomy import AgeGroup, ContentType, Gender, LegalAssessment, SiteType
from hotline.triage.assessment import approve_url, assess, parse_classification
from hotline.triage.closing import close_report
from hotline.triage.queue import REVIEW_STATES
from hotline.triage.review import latest_assessment, queue_items, result_view
from hotline.triage.views import UnknownReference, find_report
from hotline.web.api.auth import Caller, api_key_scheme, authenticated_caller, signature_scheme
from hotline.web.api.errors import ApiProblem, error_responses
from hotline.web.api.openapi import BODY_MODELS, body_from_schema
from hotline.web.public.body import BodyTooLarge, read_body
from hotline.web.public.writer import write_turn

router = APIRouter(tags=["triage"])
ROLE = "triage"
MAX_ID = 2**63 - 1  # the largest row id the databases hold: beyond it, 422 (never a database error)
MAX_BODY_BYTES = 16 * 1024
_AUTH = [Security(api_key_scheme), Security(signature_scheme)]


class AssessmentRequest(BaseModel):
    """An analyst's classification; age_group and gender are required when legal is baseline or national."""

    model_config = ConfigDict(extra="forbid")

    legal: LegalAssessment
    content_type: ContentType | None = None
    site_type: SiteType | None = None
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    notes: str | None = Field(default=None, max_length=4000)
    media_item_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Assess one media item of the URL.")
    approve: bool = Field(default=False, description="Approve the proposals and queue the forwards too.")


class ApprovalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    destination: str | None = Field(default=None, max_length=100,
                                    description="Approve only the proposal to this destination.")


class ClosingRequest(BaseModel):
    """Close a report as not valid; it and its URLs no other open report names leave the queue."""

    model_config = ConfigDict(extra="forbid")

    reason: ClosingReason
    note: str | None = Field(default=None, max_length=2000)


class ClosingResult(BaseModel):
    reference: str
    reason: str
    closed_urls: list[int] = Field(description="URLs closed with the report.")
    kept_urls: list[int] = Field(description="URLs another open report names, or already forwarded or done.")
    assessed_attachments: list[int] = Field(description="Attachments assessed not-illegal by the closing.")


BODY_MODELS.setdefault("AssessmentRequest", AssessmentRequest)
BODY_MODELS.setdefault("ApprovalRequest", ApprovalRequest)
BODY_MODELS.setdefault("ClosingRequest", ClosingRequest)


class QueueItem(BaseModel):
    id: int
    url: str
    state: str
    rank: int
    references: list[str]
    sources: list[str]
    categories: list[str]
    country: str | None
    pending_proposals: int
    claimed_by: str | None
    reported_at: str


class AssessmentOut(BaseModel):
    id: int
    legal: str
    content_type: str | None
    site_type: str | None
    age_group: str | None
    gender: str | None
    notes: str | None
    media_item_id: int | None
    assessor: str | None
    policy: str | None


class ProposalOut(BaseModel):
    id: int
    destination: str
    destination_kind: str
    rule: str
    reason: str


class ForwardOut(BaseModel):
    id: int
    destination: str
    channel: str
    state: str
    proposal_id: int | None


class TriageResult(BaseModel):
    url_id: int
    url: str
    state: str
    state_reason: str | None
    assessment: AssessmentOut | None
    pending_proposals: list[ProposalOut]
    forwards: list[ForwardOut]


@router.get("/queue", summary="Items waiting for assessment or approval, in the workspace's order",
            response_model=list[QueueItem], responses=error_responses(401, 403, 422), dependencies=_AUTH)
async def queue_endpoint(
    request: Request,
    state: Annotated[str | None, Query(description="triaged or assessed",
                                       pattern="^(" + "|".join(s.value for s in REVIEW_STATES) + ")$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> JSONResponse:
    hotline: Hotline = request.app.state.hotline
    return JSONResponse(await run_in_threadpool(read_queue, hotline, request.headers, state, limit))


@router.post("/urls/{url_id}/assessment", status_code=201, summary="Record an assessment (and approve)",
             response_model=TriageResult, responses=error_responses(401, 403, 404, 409, 413, 422),
             openapi_extra=body_from_schema("AssessmentRequest"), dependencies=_AUTH)
async def assessment_endpoint(request: Request, url_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> JSONResponse:
    hotline: Hotline = request.app.state.hotline
    body = await _body(request)
    answer = await run_in_threadpool(record_assessment, hotline, request.headers, body, url_id)
    return JSONResponse(answer, status_code=201)


@router.post("/urls/{url_id}/approval", summary="Approve pending proposals and queue their forwards",
             response_model=TriageResult, responses=error_responses(401, 403, 404, 409, 413, 422),
             openapi_extra=body_from_schema("ApprovalRequest"), dependencies=_AUTH)
async def approval_endpoint(request: Request, url_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> JSONResponse:
    hotline: Hotline = request.app.state.hotline
    body = await _body(request)
    return JSONResponse(await run_in_threadpool(record_approval, hotline, request.headers, body, url_id))


@router.post("/reports/{reference}/closing", summary="Close a report as not valid",
             response_model=ClosingResult, responses=error_responses(401, 403, 409, 413, 422),
             openapi_extra=body_from_schema("ClosingRequest"), dependencies=_AUTH)
async def closing_endpoint(request: Request, reference: Annotated[str, Path(max_length=64)]) -> JSONResponse:
    hotline: Hotline = request.app.state.hotline
    body = await _body(request)
    return JSONResponse(await run_in_threadpool(record_closing, hotline, request.headers, body, reference))


# -- the work, in a worker thread ------------------------------------------------------------------
def triage_caller(hotline: Hotline, headers: Mapping[str, str], body: bytes) -> Caller:
    """Signed when the signature headers are sent, else the API key; must hold the triage role."""
    return authenticated_caller(hotline, headers, body).require(ROLE)


def read_queue(hotline: Hotline, headers: Mapping[str, str], state: str | None, limit: int) -> list[dict[str, Any]]:
    triage_caller(hotline, headers, b"")
    with hotline.db.sessions() as session:
        return queue_items(session, state, limit)


def record_assessment(hotline: Hotline, headers: Mapping[str, str], body: bytes, url_id: int) -> dict[str, Any]:
    caller = triage_caller(hotline, headers, body)
    request = _parse(AssessmentRequest, body)
    fields = request.model_dump(exclude={"media_item_id", "approve"})
    try:
        classification = parse_classification(fields)
    except Refused as exc:
        raise ApiProblem(422, str(exc)) from None
    with _acting(hotline, caller, url_id) as (session, actor, row):
        done = assess(hotline, session, row.id, actor, classification, media_item_id=request.media_item_id,
                      approve=request.approve)
        return result_view(session, row, done.assessment, done.forwards)


def record_approval(hotline: Hotline, headers: Mapping[str, str], body: bytes, url_id: int) -> dict[str, Any]:
    caller = triage_caller(hotline, headers, body)
    request = _parse(ApprovalRequest, body) if body.strip() else ApprovalRequest()
    with _acting(hotline, caller, url_id) as (session, actor, row):
        done = approve_url(hotline, session, row.id, actor, request.destination)
        return result_view(session, row, latest_assessment(session, row), done.forwards)


def record_closing(hotline: Hotline, headers: Mapping[str, str], body: bytes, reference: str) -> dict[str, Any]:
    caller = triage_caller(hotline, headers, body)
    request = _parse(ClosingRequest, body)
    try:
        with write_turn(hotline.db.engine), hotline.db.session() as session:
            try:
                find_report(session, reference)
            except UnknownReference as exc:
                raise ApiProblem(404, str(exc)) from None
            done = close_report(hotline, session, reference, api_user(session, caller.name), request.reason,
                                request.note)
    except Refused as exc:
        raise ApiProblem(409, str(exc)) from None
    return {"reference": done.reference, "reason": done.reason, "closed_urls": done.closed_urls,
            "kept_urls": done.kept_urls, "assessed_attachments": done.assessed_attachments}


@contextmanager
def _acting(hotline: Hotline, caller: Caller, url_id: int) -> Iterator[tuple[Session, User, ReportedUrl]]:
    """One transaction acting as the caller's account on one URL; a refusal rolls back and becomes 409."""
    try:
        with write_turn(hotline.db.engine), hotline.db.session() as session:
            row = session.get(ReportedUrl, url_id)
            if row is None:
                raise ApiProblem(404, f"there is no reported URL {url_id}")
            yield session, api_user(session, caller.name), row
    except Refused as exc:
        raise ApiProblem(409, str(exc)) from None


def _parse(model: type[BaseModel], body: bytes) -> Any:
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiProblem(422, f"invalid request: {where}: {first['msg']}", exc.errors()) from None


async def _body(request: Request) -> bytes:
    try:
        return await read_body(request, MAX_BODY_BYTES)
    except BodyTooLarge as exc:
        raise ApiProblem(413, str(exc)) from None
