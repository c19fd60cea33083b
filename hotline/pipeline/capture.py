"""Capture stage: hand URLs to the isolated capture process and keep what it saw as evidence.

Also the other way media arrive: an attachment capture holds the pictures and videos a report brought
itself (a mail's attachments), sealed in the same blob store, tied to the report instead of a URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hotline.models import Capture, MediaItem, ReportedUrl, UrlState, utcnow

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.capture.client import SharedWorker
    from hotline.capture.models import CaptureJob, CaptureResult


def shared_capture_worker(app: Hotline) -> SharedWorker:
    """The capture stage's worker process, kept from batch to batch (one per process running stages)."""
    from hotline.capture.client import SharedWorker

    return SharedWorker()


def capture_stage(app: Hotline, token: str, ids: list[int]) -> None:
    from hotline.capture.models import CaptureJob

    with app.db.sessions() as session:
        jobs = [
            CaptureJob(job_id=str(row.id), url=row.url, referer=row.referer, references=references_of(row))
            for row in (session.get(ReportedUrl, i) for i in ids)
            if row is not None and row.held_by(token, UrlState.NEW)
        ]
    if not jobs:
        return
    kept: set[str] = set()

    def keep(result: CaptureResult) -> None:
        # Each capture is kept as soon as the worker reports it, so the next stage can start on it while
        # the rest of the batch is still being fetched (and a crash later in the batch loses nothing).
        kept.add(result.job_id)
        with app.db.session() as session:
            row = session.get(ReportedUrl, int(result.job_id))
            if row is None or not row.held_by(token, UrlState.NEW):
                return  # someone else finished it meanwhile; keep the first answer
            store_capture(session, row, result, purpose="report")
            if result.outcome == "refused":
                row.advance(UrlState.REFUSED, result.reason)
            else:
                row.advance(UrlState.CAPTURED, result.reason if result.outcome != "ok" else None)

    for result in app.service(shared_capture_worker).run(jobs, app.capture_options(), on_result=keep):
        if result.job_id not in kept:  # the worker never reported it: kept as failed, with the reason
            keep(result)


def references_of(row: ReportedUrl) -> list[str]:
    """The references of the reports naming this URL, first reported first (the WARC names them)."""
    return [link.report.reference for link in sorted(row.report_links, key=lambda link: link.report_id)]


def store_capture(session: Session, row: ReportedUrl, result: CaptureResult, *, purpose: str,
                  job: CaptureJob | None = None) -> Capture:
    capture = Capture(
        reported_url=row,
        purpose=purpose,
        outcome=result.outcome,
        engine=result.engine,
        screenshot_sha256=result.screenshot_sha256,
        reason=result.reason,
        final_url=result.final_url,
        status=result.status,
        content_type=result.content_type,
        hops=[hop.model_dump(mode="json") for hop in result.hops],
        tls=result.tls,
        options=job.model_dump(mode="json", exclude={"job_id", "references"}) if job else {},
        warc_path=result.warc,
        started_at=_aware(result.started_at),
        finished_at=_aware(result.finished_at),
    )
    session.add(capture)
    items = ([result.page] if result.page is not None else []) + list(result.resources)
    for item in items:
        capture.media.append(
            MediaItem(
                url=item.url,
                kind=item.kind,
                status=item.status,
                content_type=item.content_type,
                size=item.size,
                ip=item.ip,
                outcome=item.outcome,
                reason=item.reason,
                sha256=item.sha256,
                blob=item.blob,
            )
        )
    session.flush()
    return capture


@dataclass(frozen=True)
class SealedAttachment:
    """A picture or video that came with a report, already sealed in the blob store under `sha256`."""

    name: str
    kind: str  # image | video
    content_type: str
    size: int
    sha256: str


def store_attachments(session: Session, report_id: int, attachments: Sequence[SealedAttachment]) -> Capture:
    """The report's attachment capture (no URL) with one media item per attachment; the fingerprint
    stage's attachment job hashes and matches them like captured media."""
    now = utcnow()
    capture = Capture(report_id=report_id, purpose="attachment", outcome="ok", hops=[], options={},
                      started_at=now, finished_at=now)
    session.add(capture)
    for item in attachments:
        capture.media.append(MediaItem(url=f"attachment:{item.name}", kind=item.kind, content_type=item.content_type,
                                       size=item.size, outcome="ok", sha256=item.sha256, blob=item.sha256))
    session.flush()
    return capture


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class BrowserNeedsProxy(ValueError):
    """A browser capture was asked for where no egress proxy is configured."""


RECAPTURE_REWINDS = (UrlState.NEW, UrlState.CAPTURED, UrlState.FINGERPRINTED, UrlState.LOCATED,
                     UrlState.TRIAGED, UrlState.REFUSED)


def recapture(
    app: Hotline,
    url_id: int,
    *,
    actor: str,
    referer: str | None = None,
    user_agent: str | None = None,
    accept_language: str | None = None,
    egress_proxy: str | None = None,
    browser: bool = False,
) -> Capture:
    """Capture a URL again with other request details (disguised sites show themselves only to visitors
    who arrive the right way), or in a browser (pages built by scripts). A URL not yet assessed goes
    through the later stages again. Raises BrowserNeedsProxy when a browser is asked for without a proxy."""
    from hotline import audit
    from hotline.capture.client import run_captures
    from hotline.capture.models import CaptureJob

    with app.db.sessions() as session:
        row = session.get(ReportedUrl, url_id)
        if row is None:
            raise LookupError(f"no reported URL with id {url_id}")
        job = CaptureJob(job_id=str(url_id), url=row.url, referer=referer or row.referer, user_agent=user_agent,
                         accept_language=accept_language, egress_proxy=egress_proxy, references=references_of(row),
                         engine="browser" if browser else "auto")
    if browser and not (egress_proxy or app.settings.egress_proxy):
        raise BrowserNeedsProxy("a browser capture needs an egress proxy: set HOTLINE_EGRESS_PROXY "
                                "(the browser connects on its own, so the proxy is its only guard)")
    [result] = run_captures([job], app.capture_options())
    with app.db.session() as session:
        row = session.get(ReportedUrl, url_id)
        assert row is not None
        capture = store_capture(session, row, result, purpose="recapture", job=job)
        audit.record(session, actor, "capture.again", "reported_url", url_id, capture_id=capture.id,
                     outcome=result.outcome,
                     **job.model_dump(exclude={"job_id", "url", "references"}, exclude_none=True))
        if row.state in RECAPTURE_REWINDS:
            if result.outcome == "refused":
                row.advance(UrlState.REFUSED, result.reason)
            else:
                row.advance(UrlState.CAPTURED, "captured again")
    return capture
