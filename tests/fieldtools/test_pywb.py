"""pywb replays a capture's WARC: the page as HTML and the image byte for byte (id_ mode)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.pywb import PywbFactory, Replay
from tests.support.synthetic import CAPTURED, SyntheticCapture
from tests.support.warcs import Metadata, Resource, timestamp, write_warc

COLLIDING_PAGE = "http://collide.example.test/page"
SEPARATE_PAGE = "http://separate.example.test/page"
HTML = b"<!doctype html><html><body><p>the page itself</p></body></html>"
CAPTURE_ACCOUNT = json.dumps({"hops": 1, "tls": None}).encode()


def _page_with_metadata(path: Path, page: str, metadata_uri: str) -> Path:
    """A page's response plus a JSON metadata record, both dated the second the page was fetched."""
    return write_warc(path, [Resource(page, "text/html", HTML, CAPTURED)],
                      [Metadata(metadata_uri, CAPTURE_ACCOUNT, CAPTURED)])


@pytest.fixture(scope="module")
def replay(pywb_replay: PywbFactory, synthetic_capture: SyntheticCapture,
           tmp_path_factory: pytest.TempPathFactory) -> Replay:
    folder = tmp_path_factory.mktemp("metadata-warcs")
    return pywb_replay(
        synthetic_capture.warc,
        # How hotline wrote the capture's metadata record before issue 16: under the page's own URI and date.
        _page_with_metadata(folder / "colliding.warc.gz", COLLIDING_PAGE, COLLIDING_PAGE),
        _page_with_metadata(folder / "separate.warc.gz", SEPARATE_PAGE, "urn:hotline:capture:1"),
    )


def test_the_page_comes_back_as_html(replay: Replay, synthetic_capture: SyntheticCapture) -> None:
    response = replay.get(synthetic_capture.page_url, synthetic_capture.timestamp)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == synthetic_capture.html


def test_the_image_comes_back_byte_for_byte(replay: Replay, synthetic_capture: SyntheticCapture) -> None:
    response = replay.get(synthetic_capture.image_url, synthetic_capture.timestamp)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == synthetic_capture.png


def test_a_url_not_in_the_capture_is_not_found(replay: Replay, synthetic_capture: SyntheticCapture) -> None:
    response = replay.get("http://pages.example.test/never-fetched", synthetic_capture.timestamp)

    assert response.status_code == 404


def test_a_metadata_record_with_the_page_uri_and_date_is_served_instead_of_the_page(replay: Replay) -> None:
    """The defect of hotline's earlier WARCs, as pywb shows it: the index keeps both records under the same URL key and
    second, sorted by the rest of the CDXJ line, and "application/json" sorts before "text/html"."""
    response = replay.get(COLLIDING_PAGE, timestamp(CAPTURED))

    assert response.content == CAPTURE_ACCOUNT
    assert response.headers["content-type"] == "application/json"
    lines = [line for line in replay.index.splitlines() if line.startswith("test,example,collide)/page ")]
    assert [json.loads(line.split(" ", 2)[2])["mime"] for line in lines] == ["application/json", "text/html"]


def test_a_metadata_record_under_its_own_uri_leaves_the_page_alone(replay: Replay) -> None:
    response = replay.get(SEPARATE_PAGE, timestamp(CAPTURED))

    assert response.headers["content-type"] == "text/html"
    assert response.content == HTML
