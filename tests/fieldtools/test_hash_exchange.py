"""Hash lists both ways with python-threatexchange, the reference for how partners exchange signals and
compute PDQ: files its CLI writes are imported by `hotline hashlist import`, and what `hotline hashlist
export` writes its CLI fetches and matches with. An animated GIF shows which PDQ agrees with it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from fingerprints import fingerprint_bytes
from hotline.auth import create_user
from hotline.executors.embedded import process_until_idle
from hotline.models import Fingerprint, Match, MediaItem
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet
from tests.support.synthetic import drawn_image, encode
from tests.support.threatexchange import ThreatExchangeCLI, hamming, parse_csv

REPO = Path(__file__).resolve().parents[2]
HOST = "galerie.hash-demo.ro"
_rng = random.Random(1616)
OTHER_PDQS = [f"{_rng.getrandbits(256):064x}" for _ in range(2)]
# Synthetic pictures: an RGB PNG, the same drawing as a palette PNG, and an animated GIF.
PICTURES = {
    "/img/rgb.png": encode(drawn_image(21), "PNG"),
    "/img/palette.png": encode(drawn_image(22).quantize(256), "PNG"),
    "/img/animated.gif": encode(drawn_image(23), "GIF", save_all=True, append_images=[drawn_image(24)],
                                duration=100),
}
CONTENT_TYPES = {"png": "image/png", "gif": "image/gif"}
BASELINE = {"legal": "baseline", "content_type": "image", "age_group": "pre-pubescent", "gender": "unknown"}


def _hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done


@dataclass
class Site:
    net: SyntheticInternet
    files: dict[str, Path]  # the pictures as files, for threatexchange's `hash photo` and `match photo`


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("pictures")
    files = {}
    with SyntheticInternet(default_sites=False) as net:
        net.add_host(HOST, country="RO")
        net.add_page(HOST, "/page", html="".join(f"<img src='{path}'>" for path in PICTURES))
        for path, body in PICTURES.items():
            net.add_bytes(HOST, path, body, CONTENT_TYPES[path[-3:]])
            files[path] = folder / path.rsplit("/", 1)[1]
            files[path].write_bytes(body)
        yield Site(net, files)


@pytest.fixture
def app(make_hotline, site: Site):  # type: ignore[no-untyped-def]
    return make_hotline(dns_nameservers=[site.net.dns_nameserver], rdap_url=site.net.rdap_url,
                        egress_proxy=site.net.proxy_url)


def _env(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(app.settings.data_dir)}


def _capture(app) -> int:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        url_id = submit_report(session, [f"http://{HOST}/page"], category="csam").urls[0].id
    process_until_idle(app)
    return int(url_id)


def _pictures(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Item-level hashes of each captured picture, by its path."""
    with app.db.sessions() as session:
        rows = session.execute(select(MediaItem.url, Fingerprint.kind, Fingerprint.value)
                               .join(Fingerprint).where(MediaItem.kind == "image", Fingerprint.frame == -1))
        found: dict[str, dict[str, str]] = {}
        for url, kind, value in rows:
            found.setdefault(url.removeprefix(f"http://{HOST}"), {})[kind] = value
    return found


# -- PDQ: which agrees with python-threatexchange ---------------------------------------------------
def test_an_animated_gif_gets_the_pdq_threatexchange_computes_beside_the_reference_one(
        threatexchange: ThreatExchangeCLI, site: Site) -> None:
    """python-threatexchange (and HMA) hash the first frame's palette indices; the reference PDQ hashes
    colours. We store both where they differ: pdq_tx is theirs exactly, pdq stays the reference."""
    for path in ("/img/animated.gif", "/img/palette.png", "/img/rgb.png"):
        theirs = threatexchange.hash_photo(site.files[path])
        ours = fingerprint_bytes(PICTURES[path]).hashes
        assert theirs is not None
        if path == "/img/rgb.png":
            assert "pdq_tx" not in ours and ours["pdq"] == theirs  # the same pixels: one hash
            continue
        first_frame = Image.open(io.BytesIO(PICTURES[path])).convert("RGB")
        assert ours["pdq_tx"] == theirs, path
        assert ours["pdq"] == fingerprint_bytes(encode(first_frame, "PNG")).hashes["pdq"]  # the colours
        assert hamming(ours["pdq"], theirs) > 31, path  # a list entry made by HMA would miss it


def test_a_list_made_with_threatexchange_matches_the_gif_it_was_made_from(
        app, threatexchange: ThreatExchangeCLI, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # given the GIF's PDQ as a partner using HMA computes it, in a list written by threatexchange's CLI
    gif = threatexchange.hash_photo(site.files["/img/animated.gif"])
    assert gif is not None
    csv_text, _ = threatexchange.export("partner", [("pdq", gif), *(("pdq", h) for h in OTHER_PDQS)])
    listed = tmp_path / "partner.csv"
    listed.write_text(csv_text)
    _hotline(_env(app), "hashlist", "import", str(listed), "--name", "partner", "--verdict", "baseline")
    # when the page showing the GIF is captured and fingerprinted
    _capture(app)
    # then the GIF matches the partner's entry through the threatexchange-compatible PDQ, at distance 0
    with app.db.sessions() as session:
        matches = session.execute(select(MediaItem.url, Match.kind, Match.distance).join(Match.media_item)).all()
    assert [(url.rsplit("/", 1)[1], kind, distance) for url, kind, distance in matches] == [
        ("animated.gif", "pdq_tx", 0)]


# -- their files, imported ---------------------------------------------------------------------------
def test_threatexchange_csv_and_line_exports_import_with_other_signal_types_counted(
        app, threatexchange: ThreatExchangeCLI, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = b"synthetic bytes standing in for a video file"
    (tmp_path / "clip.mp4").write_bytes(video)
    hashed = threatexchange.run("hash", "video", tmp_path / "clip.mp4").stdout.split()
    video_signals = list(zip(hashed[::2], hashed[1::2], strict=True))
    assert {kind for kind, _ in video_signals} == {"video_md5", "video_sha256"}
    signals = [("pdq", h) for h in OTHER_PDQS] + video_signals + [("url", "https://example.test/x")]
    csv_text, lines = threatexchange.export("partner", signals)
    assert {row["signal_type"] for row in parse_csv(csv_text)} == {"pdq", "video_md5", "video_sha256", "url"}

    for name, text in (("from-csv", csv_text), ("from-lines", lines)):
        (tmp_path / name).write_text(text)
        done = _hotline(_env(app), "hashlist", "import", str(tmp_path / name), "--name", name, "--verdict",
                        "baseline", "--json")
        summary = json.loads(done.stdout)
        assert (summary["hashes"], summary["skipped"], summary["bad_rows"]) == (4, {"url": 1}, []), name
    with app.db.sessions() as session:
        from hotline.models import HashList, HashListEntry
        stored = session.execute(select(HashList.name, HashListEntry.kind, HashListEntry.value)
                                 .join(HashListEntry.hash_list)).all()
    expected = {("pdq", h) for h in OTHER_PDQS} | {("md5", hashlib.md5(video).hexdigest()),
                                                  ("sha256", hashlib.sha256(video).hexdigest())}
    for name in ("from-csv", "from-lines"):
        assert {(kind, value) for list_name, kind, value in stored if list_name == name} == expected


# -- our exports, read by their CLI --------------------------------------------------------------------
@pytest.fixture
def assessed(app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from hotline.triage.assessment import assess

    url_id = _capture(app)
    with app.db.session() as session:
        user = create_user(session, "ana", "analyst", "correct horse battery staple")
        assess(app, session, url_id, user, BASELINE)
    yield app


def test_our_assessed_hashes_load_into_threatexchange_and_match_the_pictures(
        assessed, threatexchange: ThreatExchangeCLI, site: Site,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    app = assessed
    exported = tmp_path / "hotline.txt"
    done = _hotline(_env(app), "hashlist", "export", "--assessed", "--format", "tx", "--out", str(exported))
    assert "left out" in done.stderr  # the pictures' md5/sha1/sha256: threatexchange names them for videos only

    threatexchange.add_local_collab("hotline", exported)
    threatexchange.fetch()
    fetched = sorted(threatexchange.dataset_lines("hotline").splitlines())

    ours = _pictures(app)
    pdqs = {h.get("pdq_tx") or h["pdq"] for h in ours.values()} | {h["pdq"] for h in ours.values()}
    assert fetched == sorted(f"pdq {value}" for value in pdqs)  # every PDQ, both of a palette picture
    for path, file in site.files.items():
        assert threatexchange.match_photo(file) == ["pdq 0 (hotline) INVESTIGATION_SEED"], path
    stranger = tmp_path / "stranger.png"
    stranger.write_bytes(encode(drawn_image(99), "PNG"))
    assert threatexchange.match_photo(stranger) == []


def test_an_exported_list_is_audited_and_our_csv_comes_back_whole(
        assessed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = assessed
    csv_file = tmp_path / "ours.csv"
    _hotline(_env(app), "hashlist", "export", "--assessed", "--format", "csv", "--out", str(csv_file))
    _hotline(_env(app), "hashlist", "import", str(csv_file), "--name", "round-trip", "--verdict", "baseline")
    _hotline(_env(app), "hashlist", "export", "--name", "round-trip", "--format", "hma", "--out",
             str(tmp_path / "bank.json"))

    events = json.loads(_hotline(_env(app), "audit", "ls", "--action", "hashlist.export", "--json").stdout)
    assert [(e["detail"]["source"], e["detail"]["format"]) for e in reversed(events)] == [
        ("assessed", "csv"), ("round-trip", "hma")]
    with app.db.sessions() as session:
        from hotline.models import HashListEntry
        stored = set(session.execute(select(HashListEntry.kind, HashListEntry.value)).all())
    assert stored == {(kind, value) for hashes in _pictures(app).values() for kind, value in hashes.items()}
    bank = json.loads((tmp_path / "bank.json").read_text())
    assert {c["signals"]["pdq"] for c in bank if "pdq" in c["signals"]} == {
        v for kind, v in stored if kind in ("pdq", "pdq_tx")}
