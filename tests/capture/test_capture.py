"""Capturing ordinary pages: hops, addresses, media, headers sent, evidence written and readable."""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from hotline.capture.models import CaptureJob, CaptureResult
from hotline.evidence import EvidenceStore
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import image_bytes

from .conftest import SITE, Capture

PAGE = """<html><head><title>gallery</title>
<meta property="og:image" content="/og.jpg"></head>
<body><img src="/img/one.png"><img srcset="/img/two.png 1x, /img/two.png 2x">
<div style="background-image:url('/img/three.jpg')"></div></body></html>"""


@pytest.fixture(scope="module")
def site(net: SyntheticInternet) -> dict[str, str]:
    net.add_host(SITE, country="RO")
    net.add_host("www." + SITE, country="RO")
    net.add_page(SITE, "/gallery", html=PAGE)
    net.add_image(SITE, "/img/one.png", seed=11, fmt="PNG")
    net.add_image(SITE, "/img/two.png", seed=12, fmt="PNG")
    net.add_image(SITE, "/img/three.jpg", seed=13, fmt="JPEG")
    net.add_image(SITE, "/og.jpg", seed=14, fmt="JPEG")
    net.add_redirect("www." + SITE, "/start", f"http://{SITE}/hop")
    net.add_redirect(SITE, "/hop", "/gallery", status=301)
    net.add_bytes(SITE, "/zipped", gzip.compress(PAGE.encode()), "text/html", headers={"Content-Encoding": "gzip"})
    net.add_bytes(SITE, "/archive.zip", b"PK\x03\x04" + bytes(100), "application/zip")
    net.add_page(SITE, "/disguised", html="<p>hello</p>")
    return {"start": f"http://www.{SITE}/start", "gallery": f"http://{SITE}/gallery"}


@pytest.fixture(scope="module")
def results(capture: Capture, site: dict[str, str]) -> dict[str, CaptureResult]:
    jobs = [
        CaptureJob(job_id="page", url=site["start"], referer="http://forum.example/thread/9"),
        CaptureJob(job_id="zipped", url=f"http://{SITE}/zipped"),
        CaptureJob(job_id="zip", url=f"http://{SITE}/archive.zip"),
        CaptureJob(job_id="as-reporter", url=f"http://{SITE}/disguised", referer="http://search.example/?q=x",
                   user_agent="Mozilla/5.0 (Linux; Android 14) Mobile", accept_language="nl-NL"),
        CaptureJob(job_id="as-analyst", url=f"http://{SITE}/disguised", referer="http://other.example/"),
    ]  # fmt: skip
    return capture(jobs)


def test_a_page_with_redirects_and_three_images_is_captured_hop_by_hop(
    results: dict[str, CaptureResult], net: SyntheticInternet
) -> None:
    result = results["page"]
    assert result.outcome == "ok", result.reason
    assert [(h.url, h.status) for h in result.hops] == [
        (f"http://www.{SITE}/start", 302), (f"http://{SITE}/hop", 301), (f"http://{SITE}/gallery", 200),
    ]  # fmt: skip
    site_ip = net.zone.resolve(SITE, "A").addresses[0]
    assert result.hops[-1].ip == site_ip and all(h.via_proxy for h in result.hops)
    assert result.hops[0].headers["location"] == f"http://{SITE}/hop"
    assert all(h.elapsed_ms is not None and h.started_at for h in result.hops)
    assert result.final_url == f"http://{SITE}/gallery" and result.status == 200
    assert result.content_type == "text/html"
    media = {r.url.rsplit("/", 1)[-1]: r for r in result.resources}
    assert set(media) == {"one.png", "two.png", "three.jpg", "og.jpg"}
    expected = {"one.png": image_bytes(11, "PNG", (256, 256)), "three.jpg": image_bytes(13, "JPEG", (256, 256))}
    for name, body in expected.items():
        assert media[name].sha256 == hashlib.sha256(body).hexdigest()
        assert media[name].md5 == hashlib.md5(body).hexdigest()
        assert media[name].sha1 == hashlib.sha1(body).hexdigest()
        assert media[name].size == len(body) and media[name].kind == "image" and media[name].ip == site_ip


def test_media_bodies_are_in_the_encrypted_blob_store(results: dict[str, CaptureResult], store: EvidenceStore) -> None:
    for resource in results["page"].resources:
        assert resource.blob == resource.sha256
        assert hashlib.sha256(store.get_blob(resource.blob)).hexdigest() == resource.sha256
    page = results["page"].page
    assert page is not None and page.blob is None  # the page itself is evidence in the WARC only


def test_the_warc_export_holds_every_exchange_and_warcio_reads_it_back(
    results: dict[str, CaptureResult], store: EvidenceStore, tmp_path: Path
) -> None:
    result = results["page"]
    assert result.warc and result.warc.endswith(".warc.enc")

    [exported] = store.export([result.warc], tmp_path)

    with exported.open("rb") as handle:
        records = [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
                   for r in ArchiveIterator(handle, check_digests="raise")]  # fmt: skip
    responses = {h.get_header("WARC-Target-URI"): (http, body) for kind, h, http, body in records if kind == "response"}
    assert f"http://www.{SITE}/start" in responses and f"http://{SITE}/gallery" in responses
    assert len(responses) == 3 + 4
    image = next(r for r in result.resources if r.url.endswith("one.png"))
    assert hashlib.sha256(responses[image.url][1]).hexdigest() == image.sha256
    requests = [http for kind, _, http, _ in records if kind == "request"]
    first = requests[0]
    assert first.get_header("Referer") == "http://forum.example/thread/9"
    assert first.get_header("Host") == f"www.{SITE}"
    metadata = [body for kind, _, _, body in records if kind == "metadata"]
    assert b'"job_id": "page"' in metadata[0]


def test_compressed_pages_are_hashed_decoded_and_archived_as_sent(
    results: dict[str, CaptureResult], store: EvidenceStore
) -> None:
    result = results["zipped"]
    assert result.outcome == "ok" and result.page is not None
    assert result.page.sha256 == hashlib.sha256(PAGE.encode()).hexdigest()
    assert len(result.resources) == 4  # media found in the decoded page
    warc = store.open_warc(result.warc or "")
    page = next(r for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "response")
    assert page.http_headers.get_header("Content-Encoding") == "gzip"
    assert page.raw_stream.read(2) == b"\x1f\x8b"  # wire bytes as sent
    page = next(r for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "response")
    assert page.content_stream().read() == PAGE.encode()  # and any WARC reader can decode them


def test_a_content_type_outside_the_allowed_list_is_refused(results: dict[str, CaptureResult]) -> None:
    result = results["zip"]
    assert result.outcome == "refused" and "application/zip" in (result.reason or "")
    assert result.page is not None and result.page.blob is None


def test_referer_user_agent_and_language_are_sent_per_job(net: SyntheticInternet, results: dict[str, CaptureResult]) -> None:
    assert results["as-reporter"].outcome == "ok" and results["as-analyst"].outcome == "ok"
    seen = [r.headers for r in net.requests if r.path == "/disguised"]
    headers = [{k.lower(): v for k, v in h.items()} for h in seen]
    reporter = next(h for h in headers if h.get("referer") == "http://search.example/?q=x")
    assert reporter["user-agent"] == "Mozilla/5.0 (Linux; Android 14) Mobile"
    assert reporter["accept-language"] == "nl-NL"
    analyst = next(h for h in headers if h.get("referer") == "http://other.example/")
    assert analyst["user-agent"].startswith("Mozilla/5.0 (Windows NT 10.0")
    assert all("cookie" not in h for h in headers)
