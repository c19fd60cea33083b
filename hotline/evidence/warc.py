"""Build one capture's WARC file (ISO 28500, WARC/1.1 records via warcio) in memory.

Records come in the order replay tools (pywb, ReplayWeb.page, py-wacz) and crawlers (Heritrix,
Browsertrix, warcprox) use: warcinfo first, naming the file, the software and the report; then per
HTTP exchange a response record followed by its request record, each naming the other in
WARC-Concurrent-To, with WARC-IP-Address and SHA-256 block and payload digests; last the capture's own
account (hops, TLS, hashes) as a JSON metadata record under the capture's own URI
(`urn:hotline:capture:<id>`), pointing at the page's response with WARC-Refers-To. Under the page's URI
it would be indexed as the page and replayed instead of it. Bodies are the bytes as received, still
content-encoded.

Files written before this layout (requests first, the metadata record under the page's URI, warcinfo
naming "capture.warc") stay readable by the same readers: nothing here depends on the order.
"""

from __future__ import annotations

import base64
import gzip as gzip_module
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from http.client import responses as HTTP_REASONS
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

# Scrapy hands over the body with chunked transfer coding already removed; keeping the header would
# make WARC readers de-chunk a body that is not chunked.
_DROPPED_RESPONSE_HEADERS = {"transfer-encoding"}
CAPTURE_URN = "urn:hotline:capture:"
WARC_1_1 = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"


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


@cache
def software_version() -> str:
    """"hotline/<version> (warcio/<version>)": what wrote the file, for warcinfo's `software`."""
    def of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "unknown"

    return f"hotline/{of('hotline')} (warcio/{of('warcio')})"


def capture_uri(capture_id: str) -> str:
    """The URI of a capture's own metadata record: never a web URL, so no replay tool serves it as one."""
    return CAPTURE_URN + capture_id


def _sha256_label(digest: bytes) -> str:
    return "sha256:" + base64.b32encode(digest).decode("ascii")


def _warc_date(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if when else None


def _request_target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return path, parts.netloc


def _present(headers: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if v}


def _write_exchange(writer: WARCWriter, ex: Exchange) -> str:
    """Response, then request, each naming the other; returns the response's record id."""
    date = _warc_date(ex.date)
    response_headers = [(k, v) for k, v in ex.response_headers if k.lower() not in _DROPPED_RESPONSE_HEADERS]
    status_line = f"{ex.status} {ex.reason or HTTP_REASONS.get(ex.status, 'Unknown')}"
    response = writer.create_warc_record(
        ex.url,
        "response",
        payload=BytesIO(ex.body),
        length=len(ex.body),
        http_headers=StatusAndHeaders(status_line, response_headers, protocol="HTTP/1.1"),
        warc_headers_dict=_present({
            "WARC-Date": date,
            "WARC-IP-Address": ex.ip,
            "WARC-Payload-Digest": _sha256_label(ex.body_sha256) if ex.body_sha256 else None,
        }),
    )
    path, host = _request_target(ex.url)
    request_headers = [("Host", host)] + [(k, v) for k, v in ex.request_headers if k.lower() != "host"]
    request = writer.create_warc_record(
        ex.url,
        "request",
        payload=BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(f"{ex.method} {path} HTTP/1.1", request_headers, is_http_request=True),
        warc_headers_dict=_present({"WARC-Date": date}),
    )
    response_id = str(response.rec_headers.get_header("WARC-Record-ID"))
    response.rec_headers.add_header("WARC-Concurrent-To", request.rec_headers.get_header("WARC-Record-ID"))
    request.rec_headers.add_header("WARC-Concurrent-To", response_id)
    writer.write_record(response)
    writer.write_record(request)
    return response_id


def build_warc(
    exchanges: list[Exchange],
    metadata: dict[str, Any],
    *,
    target_uri: str,
    software: str | None = None,
    gzip: bool = False,
    capture_id: str | None = None,
    filename: str | None = None,
    info: Mapping[str, str] | None = None,
    documents: Sequence[Document] = (),
) -> bytes:
    """The WARC bytes: warcinfo, response and request per exchange, a resource record per document (a
    browser's screenshot and rendered DOM), then the JSON metadata record.

    `target_uri` is the page the capture is of (the metadata record refers to its first response);
    `capture_id` names the metadata record (`urn:hotline:capture:<id>`, a random id when not given);
    `filename` is the file's name as WARC tools will see it (warcinfo's WARC-Filename); `info` adds
    warcinfo fields, e.g. {"isPartOf": "HL-2026-000123"}.
    """
    out = BytesIO()
    writer = Sha256WARCWriter(out, gzip=gzip, warc_version="WARC/1.1")
    capture_id = capture_id or uuid.uuid4().hex
    fields = {"software": software or software_version(), "format": "WARC File Format 1.1",
              "conformsTo": WARC_1_1, **(info or {})}
    name = filename or f"{capture_id}.warc{'.gz' if gzip else ''}"
    writer.write_record(writer.create_warcinfo_record(name, fields))
    page_response: str | None = None
    for ex in exchanges:
        response_id = _write_exchange(writer, ex)
        if page_response is None and ex.url == target_uri:
            page_response = response_id
    for doc in documents:
        _write_document(writer, doc)
    body = json.dumps(metadata, default=str, sort_keys=True).encode()
    dates = [ex.date for ex in exchanges if ex.date]
    writer.write_record(
        writer.create_warc_record(
            capture_uri(capture_id),
            "metadata",
            payload=BytesIO(body),
            length=len(body),
            warc_content_type="application/json",
            warc_headers_dict=_present({"WARC-Refers-To": page_response, "WARC-Date": _warc_date(dates[0])
                                        if dates else None}),
        )
    )
    return out.getvalue()


def records_gzipped(warc: bytes, level: int = 6) -> Iterator[bytes]:
    """The file as per-record gzip (`.warc.gz`): each record, byte for byte, its own gzip member, so
    `zcat` gives back exactly `warc` and readers can seek to any record. A file already compressed
    comes out as it is."""
    if warc[:2] == b"\x1f\x8b":
        yield warc
        return
    iterator = ArchiveIterator(BytesIO(warc))
    try:
        # A record runs to where the next one starts (its trailing CRLF CRLF included).
        starts = [iterator.get_record_offset() for _record in iterator] + [len(warc)]
    except ArchiveLoadFailed:
        # Not parseable as records (damaged): still hand over every byte, as one gzip member.
        yield gzip_module.compress(warc, compresslevel=level, mtime=0)
        return
    for start, end in pairwise(starts):
        yield gzip_module.compress(warc[start:end], compresslevel=level, mtime=0)


def response_payload(warc: bytes, target_uri: str) -> bytes | None:
    """The body a WARC recorded for `target_uri` (the last response for it), decoded as the server sent
    it (chunking removed; content-encoding such as gzip is kept as recorded), or None."""
    found: bytes | None = None
    for record in ArchiveIterator(BytesIO(warc)):
        if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == target_uri:
            found = record.content_stream().read()
    return found


def document_payload(warc: bytes, uri: str) -> bytes | None:
    """The body of the resource record (a Document) named `uri`, or None."""
    for record in ArchiveIterator(BytesIO(warc)):
        if record.rec_type == "resource" and record.rec_headers.get_header("WARC-Target-URI") == uri:
            return bytes(record.content_stream().read())
    return None


def screenshot_uri(page_url: str) -> str:
    return f"urn:fullPage:{page_url}"


def dom_uri(page_url: str) -> str:
    return f"urn:dom:{page_url}"
