"""py-wacz packages a capture's WARC as a WACZ that lists its page, and validates it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.support.synthetic import CAPTURED, SyntheticCapture
from tests.support.wacz import wacz_create, wacz_pages, wacz_validate, write_pages
from tests.support.warcs import warc_date


def _pages(tmp_path: Path, capture: SyntheticCapture) -> Path:
    return write_pages(tmp_path / "pages.jsonl", [
        {"url": capture.page_url, "ts": warc_date(CAPTURED), "title": "Synthetic page"}])


def test_a_wacz_made_with_listed_pages_validates_and_lists_them(
        tmp_path: Path, synthetic_capture: SyntheticCapture) -> None:
    wacz = tmp_path / "capture.wacz"

    wacz_create(wacz, [synthetic_capture.warc], pages=_pages(tmp_path, synthetic_capture))
    checked = wacz_validate(wacz)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Validation succeeded" in checked.stdout
    assert [page["url"] for page in wacz_pages(wacz)] == [synthetic_capture.page_url]
    with zipfile.ZipFile(wacz) as archive:
        assert archive.read("archive/capture.warc.gz") == synthetic_capture.warc.read_bytes()


def test_detected_pages_are_html_responses_named_as_a_referer(
        tmp_path: Path, synthetic_capture: SyntheticCapture) -> None:
    wacz = tmp_path / "detected.wacz"

    wacz_create(wacz, [synthetic_capture.warc], detect_pages=True)

    assert [page["url"] for page in wacz_pages(wacz)] == [synthetic_capture.page_url]
    assert wacz_validate(wacz).returncode == 0


def test_a_wacz_whose_content_changed_after_packaging_fails_validation(
        tmp_path: Path, synthetic_capture: SyntheticCapture) -> None:
    packed, tampered = tmp_path / "capture.wacz", tmp_path / "tampered.wacz"
    wacz_create(packed, [synthetic_capture.warc], pages=_pages(tmp_path, synthetic_capture))
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(tampered, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "pages/pages.jsonl":
                data = data.replace(b"Synthetic page", b"Another title!")
            target.writestr(entry, data)

    checked = wacz_validate(tampered)

    assert checked.returncode == 1
    assert "Validation failed" in checked.stdout
