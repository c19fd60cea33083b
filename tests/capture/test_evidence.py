"""The evidence store: sealed at rest, content-addressed blobs, WARC export that warcio reads back."""

from __future__ import annotations

import gzip
import hashlib
import io
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from hotline.evidence import (
    EvidenceCryptoError,
    EvidenceNotFound,
    EvidenceStore,
    generate_master_key,
    load_or_create_master_key,
)
from hotline.evidence.warc import Exchange, Sha256WARCWriter, build_warc

PNG_LIKE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def local_store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", generate_master_key())


def test_master_key_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = load_or_create_master_key(tmp_path)
    second = load_or_create_master_key(tmp_path)
    assert first == second and len(first) == 32
    mode = (tmp_path / "keys" / "master.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_blobs_are_content_addressed_and_encrypted_at_rest(local_store: EvidenceStore) -> None:
    key = local_store.put_blob(PNG_LIKE)
    assert key == hashlib.sha256(PNG_LIKE).hexdigest()
    on_disk = local_store.blob_path(key).read_bytes()
    assert PNG_LIKE[:64] not in on_disk and bytes(range(256)) not in on_disk
    assert local_store.get_blob(key) == PNG_LIKE
    assert local_store.put_blob(PNG_LIKE) == key  # stored once
    assert len(list((local_store.root / "blobs").rglob("*.enc"))) == 1


def test_a_wrong_master_key_or_an_altered_file_is_refused(local_store: EvidenceStore) -> None:
    key = local_store.put_blob(PNG_LIKE)
    stranger = EvidenceStore(local_store.root, generate_master_key())
    with pytest.raises(EvidenceCryptoError, match="different master key"):
        stranger.get_blob(key)
    path = local_store.blob_path(key)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(EvidenceCryptoError, match="failed authentication"):
        local_store.get_blob(key)


def test_missing_evidence_and_paths_outside_the_store_are_errors(local_store: EvidenceStore) -> None:
    with pytest.raises(EvidenceNotFound):
        local_store.get_blob("0" * 64)
    with pytest.raises(ValueError):
        local_store.open_warc("../../etc/passwd")
    with pytest.raises(ValueError):
        local_store.write_warc("../escape", b"x")


def _sample_warc() -> bytes:
    when = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    exchanges = [
        Exchange("http://site.example/", 302, [("Location", "/p")], b"", [("User-Agent", "UA")], ip="5.2.130.10", date=when),
        Exchange(
            "http://site.example/p", 200, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
            b"<img src=a.png>", [("Referer", "http://ref.example/")], ip="5.2.130.10", date=when,
        ),
        Exchange("http://site.example/a.png", 200, [("Content-Type", "image/png")], PNG_LIKE, ip="5.2.130.10", date=when),
    ]
    return build_warc(exchanges, {"job_id": "j1", "outcome": "ok"}, target_uri="http://site.example/")


def test_exported_warc_is_per_record_gzip_and_warcio_reads_every_record(
        local_store: EvidenceStore, tmp_path: Path) -> None:
    relative = local_store.write_warc("cap-1", _sample_warc())
    assert b"WARC/1.1" not in (local_store.root / relative).read_bytes()  # sealed at rest

    [exported] = local_store.export([relative], tmp_path / "out")

    assert exported.name == "cap-1.warc.gz"
    assert gzip.decompress(exported.read_bytes()) == local_store.open_warc(relative)  # the sealed bytes
    with exported.open("rb") as handle:
        records = [(r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(handle)]
    kinds = [kind for kind, _, _ in records]
    assert kinds == ["warcinfo"] + ["response", "request"] * 3 + ["metadata"]
    responses = [(h, body) for kind, h, body in records if kind == "response"]
    assert responses[2][1] == PNG_LIKE
    assert all(h.get_header("WARC-IP-Address") == "5.2.130.10" for h, _ in responses)
    assert all(h.get_header("WARC-Payload-Digest").startswith("sha256:") for h, _ in responses)
    assert responses[1][1] == b"<img src=a.png>"  # not de-chunked twice: Transfer-Encoding was dropped
    requests = [(h, body) for kind, h, body in records if kind == "request"]
    response_ids = [h.get_header("WARC-Record-ID") for h, _ in responses]
    assert [h.get_header("WARC-Concurrent-To") for h, _ in requests] == response_ids
    assert [h.get_header("WARC-Concurrent-To") for h, _ in responses] == [
        h.get_header("WARC-Record-ID") for h, _ in requests]
    [(_, meta, _)] = [r for r in records if r[0] == "metadata"]
    assert meta.get_header("WARC-Target-URI").startswith("urn:hotline:capture:")
    assert meta.get_header("WARC-Refers-To") == response_ids[0]


def _legacy_warc() -> bytes:
    """A WARC as hotline wrote them before: request before response, only the request naming its
    partner, the metadata record under the page's URI and warcinfo calling the file capture.warc."""
    out = io.BytesIO()
    writer = Sha256WARCWriter(out, gzip=False, warc_version="WARC/1.1")
    writer.write_record(writer.create_warcinfo_record("capture.warc", {"software": "hotline capture"}))
    page = "http://site.example/"
    response = writer.create_warc_record(
        page, "response", payload=io.BytesIO(b"<html>old</html>"), length=16,
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
    request = writer.create_warc_record(
        page, "request", payload=io.BytesIO(b""), length=0,
        http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "site.example")], is_http_request=True),
        warc_headers_dict={"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})
    writer.write_record(request)
    writer.write_record(response)
    writer.write_record(writer.create_warc_record(page, "metadata", payload=io.BytesIO(b"{}"), length=2,
                                                  warc_content_type="application/json"))
    return out.getvalue()


def test_a_warc_sealed_in_the_earlier_layout_still_reads_and_exports(
        local_store: EvidenceStore, tmp_path: Path) -> None:
    from hotline.evidence.wacz import capture_pages
    from hotline.evidence.warc import response_payload

    relative = local_store.write_warc("17", _legacy_warc())

    [exported] = local_store.export([relative], tmp_path / "out")

    assert exported.name == "17.warc.gz"
    assert gzip.decompress(exported.read_bytes()) == local_store.open_warc(relative)
    assert response_payload(local_store.open_warc(relative), "http://site.example/") == b"<html>old</html>"
    assert [page.url for page in capture_pages(exported)] == ["http://site.example/"]
    with exported.open("rb") as handle:
        assert [r.rec_type for r in ArchiveIterator(handle, check_digests="raise")] == [
            "warcinfo", "request", "response", "metadata"]


def test_warcio_verifies_the_sha256_digests(local_store: EvidenceStore) -> None:
    data = local_store.open_warc(local_store.write_warc("cap-2", _sample_warc()))
    records = list(ArchiveIterator(io.BytesIO(data), check_digests="raise"))
    assert len(records) == 8
