"""GET /schema/partner-payload.json: the partner payload's JSON Schema, for partners' own validators."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from forwarders.partner_schema import payload_json_schema

router = APIRouter(tags=["reports"])


@router.get(
    "/schema/partner-payload.json",
    summary="The partner payload's JSON Schema (2020-12)",
    description="What POST /reports accepts, for validating a body before sending it. No authentication.",
    responses={200: {"content": {"application/json": {}}, "description": "The JSON Schema."}},
    response_class=JSONResponse,
)
async def partner_payload_schema() -> JSONResponse:
    return JSONResponse(payload_json_schema(), media_type="application/json",
                        headers={"Cache-Control": "public, max-age=3600"})
