"""Browser capture through the whole product, with real Squid and Debian's Chromium.

Given a gallery whose images a script inserts after load (the HTML as served names none), reported with
the `hotline` command on a data dir whose egress proxy is a Squid configured by `hotline egress
squid-config`: when the pipeline runs, the capture goes to the browser by itself, the inserted images
become media items and are fingerprinted, and `show --json` says engine "browser" with the screenshot's
sha256; `hotline recapture REF --browser` and the workspace's "re-capture in a browser" send the
referrer, User-Agent and language they are given, and each capture keeps its own evidence.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from support.squid import Squid
from support.vhosts import VirtualHosts

from .conftest import LOOPBACK_ONLY, SITES_RANGE, GuardDns, product_config

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
GALLERY = "scripted.hotline.test"
IMAGES = 3


def picture(number: int) -> bytes:
    image = Image.new("RGB", (160, 120), (40 + number * 60, 90, 200 - number * 50))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 100, 100), fill=(250, 250, 0))
    draw.text((110, 50), f"S{number}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


GALLERY_PAGE = f"""<!doctype html><html><head><title>scripted gallery</title></head><body><div id="g"></div>
<script>
window.addEventListener('load', () => {{
  for (let n = 0; n < {IMAGES}; n++) {{
    const img = document.createElement('img'); img.src = '/pictures/' + n + '.png'; document.getElementById('g').appendChild(img);
  }}
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def world(start_squid: Any, sites: VirtualHosts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: run `make browser`")
    sites.add(GALLERY, "/", GALLERY_PAGE)
    for n in range(IMAGES):
        sites.add(GALLERY, f"/pictures/{n}.png", picture(n), "image/png")
    squid: Squid = start_squid(hosts={GALLERY: "127.0.0.1"}, config=product_config(SITES_RANGE))
    dns = GuardDns({GALLERY: "127.0.0.1"})
    data_dir = tmp_path_factory.mktemp("browser-pipeline") / "var"
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(data_dir),
           "HOTLINE_DNS_NAMESERVERS": dns.nameserver, "HOTLINE_EGRESS_PROXY": squid.url,
           "HOTLINE_ALLOW_PRIVATE": ",".join(SITES_RANGE), "HOTLINE_DIRECT_CONNECT_ONLY": ",".join(LOOPBACK_ONLY),
           "HOTLINE_CAPTURE_BROWSER_SANDBOX": "false",  # the tests run as root, where Chromium's sandbox cannot
           "HOTLINE_CAPTURE_MAX_SECONDS": "20", "HOTLINE_SECRET_KEY": "browser-pipeline-secret"}
    yield {"env": env, "sites": sites, "squid": squid, "data_dir": data_dir}
    dns.server.stop()


ANA_PASSWORD = "a long password"


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False, input=stdin)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def reported(world: dict[str, Any]) -> dict[str, Any]:
    env = world["env"]
    _run(env, "init")
    _run(env, "user", "add", "ana", "--password-stdin", stdin=ANA_PASSWORD + "\n")
    reference = json.loads(_run(env, "submit", world["sites"].url(GALLERY, "/"), "--json"))["reference"]
    _run(env, "process", "--until-idle")
    return {"reference": reference, "shown": json.loads(_run(env, "show", reference, "--json"))}


def test_the_pipeline_captures_a_scripted_gallery_in_a_browser_and_fingerprints_its_images(
        reported: dict[str, Any]) -> None:
    [url] = reported["shown"]["urls"]
    images = [m for m in url["media"] if m["kind"] == "image"]

    assert url["capture"]["engine"] == "browser" and url["capture"]["outcome"] == "ok"
    assert len(url["capture"]["screenshot"]["sha256"]) == 64
    assert sorted(m["sha256"] for m in images) == sorted(hashlib.sha256(picture(n)).hexdigest() for n in range(IMAGES))
    assert all(m["phash"] and m["pdq"] for m in images), "media found by the browser are fingerprinted"
    assert url["state"] == "triaged"


def test_recapture_in_a_browser_from_the_command_line_sends_what_it_is_given(
        world: dict[str, Any], reported: dict[str, Any]) -> None:
    sites: VirtualHosts = world["sites"]
    before = len(sites.seen)

    again = json.loads(_run(world["env"], "recapture", reported["reference"], "--browser", "--as", "ana",
                            "--referer", "http://forum.hotline.test/thread/9", "--user-agent",
                            "Mozilla/5.0 (Linux; Android 14) SyntheticBrowser", "--accept-language", "ro-RO,ro;q=0.9",
                            stdin=ANA_PASSWORD + "\n"))  # the analyst proves who she is

    [page_request] = [s for s in sites.seen[before:] if s.host == GALLERY and s.target == "/"]
    assert (again["engine"], again["outcome"]) == ("browser", "ok") and again["screenshot"]["sha256"]
    assert page_request.headers["Referer"] == "http://forum.hotline.test/thread/9"
    assert page_request.headers["User-Agent"] == "Mozilla/5.0 (Linux; Android 14) SyntheticBrowser"
    assert page_request.headers["Accept-Language"] == "ro-RO,ro;q=0.9"


def test_the_workspace_recaptures_in_a_browser_and_every_capture_keeps_its_evidence(
        world: dict[str, Any], reported: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import hotline.auth
    from hotline.app import Hotline
    from hotline.auth import create_user
    from hotline.config import load_settings
    from hotline.models import Capture
    from tests.workspace.conftest import CHEAP_HASHER, PASSWORD, Browser, workspace_only

    monkeypatch.setattr(hotline.auth, "_hasher", CHEAP_HASHER)
    for name, value in world["env"].items():
        if name.startswith("HOTLINE_"):
            monkeypatch.setenv(name, value)
    sites: VirtualHosts = world["sites"]
    with Hotline(load_settings()) as app:
        with app.db.session() as session:
            create_user(session, "vera", "analyst", PASSWORD)
        url_id = reported["shown"]["urls"][0]["id"]
        browser = Browser(TestClient(workspace_only(app)))
        assert browser.login("vera").status_code == 303
        browser.get(f"/workspace/items/{url_id}")
        before = len(sites.seen)

        answer = browser.post(f"/workspace/items/{url_id}/recapture", {
            "engine": "browser", "referer": "https://links.hotline.test/list", "user_agent": "WorkspaceUA/1.0",
            "accept_language": "en-GB"})
        page = browser.get(f"/workspace/items/{url_id}").text

        with app.db.sessions() as session:
            captures = session.query(Capture).filter_by(reported_url_id=url_id).order_by(Capture.id).all()
            paths = [c.warc_path for c in captures]
            engines = [c.engine for c in captures]
        readable = [len(app.evidence.open_warc(p or "")) > 0 for p in paths]
        browser.client.close()

    [page_request] = [s for s in sites.seen[before:] if s.host == GALLERY and s.target == "/"]
    assert answer.status_code == 303
    assert (page_request.headers["Referer"], page_request.headers["User-Agent"]) == (
        "https://links.hotline.test/list", "WorkspaceUA/1.0")
    assert page_request.headers["Accept-Language"] == "en-GB"
    assert engines[-1] == "browser" and len(set(paths)) == len(paths) >= 2 and all(readable)
    assert "in a browser" in page and 'class="preview blurred"' in page
