"""Supervisors' statistics page: `render_html` of the chosen period, served as its own document.

The page has inline styles and data: images but no scripts, so it gets its own strict CSP.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import escape

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from hotline.web.workspace.base import PREFIX, workspace_of

# The workspace's own stylesheet too, for the header it shares with every workspace page.
STATS_CSP = ("default-src 'none'; img-src data:; style-src 'self' 'unsafe-inline'; form-action 'self'; "
             "base-uri 'none'; frame-ancestors 'none'")


def register(router: APIRouter) -> None:
    @router.get("/stats")
    def stats_page(request: Request, start: str | None = None, end: str | None = None) -> Response:
        from hotline.stats import compute, render_html

        ws = workspace_of(request)
        today = datetime.now(UTC).date()
        first = _day(start) or date(today.year, 1, 1)
        last = _day(end) or today
        if last < first:
            first, last = last, first
        with ws.hotline.db.session() as session:
            ws.require(request, session, role="supervisor")
            figures = compute(session, _midnight(first), _midnight(last) + timedelta(days=1))
            header = ws.fragment(request, "header.html")
        stylesheet = f'<link rel="stylesheet" href="{PREFIX}/static/workspace.css">'
        page = render_html(figures, preamble=stylesheet + header + '<main class="stats">' + _form(first, last))
        page = page.replace("</body>", "</main></body>", 1)
        return HTMLResponse(page, headers={"Content-Security-Policy": STATS_CSP})


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a mistyped date falls back to the default period


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _form(first: date, last: date) -> str:
    return (f'<p><a href="{PREFIX}/queue">Back to the queue</a></p>'
            f'<form method="get" action="{PREFIX}/stats">'
            f'<label>From <input type="date" name="start" value="{escape(first.isoformat())}"></label> '
            f'<label>to <input type="date" name="end" value="{escape(last.isoformat())}"></label> '
            '<button type="submit">Show</button></form>')
