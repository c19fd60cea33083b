"""Small synthetic WARCs written with warcio, in the record order replay tools expect.

Each exchange is a response record followed by its request record, each naming the other in
WARC-Concurrent-To (as Heritrix, Browsertrix and warcprox write them). Dates are given, so tests know
the 14-digit timestamps to replay at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass(frozen=True)
class Resource:
    """One fetched URL and what the server sent back."""

    url: str
    content_type: str
    body: bytes
    date: datetime
    status: str = "200 OK"
    request_headers: Sequence[tuple[str, str]] = field(default_factory=tuple)


@dataclass(frozen=True)
class Metadata:
    """A WARC metadata record (JSON), e.g. a capture's own account of itself."""

    target_uri: str
    body: bytes
    date: datetime
    content_type: str = "application/json"


def warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamp(when: datetime) -> str:
    """The 14-digit timestamp replay URLs use (/<coll>/<timestamp>id_/<url>)."""
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def write_warc(path: Path, resources: Sequence[Resource], metadata: Sequence[Metadata] = ()) -> Path:
    """Write warcinfo, then response + request per resource, then the metadata records; gzip by suffix."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=path.name.endswith(".gz"), warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "hotline tests"}))
        for resource in resources:
            _write_exchange(writer, resource)
        for meta in metadata:
            writer.write_record(writer.create_warc_record(
                meta.target_uri, "metadata", payload=BytesIO(meta.body), length=len(meta.body),
                warc_content_type=meta.content_type, warc_headers_dict={"WARC-Date": warc_date(meta.date)}))
    return path


def _write_exchange(writer: WARCWriter, resource: Resource) -> None:
    date = warc_date(resource.date)
    headers = [("Content-Type", resource.content_type), ("Content-Length", str(len(resource.body)))]
    response = writer.create_warc_record(
        resource.url, "response", payload=BytesIO(resource.body), length=len(resource.body),
        http_headers=StatusAndHeaders(resource.status, headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date})
    parts = urlsplit(resource.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = writer.create_warc_record(
        resource.url, "request", payload=BytesIO(b""), length=0,
        http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc),
                                                                 *resource.request_headers],
                                      is_http_request=True),
        warc_headers_dict={"WARC-Date": date})
    response.rec_headers.add_header("WARC-Concurrent-To", request.rec_headers.get_header("WARC-Record-ID"))
    request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
    writer.write_record(response)
    writer.write_record(request)
