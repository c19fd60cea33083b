"""Our exported evidence, opened with the field's own tools: pywb replays a capture made by the product
(the page as HTML, every image byte for byte in id_ mode) and py-wacz validates the WACZ we package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import animated_gif_bytes, image_bytes
from tests.support.pywb import PywbFactory, Replay
from tests.support.wacz import wacz_pages, wacz_validate

REPO = Path(__file__).resolve().parents[2]
HOST = "galerie.replay-demo.ro"
HTML = ("<!doctype html><html><head><title>Replay</title></head><body>"
        "<img src='/img/a.png'><img src='/img/b.jpg'><img src='/img/c.gif'></body></html>")
IMAGES = {"/img/a.png": image_bytes(31, "PNG"), "/img/b.jpg": image_bytes(32, "JPEG"),
          "/img/c.gif": animated_gif_bytes(33)}


@dataclass(frozen=True)
class Exported:
    reference: str
    warc: Path
    wacz: Path
    data_dir: Path
    env: dict[str, str]


def _hotline(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    """A report on a synthetic page (reached through a redirect) captured by the product and exported
    both ways: as .warc.gz and as .wacz."""
    work = tmp_path_factory.mktemp("replay")
    with SyntheticInternet(default_sites=False) as net:
        net.add_host(HOST, country="RO")
        net.add_redirect(HOST, "/start", "/page")
        net.add_page(HOST, "/page", html=HTML)
        for path, body in IMAGES.items():
            net.add_bytes(HOST, path, body, {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}[path[-3:]])
        env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(work / "var"), **net.env()}
        _hotline(env, "init")
        reference = json.loads(_hotline(env, "submit", f"http://{HOST}/start", "--json"))["reference"]
        _hotline(env, "process", "--until-idle")
    [warc] = json.loads(_hotline(env, "evidence", "export", reference, "--out", str(work / "warc")))["files"]
    [wacz] = json.loads(_hotline(env, "evidence", "export", reference, "--out", str(work / "wacz"), "--wacz"))["files"]
    yield Exported(reference, Path(warc), Path(wacz), work / "var", env)


def _records(path: Path) -> list[tuple[str, dict[str, str], bytes]]:
    with path.open("rb") as stream:
        return [(r.rec_type, dict(r.rec_headers.headers), r.content_stream().read())
                for r in ArchiveIterator(stream, check_digests="raise")]


def _timestamp(warc: Path, url: str) -> str:
    date = next(h["WARC-Date"] for kind, h, _ in _records(warc) if kind == "response" and h["WARC-Target-URI"] == url)
    return "".join(c for c in date if c.isdigit())[:14]


@pytest.fixture(scope="module")
def replay(pywb_replay: PywbFactory, exported: Exported) -> Replay:
    return pywb_replay(exported.warc)


def test_pywb_replays_the_page_as_html(replay: Replay, exported: Exported) -> None:
    page = f"http://{HOST}/page"
    response = replay.get(page, _timestamp(exported.warc, page))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == HTML.encode()


def test_pywb_replays_the_redirect_the_reporter_followed(replay: Replay, exported: Exported) -> None:
    start = f"http://{HOST}/start"
    response = replay.get(start, _timestamp(exported.warc, start))

    assert response.status_code == 302
    assert response.headers["location"].endswith("/page")


@pytest.mark.parametrize("path", sorted(IMAGES))
def test_pywb_replays_every_image_byte_for_byte(replay: Replay, exported: Exported, path: str) -> None:
    url = f"http://{HOST}{path}"
    response = replay.get(url, _timestamp(exported.warc, url))

    assert response.status_code == 200
    assert response.content == IMAGES[path]


def test_only_pages_and_media_are_indexed_under_web_urls(replay: Replay) -> None:
    """The capture's own account is indexed under its URN, never under the page's URL."""
    lines = [line.split(" ", 2) for line in replay.index.splitlines()]
    by_key = {key: json.loads(body) for key, _, body in lines}

    assert [key for key in by_key if "hotline:capture" in key], by_key.keys()
    assert all(entry["mime"] != "application/json" for key, entry in by_key.items() if key.startswith("ro,"))


def test_the_export_is_per_record_gzip_in_the_order_replay_tools_expect(exported: Exported) -> None:
    data = exported.warc.read_bytes()
    records = _records(exported.warc)
    kinds = [kind for kind, _, _ in records]
    responses = {h["WARC-Record-ID"]: h for kind, h, _ in records if kind == "response"}
    requests = {h["WARC-Record-ID"]: h for kind, h, _ in records if kind == "request"}

    assert exported.warc.name.endswith(".warc.gz")
    assert data[:2] == b"\x1f\x8b" and len(_gzip_members(data)) == len(records)
    assert kinds == ["warcinfo"] + ["response", "request"] * 5 + ["metadata"]
    for record_id, response in responses.items():  # linked both ways
        partner = requests[response["WARC-Concurrent-To"]]
        assert partner["WARC-Concurrent-To"] == record_id
        assert partner["WARC-Target-URI"] == response["WARC-Target-URI"]


def test_warcinfo_names_the_file_the_software_and_the_report(exported: Exported) -> None:
    [(kind, headers, body)] = _records(exported.warc)[:1]
    fields = dict(line.split(": ", 1) for line in body.decode().splitlines() if line)

    assert kind == "warcinfo"
    assert headers["WARC-Filename"] == exported.warc.name
    assert fields["software"].startswith("hotline/")
    assert fields["isPartOf"] == exported.reference


def test_the_metadata_record_has_its_own_uri_and_refers_to_the_page(exported: Exported) -> None:
    records = _records(exported.warc)
    [(_, meta, body)] = [r for r in records if r[0] == "metadata"]
    [start] = [h for kind, h, _ in records if kind == "response" and h["WARC-Target-URI"].endswith("/start")]

    assert meta["WARC-Target-URI"].startswith("urn:hotline:capture:")
    assert meta["WARC-Refers-To"] == start["WARC-Record-ID"]
    assert json.loads(body)["capture_id"] == meta["WARC-Target-URI"].removeprefix("urn:hotline:capture:")


def test_the_wacz_validates_and_lists_the_captured_page(exported: Exported) -> None:
    checked = wacz_validate(exported.wacz)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert [page["url"] for page in wacz_pages(exported.wacz)] == [f"http://{HOST}/start"]
    with zipfile.ZipFile(exported.wacz) as archive:
        [warc_name] = [n for n in archive.namelist() if n.startswith("archive/")]
        assert warc_name == "archive/" + exported.warc.name
        assert archive.read(warc_name) == exported.warc.read_bytes()
    assert oct(exported.wacz.stat().st_mode & 0o777) == "0o600"


def test_each_export_is_audited_with_its_format(exported: Exported) -> None:
    events = json.loads(_hotline(exported.env, "audit", "ls", "--json"))
    exports = [e for e in reversed(events) if e["action"] == "evidence.export"]  # oldest first

    assert [e["detail"]["format"] for e in exports] == ["warc.gz", "wacz"]
    assert exports[0]["detail"]["files"] == [str(exported.warc)]
    assert exports[1]["detail"]["files"] == [str(exported.wacz)]


def _gzip_members(data: bytes) -> list[bytes]:
    """Each gzip member of a file, uncompressed (one per record in a per-record gzipped WARC)."""
    members = []
    while data:
        member = zlib.decompressobj(wbits=31)
        members.append(member.decompress(data))
        data = member.unused_data
    return members
