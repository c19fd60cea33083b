"""The recorder process: it writes what the crawler hands over and reports each result on stdout."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.capture.models import CaptureResult, Hop, Resource
from hotline.capture.record import CaptureRecord
from hotline.capture.recorder import Recorder
from hotline.evidence import EvidenceStore, generate_master_key
from hotline.evidence.warc import Exchange

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20


def _record(job_id: str) -> CaptureRecord:
    now = datetime.now(UTC)
    page = Resource(url="http://site.example/", kind="page", status=200, content_type="text/html")
    image = Resource(url="http://site.example/a.png", kind="image", status=200, content_type="image/png")
    html = b"<img src=a.png>"
    result = CaptureResult(
        job_id=job_id, url=page.url, outcome="ok", hops=[Hop(url=page.url, status=200)], page=page,
        resources=[image], started_at=now, finished_at=now,
    )  # fmt: skip
    exchanges = [Exchange(page.url, 200, [("Content-Type", "text/html")], html),
                 Exchange(image.url, 200, [("Content-Type", "image/png")], IMAGE)]  # fmt: skip
    return CaptureRecord(result, exchanges, [(page, html), (image, IMAGE)])


def test_the_recorder_hashes_seals_and_reports_every_capture(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    key = generate_master_key()
    recorder = Recorder(tmp_path, key)
    recorder.submit(_record("one"))
    recorder.submit(_record("two"))
    assert recorder.close() == 0
    assert recorder.backlog_bytes() == 0

    lines = [json.loads(line)["result"] for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["job_id"] for r in lines] == ["one", "two"]
    store = EvidenceStore(tmp_path, key)
    for reported in lines:
        image = reported["resources"][0]
        assert image["blob"] == image["sha256"] and store.get_blob(image["blob"]) == IMAGE
        assert reported["page"]["sha256"] and reported["page"]["blob"] is None
        assert b"<img src=a.png>" in store.open_warc(reported["warc"])
