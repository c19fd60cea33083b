"""One error shape for every API answer that is not a success: {"detail": "one line", "errors": [...]}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse


class ApiError(BaseModel):
    detail: str = Field(description="What went wrong, in one line.")
    errors: list[dict[str, Any]] = Field(default_factory=list, description="Field-level details, if any.")


class ApiProblem(HTTPException):
    def __init__(self, status_code: int, detail: str, errors: list[Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(status_code, detail, headers)
        self.errors = [_plain(e) for e in errors or []]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """For `responses=` on a route: the codes it can answer with, all in the ApiError shape."""
    return {code: {"model": ApiError} for code in codes}


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(HTTPException)
    async def http_problem(_request: Request, exc: HTTPException) -> JSONResponse:
        body = {"detail": str(exc.detail), "errors": getattr(exc, "errors", [])}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_plain(e) for e in exc.errors()]
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        return JSONResponse({"detail": f"invalid request: {where}: {first.get('msg', '')}", "errors": errors},
                            status_code=422)


def _plain(error: Any) -> dict[str, Any]:
    # pydantic error dicts may hold exceptions or bytes in "ctx"/"input": keep what JSON can carry.
    if not isinstance(error, dict):
        return {"msg": str(error)}
    return {"loc": [str(p) for p in error.get("loc", ())], "msg": str(error.get("msg", "")),
            "type": str(error.get("type", ""))}
