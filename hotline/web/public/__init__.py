"""The public door: the report form at /report (/ro/report, /en/report) and the status page.

`mount(web, hotline)` adds the pages, their stylesheet and the abuse limits. The limiters live on
`web.state` (`public_limiter` for submissions, `status_limiter` for status look-ups), so a deployment
or a test can replace them with other limits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hotline.web.public.ratelimit import RateLimiter, RateLimits

if TYPE_CHECKING:
    from hotline.app import Hotline

STATIC = Path(__file__).parent / "static"
SUBMIT_LIMITS = RateLimits(per_client=10, global_limit=1000, window_seconds=600)
STATUS_LIMITS = RateLimits(per_client=30, global_limit=3000, window_seconds=600)


def mount(web: FastAPI, hotline: Hotline, submit_limits: RateLimits | None = None,
          status_limits: RateLimits | None = None) -> None:
    from hotline.web.public.routes import build_router

    web.state.public_limiter = RateLimiter(submit_limits or SUBMIT_LIMITS)
    web.state.status_limiter = RateLimiter(status_limits or STATUS_LIMITS)
    web.include_router(build_router())
    web.mount("/static/public", StaticFiles(directory=STATIC), name="public-static")
