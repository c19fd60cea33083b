"""The state of one capture while it runs, and how it becomes a CaptureResult plus evidence."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import responses as HTTP_REASONS
from typing import Any

from hotline.capture.content import digests
from hotline.capture.models import (
    CaptureJob,
    CaptureOutcome,
    CaptureResult,
    Engine,
    Hop,
    Outcome,
    Resource,
    ResourceKind,
)
from hotline.evidence.store import EXPORT_SUFFIX, EvidenceStore
from hotline.evidence.warc import Document, Exchange, build_warc, screenshot_uri

SELECTED_HEADERS = (
    "content-type", "content-length", "content-encoding", "location", "server", "date", "last-modified",
    "etag", "cache-control", "x-powered-by", "via", "x-cache", "x-served-by", "cf-ray", "cf-cache-status",
    "x-amz-cf-id", "set-cookie", "refresh", "content-disposition",
)  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Budget:
    """Time and bytes left for one capture; its clock starts when its first request is sent."""

    max_seconds: float
    max_bytes: int
    bytes_left: int = 0
    deadline: float | None = None
    started_at: datetime | None = None  # wall clock of the first request actually sent
    closed: bool = False

    def __post_init__(self) -> None:
        self.bytes_left = self.max_bytes

    def refuse_reason(self, now: float) -> str | None:
        if self.closed:
            return "capture already finished"
        if self.deadline is None:
            self.deadline, self.started_at = now + self.max_seconds, utcnow()
        if now >= self.deadline:
            return f"time limit of {self.max_seconds:g} s reached"
        if self.bytes_left <= 0:
            return f"byte limit of {self.max_bytes} bytes reached"
        return None

    def seconds_left(self, now: float) -> float:
        assert self.deadline is not None
        return max(0.05, self.deadline - now)

    def overdue(self, now: float, grace: float) -> bool:
        return self.deadline is not None and now > self.deadline + grace


@dataclass
class Fetch:
    """One URL (the page, or one embedded resource) followed through its redirects."""

    url: str
    kind: str  # "page" or "resource"
    referer: str | None
    hops: list[Hop] = field(default_factory=list)
    redirects: int = 0
    done: bool = False
    resource: Resource | None = None
    payload: bytes | None = None  # decoded body, kept until the capture is written

    def settle(self, resource: Resource, payload: bytes | None = None) -> None:
        resource.hops = self.hops
        self.resource, self.payload, self.done = resource, payload, True

    def fail(self, outcome: Outcome, reason: str) -> None:
        last = self.hops[-1] if self.hops else None
        kind: ResourceKind = "page" if self.kind == "page" else "other"
        self.settle(
            Resource(
                url=self.url, kind=kind, final_url=last.url if last else None,
                status=last.status if last else None, ip=last.ip if last else None,
                outcome=outcome, reason=reason,
            )
        )  # fmt: skip


@dataclass
class JobState:
    job: CaptureJob
    budget: Budget
    proxy: str | None
    started_at: datetime = field(default_factory=utcnow)
    page: Fetch | None = None
    resources: list[Fetch] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    tls: dict[str, str] | None = None
    skipped: int = 0
    pending: int = 0
    finished: bool = False
    engine: Engine = "scrapy"
    static_page: Fetch | None = None  # the static pass's page, when the browser took over from it
    screenshot: bytes | None = None
    documents: list[Document] = field(default_factory=list)  # screenshot and rendered DOM, for the WARC
    notes: list[str] = field(default_factory=list)
    static_media: list[str] = field(default_factory=list)  # media the static page named (browser fallback)
    links: list[str] = field(default_factory=list)  # the page's links, for a discovery crawl
    grace_seconds: float = 1.0  # past its deadline, how long the watchdog waits before ending it

    def fetches(self) -> list[Fetch]:
        return ([self.page] if self.page else []) + self.resources

    def complete(self) -> bool:
        return self.pending == 0 and all(f.done for f in self.fetches())

    def abandon(self, reason: str) -> None:
        for fetch in self.fetches():
            if not fetch.done:
                fetch.fail("failed", reason)


_SELECTED = frozenset(SELECTED_HEADERS)


def select_headers(headers: Any) -> dict[str, str]:
    """The headers worth keeping on a hop (all of them are in the WARC)."""
    chosen = {}
    for raw_name, values in headers.items():
        name = raw_name.decode("latin-1").lower()
        if name in _SELECTED:
            chosen[name] = ", ".join(v.decode("latin-1") for v in values)
    return chosen


def build_result(state: JobState) -> CaptureResult:
    page = state.page.resource if state.page and state.page.resource else None
    outcome: CaptureOutcome = page.outcome if page else "failed"
    reason = page.reason if page else "not started"
    if page is not None and outcome == "ok" and page.status is not None and not 200 <= page.status < 300:
        outcome, reason = "http-error", f"HTTP {page.status} {HTTP_REASONS.get(page.status, '')}".strip()
    if outcome == "ok" and state.notes:
        reason = "; ".join(state.notes)  # how it went (browser notes), for the analyst
    hops = state.page.hops if state.page else []
    return CaptureResult(
        job_id=state.job.job_id, url=state.job.url, outcome=outcome, engine=state.engine, notes=state.notes,
        reason=reason,
        hops=hops, final_url=page.final_url if page else None,
        status=page.status if page else None, content_type=page.content_type if page else None,
        tls=state.tls, page=page,
        resources=[f.resource for f in state.resources if f.resource],
        resources_skipped=state.skipped, links=state.links, started_at=state.budget.started_at or state.started_at,
        finished_at=utcnow(),
    )  # fmt: skip


@dataclass
class CaptureRecord:
    """Everything the recorder needs to write one capture's evidence (picklable, no Scrapy objects)."""

    result: CaptureResult
    exchanges: list[Exchange]
    # Decoded bodies of the page and each fetched resource. The Resource objects are the ones in
    # result (pickling keeps shared references), so hashes and blob keys set here show in the result.
    bodies: list[tuple[Resource, bytes]]
    references: list[str] = field(default_factory=list)  # the reports this capture is evidence for
    documents: list[Document] = field(default_factory=list)  # a browser's screenshot and rendered DOM

    def size(self) -> int:
        """Bytes of bodies this record holds (what the recorder's backlog is measured in)."""
        return (sum(len(e.body) for e in self.exchanges) + sum(len(b) for _, b in self.bodies)
                + sum(len(d.body) for d in self.documents))


def to_record(state: JobState, result: CaptureResult) -> CaptureRecord:
    """Hand the capture over; the state lets go of its bodies."""
    bodies = [(f.resource, f.payload) for f in state.fetches() if f.payload is not None and f.resource is not None]
    record = CaptureRecord(result, state.exchanges, bodies, list(state.job.references), state.documents)
    state.exchanges, state.documents = [], []
    for fetch in state.fetches():
        fetch.payload = None
    return record


def write_evidence(record: CaptureRecord, store: EvidenceStore) -> CaptureResult:
    """Hash every body, seal media into the blob store and the exchanges into one WARC.

    Returns the result with hashes, blob keys and the WARC path filled in.
    """
    result = record.result
    sha256_of: dict[int, str] = {}
    for resource, payload in record.bodies:
        hashes = digests(payload)
        resource.md5, resource.sha1, resource.sha256 = hashes.md5, hashes.sha1, hashes.sha256
        sha256_of[id(payload)] = hashes.sha256
        if resource.kind != "page":  # the page is evidence in the WARC; media also feed fingerprints
            resource.blob = store.put_blob(payload, resource.sha256)
    for exchange in record.exchanges:  # an uncoded body is its own payload: reuse its digest
        known = sha256_of.get(id(exchange.body))
        exchange.body_sha256 = bytes.fromhex(known) if known else None
    for document in record.documents:
        if document.uri == screenshot_uri(result.url):
            result.screenshot_sha256 = hashlib.sha256(document.body).hexdigest()
    if record.exchanges:
        # One name for the capture everywhere: its metadata record's URI, the sealed file and the
        # exported `.warc.gz` that warcinfo names (recaptures of a URL never share a file).
        capture_id = f"{result.job_id}-{result.started_at:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        name = f"hotline-{capture_id}"
        metadata = result.model_dump(mode="json", exclude={"warc"}) | {"capture_id": capture_id}
        info = {"isPartOf": ", ".join(record.references)} if record.references else {}
        warc = build_warc(record.exchanges, metadata, target_uri=result.url, capture_id=capture_id,
                          filename=name + EXPORT_SUFFIX, info=info, documents=record.documents)
        result.warc = store.write_warc(name, warc)
    return result


def monotonic() -> float:
    return time.monotonic()
