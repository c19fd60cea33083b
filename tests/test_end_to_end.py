"""The walking skeleton: submit, process and show, on the synthetic internet, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.synthnet import SyntheticInternet

REPO = Path(__file__).resolve().parents[1]

SITES = {
    "ro": ("galerie.sintetic-demo.ro", "RO"),
    "nl": ("forum.synthetisch-demo.nl", "NL"),
    "us": ("pictures.synthetic-demo.com", "US"),
}


@pytest.fixture(scope="module")
def three_sites():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as net:
        for key, (host, country) in SITES.items():
            net.add_host(host, country=country)
            images = "".join(f"<img src='/img/{n}.png' alt=''>" for n in range(3))
            net.add_page(host, "/page", html=f"<html><title>{key}</title><body>{images}</body></html>")
            for n in range(3):
                net.add_image(host, f"/img/{n}.png", seed=100 * list(SITES).index(key) + n)
        yield net


def _hotline(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_three_urls_are_captured_hashed_located_and_routed(three_sites, tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path / "var"), **three_sites.env()}
    urls = [f"http://{host}/page" for host, _ in SITES.values()]

    _hotline(env, "init")
    reference = json.loads(_hotline(env, "submit", *urls, "--category", "csam", "--json"))["reference"]
    _hotline(env, "process", "--until-idle")
    report = json.loads(_hotline(env, "show", reference, "--json"))

    assert report["reference"] == reference
    by_url = {u["url"]: u for u in report["urls"]}
    assert set(by_url) == set(urls)
    for host, country in SITES.values():
        url = by_url[f"http://{host}/page"]
        assert url["state"] == "triaged"
        assert url["capture"]["outcome"] == "ok" and url["capture"]["status"] == 200
        images = [m for m in url["media"] if m["kind"] == "image"]
        assert len(images) == 3
        for image in images:
            assert len(image["sha256"]) == 64
            assert len(image["phash"]) == 16
        assert url["hosting"]["country"] == country
        assert url["hosting"]["ips"]
        assert url["proposals"], f"no proposal for {host}"
        for proposal in url["proposals"]:
            assert proposal["destination"] and proposal["rule"] and proposal["reason"]
    assert {p["destination_kind"] for p in by_url[urls[0]]["proposals"]} >= {"police"}
    assert {p["destination_kind"] for p in by_url[urls[1]]["proposals"]} == {"hotline"}


def test_the_stages_run_the_same_on_sqlite_and_postgresql(three_sites, make_hotline, database_url) -> None:
    from hotline.executors.embedded import process_until_idle
    from hotline.pipeline.intake import submit_report
    from hotline.triage.views import find_report, report_view

    app = make_hotline(
        database_url=database_url,
        dns_nameservers=[three_sites.dns_nameserver],
        rdap_url=three_sites.rdap_url,
        egress_proxy=three_sites.proxy_url,
    )
    host = SITES["ro"][0]
    with app.db.session() as session:
        reference = submit_report(session, [f"http://{host}/page"], category="csam").report.reference

    first = process_until_idle(app)
    again = process_until_idle(app)

    assert first == {"capture": 1, "fingerprint": 1, "locate": 1, "triage": 1}
    assert again == {"capture": 0, "fingerprint": 0, "locate": 0, "triage": 0}, "stages must be idempotent"
    with app.db.sessions() as session:
        url = report_view(session, find_report(session, reference))["urls"][0]
    assert url["state"] == "triaged" and url["hosting"]["country"] == "RO"
    assert len([m for m in url["media"] if m["kind"] == "image"]) == 3


def test_evidence_exports_to_warc_gz_that_warcio_reads(three_sites, make_hotline, tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    env_dir = tmp_path / "var"
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(env_dir), **three_sites.env()}
    host = SITES["nl"][0]
    _hotline(env, "init")
    reference = json.loads(_hotline(env, "submit", f"http://{host}/page", "--json"))["reference"]
    _hotline(env, "process", "--until-idle")
    exported = json.loads(_hotline(env, "evidence", "export", reference, "--out", str(tmp_path / "out")))

    assert len(exported["files"]) == 1
    with open(exported["files"][0], "rb") as stream:
        records = list(ArchiveIterator(stream))
    responses = [r for r in records if r.rec_type == "response"]
    assert {r.rec_headers.get_header("WARC-Target-URI") for r in responses} >= {f"http://{host}/page"}
    assert len(responses) == 4  # the page and its three images
    sealed = next(iter((env_dir / "evidence").rglob("*.warc*")))
    assert b"WARC/1" not in sealed.read_bytes()[:64], "evidence at rest must be encrypted"


def test_the_background_worker_of_serve_processes_new_reports(three_sites, make_hotline) -> None:
    import time

    from hotline.executors.embedded import BackgroundWorker
    from hotline.models import ReportedUrl
    from hotline.pipeline.intake import submit_report

    app = make_hotline(dns_nameservers=[three_sites.dns_nameserver], rdap_url=three_sites.rdap_url,
                       egress_proxy=three_sites.proxy_url)
    worker = BackgroundWorker(app, idle_seconds=0.2)
    worker.start()
    try:
        with app.db.session() as session:
            url_id = submit_report(session, [f"http://{SITES['us'][0]}/page"]).urls[0].id
        worker.wake.set()
        deadline = time.monotonic() + 120
        state = None
        while time.monotonic() < deadline:
            with app.db.sessions() as session:
                state = session.get(ReportedUrl, url_id).state
            if state == "triaged":
                break
            time.sleep(0.1)
    finally:
        worker.stop()
        worker.join(timeout=60)
    assert state == "triaged"
    assert not worker.is_alive()


def test_a_url_captured_recently_is_not_fetched_again_for_a_new_report(three_sites, make_hotline) -> None:
    from sqlalchemy import func, select

    from hotline.executors.embedded import process_until_idle
    from hotline.models import Capture
    from hotline.pipeline.intake import submit_report
    from hotline.triage.views import find_report, report_view

    app = make_hotline(dns_nameservers=[three_sites.dns_nameserver], rdap_url=three_sites.rdap_url,
                       egress_proxy=three_sites.proxy_url)
    url = f"http://{SITES['nl'][0]}/page"
    with app.db.session() as session:
        first = submit_report(session, [url]).report.reference
    process_until_idle(app)
    hits_before = len([h for h in three_sites.hits if h == (SITES["nl"][0], "/page")])
    assert hits_before >= 1
    with app.db.session() as session:
        second = submit_report(session, [url.upper().replace("HTTP://", "http://").replace("/PAGE", "/page")])
        second_reference = second.report.reference
    done = process_until_idle(app)

    assert done["capture"] == 0
    assert len([h for h in three_sites.hits if h == (SITES["nl"][0], "/page")]) == hits_before
    with app.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Capture)) == 1
        views = [report_view(session, find_report(session, ref))["urls"][0] for ref in (first, second_reference)]
    assert views[0]["capture"]["id"] == views[1]["capture"]["id"]


def test_an_analyst_reads_a_captured_page_as_escaped_text(three_sites, make_hotline) -> None:
    import re

    from fastapi.testclient import TestClient

    from hotline.auth import create_user
    from hotline.executors.embedded import process_until_idle
    from hotline.pipeline.intake import submit_report
    from hotline.triage.views import find_report, report_view
    from hotline.web import create_app

    app = make_hotline(dns_nameservers=[three_sites.dns_nameserver], rdap_url=three_sites.rdap_url,
                       egress_proxy=three_sites.proxy_url)
    with app.db.session() as session:
        reference = submit_report(session, [f"http://{SITES['ro'][0]}/page"]).report.reference
        create_user(session, "ana", "analyst", "a long enough password")
    process_until_idle(app)
    with app.db.sessions() as session:
        page = report_view(session, find_report(session, reference))["urls"][0]["media"][0]
    assert page["kind"] == "page"

    with TestClient(create_app(app)) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/workspace/login").text).group(1)
        login = client.post("/workspace/login", data={"name": "ana", "password": "a long enough password",
                                                       "code": "", "csrf": token}, follow_redirects=False)
        assert login.status_code == 303
        text = client.get(f"/workspace/media/{page['id']}/text")
    # The page came from the capture's WARC, and its markup is shown, never rendered.
    assert text.status_code == 200
    assert "&lt;title&gt;ro&lt;/title&gt;" in text.text
