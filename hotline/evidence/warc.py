"""Build one capture's WARC file (ISO 28500, WARC/1.1 records via warcio) in memory.

Each HTTP exchange becomes a request record and a response record (linked by WARC-Concurrent-To,
with WARC-IP-Address and SHA-256 block and payload digests); the capture's own account (hops, TLS,
hashes) follows as a metadata record. Bodies are the bytes as received, still content-encoded.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.client import responses as HTTP_REASONS
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

# Scrapy hands over the body with chunked transfer coding already removed; keeping the header would
# make WARC readers de-chunk a body that is not chunked.
_DROPPED_RESPONSE_HEADERS = {"transfer-encoding"}


class Sha256WARCWriter(WARCWriter):  # type: ignore[misc]
    _create_digester = staticmethod(lambda: Digester("sha256"))


@dataclass
class Exchange:
    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"
    reason: str = ""
    ip: str | None = None
    date: datetime | None = None
    body_sha256: bytes | None = None  # raw SHA-256 of body when the caller has it (saves hashing again)


@dataclass
class Document:
    """Something the capture made rather than received (a browser's screenshot or rendered DOM): one
    `resource` record, named by a URN that carries the page's URL (``urn:fullPage:<url>``, ``urn:dom:<url>``)
    so replay tools never mistake it for the page."""

    uri: str
    content_type: str
    body: bytes
    date: datetime | None = None


def _write_document(writer: WARCWriter, doc: Document) -> None:
    date = _warc_date(doc.date)
    writer.write_record(writer.create_warc_record(
        doc.uri, "resource", payload=BytesIO(doc.body), length=len(doc.body), warc_content_type=doc.content_type,
        warc_headers_dict={"WARC-Date": date} if date else {},
    ))


def _sha256_label(digest: bytes) -> str:
    return "sha256:" + base64.b32encode(digest).decode("ascii")


def _warc_date(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if when else None


def _request_target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return path, parts.netloc


def _write_exchange(writer: WARCWriter, ex: Exchange) -> None:
    date = _warc_date(ex.date)
    response_headers = [(k, v) for k, v in ex.response_headers if k.lower() not in _DROPPED_RESPONSE_HEADERS]
    status_line = f"{ex.status} {ex.reason or HTTP_REASONS.get(ex.status, 'Unknown')}"
    response = writer.create_warc_record(
        ex.url,
        "response",
        payload=BytesIO(ex.body),
        length=len(ex.body),
        http_headers=StatusAndHeaders(status_line, response_headers, protocol="HTTP/1.1"),
        warc_headers_dict={
            k: v
            for k, v in {
                "WARC-Date": date,
                "WARC-IP-Address": ex.ip,
                "WARC-Payload-Digest": _sha256_label(ex.body_sha256) if ex.body_sha256 else None,
            }.items()
            if v
        },
    )
    path, host = _request_target(ex.url)
    request_headers = [("Host", host)] + [(k, v) for k, v in ex.request_headers if k.lower() != "host"]
    request = writer.create_warc_record(
        ex.url,
        "request",
        payload=BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(f"{ex.method} {path} HTTP/1.1", request_headers, is_http_request=True),
        warc_headers_dict={
            k: v
            for k, v in {
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            }.items()
            if v
        },
    )
    writer.write_record(request)
    writer.write_record(response)


def build_warc(
    exchanges: list[Exchange],
    metadata: dict[str, Any],
    *,
    target_uri: str,
    software: str = "hotline capture",
    gzip: bool = False,
    documents: Sequence[Document] = (),
) -> bytes:
    """The WARC bytes: warcinfo, request/response per exchange, a resource record per document, then a
    JSON metadata record."""
    out = BytesIO()
    writer = Sha256WARCWriter(out, gzip=gzip, warc_version="WARC/1.1")
    writer.write_record(
        writer.create_warcinfo_record("capture.warc", {"software": software, "format": "WARC File Format 1.1"})
    )
    for ex in exchanges:
        _write_exchange(writer, ex)
    for doc in documents:
        _write_document(writer, doc)
    body = json.dumps(metadata, default=str, sort_keys=True).encode()
    writer.write_record(
        writer.create_warc_record(
            target_uri,
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/json",
        )
    )
    return out.getvalue()


def response_payload(warc: bytes, target_uri: str) -> bytes | None:
    """The body a WARC recorded for `target_uri` (the last response for it), decoded as the server sent
    it (chunking removed; content-encoding such as gzip is kept as recorded), or None."""
    from warcio.archiveiterator import ArchiveIterator

    found: bytes | None = None
    for record in ArchiveIterator(BytesIO(warc)):
        if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == target_uri:
            found = record.content_stream().read()
    return found


def document_payload(warc: bytes, uri: str) -> bytes | None:
    """The body of the resource record (a Document) named `uri`, or None."""
    from warcio.archiveiterator import ArchiveIterator

    for record in ArchiveIterator(BytesIO(warc)):
        if record.rec_type == "resource" and record.rec_headers.get_header("WARC-Target-URI") == uri:
            return bytes(record.content_stream().read())
    return None


def screenshot_uri(page_url: str) -> str:
    return f"urn:fullPage:{page_url}"


def dom_uri(page_url: str) -> str:
    return f"urn:dom:{page_url}"
