"""The review queue: what waits for an analyst, highest priority then oldest first, with why; filters, one
search box, claim and release."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from hotline.errors import Refused
from hotline.models import Report, ReportedUrl, ReportSource, UrlState, User
from hotline.triage.assessment import claim, claim_holder, release
from hotline.triage.queue import REVIEW_STATES, QueueFilter, attachments_waiting, queue_rows
from hotline.triage.status import status_of
from hotline.web.workspace.base import PREFIX, RowId, redirect, workspace_of
from hotline.web.workspace.item import take_next


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value else None


def register(router: APIRouter) -> None:
    @router.get("")
    def home() -> Response:
        return redirect(f"{PREFIX}/queue")

    @router.get("/queue")
    def queue(
        request: Request,
        state: str | None = None,
        category: str | None = None,
        country: str | None = None,
        source: str | None = None,
        mine: str | None = None,
        q: str | None = None,
        done: int | None = None,
    ) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            wanted = QueueFilter(
                state=_blank_to_none(state) if state in {s.value for s in UrlState} else None,
                category=_blank_to_none(category),
                country=_blank_to_none(country),
                source=_blank_to_none(source) if source in {s.value for s in ReportSource} else None,
                claimed_by=user.id if mine else None,
                search=_blank_to_none(q[:300]) if q else None,
            )
            holders = {u.id: u.name for u in session.scalars(select(User))}
            categories = sorted(c for c in session.scalars(select(Report.category_claimed).distinct()) if c)
            items = []
            for entry in queue_rows(session, wanted):
                row = entry.row
                hosting = row.latest_hosting
                holder = claim_holder(row)
                items.append({
                    "id": row.id,
                    "url": row.url,
                    "status": status_of(session, row),
                    "rank": entry.rank,
                    "reasons": entry.reasons,
                    "references": sorted({link.report.reference for link in row.report_links}),
                    "country": hosting.country if hosting else None,
                    "destinations": sorted({p.destination for p in row.proposals if p.state in ("pending", "approved")}),
                    "sources": sorted({str(link.report.source) for link in row.report_links}),
                    "categories": sorted({c for link in row.report_links if (c := link.report.category_claimed)}),
                    "reported": row.first_reported_at,
                    "claimed_by": holders.get(holder) if holder else None,
                    "mine": holder == user.id,
                    "waiting": row.state in REVIEW_STATES,
                })
            saved = session.get(ReportedUrl, done) if done and 0 < done < 2**63 else None
            return ws.page(
                request, "queue.html", items=items, wanted=wanted, categories=categories, q=q or "",
                saved=(saved.id, status_of(session, saved)) if saved else None,
                attachments=attachments_waiting(session), mine=bool(mine),
                states=[s.value for s in REVIEW_STATES], sources=[s.value for s in ReportSource],
            )

    @router.post("/queue/next")
    def next_item(request: Request) -> Response:
        """Claim the most urgent item nobody else holds and open it."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            url_id = take_next(session, user)
            if url_id is None:
                raise Refused("nothing is waiting that another analyst has not claimed")
        return redirect(f"{PREFIX}/items/{url_id}")

    @router.post("/items/{url_id}/claim")
    def claim_item(request: Request, url_id: RowId) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            claim(session, url_id, ws.require(request, session))
        return redirect(f"{PREFIX}/items/{url_id}")

    @router.post("/items/{url_id}/release")
    def release_item(request: Request, url_id: RowId) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            release(session, url_id, ws.require(request, session))
        return redirect(f"{PREFIX}/queue")
