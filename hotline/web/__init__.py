"""The web application: public report form, analyst workspace and partner API, on one FastAPI app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

if TYPE_CHECKING:
    from hotline.app import Hotline


def create_app(hotline: Hotline, on_new_work: Callable[[], None] | None = None) -> FastAPI:
    web = FastAPI(title="hotline", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.hotline = hotline
    web.state.on_new_work = on_new_work or (lambda: None)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @web.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            "<!doctype html><html lang=en><meta charset=utf-8><title>hotline</title>"
            "<h1>hotline</h1><p><a href=/report>Report illegal content</a></p></html>"
        )

    return web
