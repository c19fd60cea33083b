"""Browser capture spike (tests/support/browser_capture.py): scrapy-playwright driving Debian's Chromium
through real Squid, with nothing leaving outside the proxy.

Given a gallery page whose images a script inserts after load (one by name on another host, one by the
address 127.0.0.1), an https page that adds images as it is scrolled (plus a native lazy image), and a
page script that tries the private listener, WebRTC, geolocation and a service worker, when the spike
captures both pages in its own process, then it gets every image response and a full-page screenshot,
Squid's log accounts for every request the browser made, and the private listener and a STUN listener
see nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from support.squid import AccessRecord, Squid
from support.vhosts import VirtualHosts

from .conftest import INTRANET, PRIVATE_ADDRESS

SPIKE = Path(__file__).resolve().parents[1] / "support" / "browser_capture.py"
CHROMIUM = Path("/usr/bin/chromium")
GALLERY = "gallery.hotline.test"
CDN = "cdn.hotline.test"
LAZY = "lazy.hotline.test"
LAZY_BATCHES = 4  # the first batch loads with the page, the others only when scrolled to


def picture(number: int) -> bytes:
    """A small synthetic PNG: a coloured square with a number on it."""
    image = Image.new("RGB", (96, 96), ((number * 67) % 256, (number * 131) % 256, (number * 29) % 256))
    ImageDraw.Draw(image).text((30, 40), str(number), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


NOTE_SCRIPT = """
const report = {};
function note(key, value) {
  report[key] = value; document.getElementById('report').textContent = JSON.stringify(report);
}
"""

# Tries the private listener by address and by name, and WebRTC towards a STUN listener on loopback.
LEAK_SCRIPT = NOTE_SCRIPT + """
window.addEventListener('load', () => {
  fetch('http://%(private)s/by-address').then(r => note('private_address', 'status ' + r.status),
                                            e => note('private_address', 'failed ' + e));
  fetch('http://%(intranet)s/by-name').then(r => note('private_name', 'status ' + r.status),
                                           e => note('private_name', 'failed ' + e));
  try {
    const peer = new RTCPeerConnection({iceServers: [{urls: 'stun:%(stun)s'}]});
    const candidates = [];
    peer.createDataChannel('probe');
    peer.onicecandidate = e => {
      if (e.candidate) candidates.push(e.candidate.candidate); else note('ice', candidates);
    };
    peer.createOffer().then(offer => peer.setLocalDescription(offer));
  } catch (e) { note('ice', 'error ' + e); }
});
"""

# Asks for permissions and registers a service worker (this needs a secure context: the https page).
ASK_SCRIPT = NOTE_SCRIPT + """
window.addEventListener('load', () => {
  Promise.all(['geolocation', 'notifications', 'camera', 'microphone'].map(
    name => navigator.permissions.query({name}).then(s => name + ' ' + s.state, e => name + ' error')))
    .then(states => note('permissions', states));
  Notification.requestPermission().then(answer => note('notification_request', answer));
  navigator.serviceWorker.register('/sw.js').then(r => note('service_worker', r ? 'registered' : 'none'),
                                                 e => note('service_worker', 'refused ' + e.name));
});
"""
SERVICE_WORKER = "self.addEventListener('fetch', () => {});"


def gallery_page(sites_port: int, private: str, stun: str) -> str:
    later = ["/img/1.png", f"http://{CDN}:{sites_port}/img/2.png", f"http://127.0.0.1:{sites_port}/img/3.png"]
    return f"""<!doctype html><html><head><title>gallery</title>
<link rel="dns-prefetch" href="//prefetch.hotline.test"><link rel="preconnect" href="http://preconnect.hotline.test">
</head><body><h1>gallery</h1><img src="/img/0.png" width="96" height="96"><div id="later"></div>
<pre id="report"></pre>
<script>
window.addEventListener('load', () => setTimeout(() => {{
  for (const src of {json.dumps(later)}) {{
    const img = document.createElement('img'); img.src = src; document.getElementById('later').appendChild(img);
  }}
}}, 150));
{LEAK_SCRIPT % {"private": private, "intranet": f"{INTRANET}:{private.rsplit(':', 1)[1]}", "stun": stun}}
</script></body></html>"""


def lazy_page() -> str:
    return f"""<!doctype html><html><head><title>lazy</title></head><body style="margin:0">
<h1>lazy</h1><div id="list"></div><div id="sentinel" style="height:4px"></div>
<img loading="lazy" src="/img/native.png" width="96" height="96" style="display:block">
<pre id="report"></pre>
<script>
let batch = 0;
function addBatch() {{
  for (let i = 0; i < 3; i++) {{
    const box = document.createElement('div'); box.style.height = '700px';
    const img = document.createElement('img'); img.src = `/img/lazy-${{batch}}-${{i}}.png`;
    box.appendChild(img); document.getElementById('list').appendChild(box);
  }}
  batch++;
}}
new IntersectionObserver(entries => {{
  if (entries.some(e => e.isIntersecting) && batch < {LAZY_BATCHES}) addBatch();
}}).observe(document.getElementById('sentinel'));
{ASK_SCRIPT}
</script></body></html>"""


@pytest.fixture(scope="module")
def stun_listener() -> Iterator[socket.socket]:
    """A UDP socket where a STUN server would be: WebRTC must send it nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        yield udp


def _datagrams(udp: socket.socket) -> int:
    count = 0
    while True:
        try:
            udp.recv(65536)
        except BlockingIOError:
            return count
        count += 1


@pytest.fixture(scope="module")
def capture(start_squid: Any, sites: VirtualHosts, tls_sites: VirtualHosts, private_listener: VirtualHosts,
            stun_listener: socket.socket, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the spike once over both pages; the tests read what it and the servers saw."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: run `make browser`")
    private = f"{PRIVATE_ADDRESS}:{private_listener.port}"
    stun = f"127.0.0.1:{stun_listener.getsockname()[1]}"
    images: dict[str, bytes] = {}
    sites.add(GALLERY, "/", gallery_page(sites.port, private, stun))
    for number, (host, server) in enumerate([(GALLERY, sites), (GALLERY, sites), (CDN, sites), ("127.0.0.1", sites)]):
        images[f"{server.url(host, f'/img/{number}.png')}"] = picture(number)
    tls_sites.add(LAZY, "/", lazy_page())
    tls_sites.add(LAZY, "/sw.js", SERVICE_WORKER, "text/javascript")
    images[tls_sites.url(LAZY, "/img/native.png")] = picture(90)
    for batch in range(LAZY_BATCHES):
        for i in range(3):
            images[tls_sites.url(LAZY, f"/img/lazy-{batch}-{i}.png")] = picture(10 + 3 * batch + i)
    for url, body in images.items():
        parts = urlsplit(url)
        server = tls_sites if parts.scheme == "https" else sites
        server.add(parts.hostname or "", parts.path, body, "image/png")
    squid: Squid = start_squid(
        hosts={GALLERY: "127.0.0.1", CDN: "127.0.0.1", LAZY: "127.0.0.1", INTRANET: PRIVATE_ADDRESS},
        rules=[f"acl private_network dst {PRIVATE_ADDRESS}/32", "http_access deny private_network",
               "http_access allow all"])
    out_dir = tmp_path_factory.mktemp("browser-capture")
    urls = [sites.url(GALLERY, "/"), tls_sites.url(LAZY, "/")]
    job = {"urls": urls, "proxy": squid.url,
           "out_dir": str(out_dir), "max_seconds": 20}
    (out_dir / "job.json").write_text(json.dumps(job))
    since = squid.mark()
    run = subprocess.run([sys.executable, str(SPIKE), str(out_dir / "job.json")], capture_output=True, text=True,
                         timeout=180, check=False)
    assert run.returncode == 0 and (out_dir / "result.json").exists(), run.stderr[-3000:]
    result = json.loads((out_dir / "result.json").read_text())
    assert result["errors"] == [] and len(result["pages"]) == 2, (result["errors"], run.stderr[-3000:])
    pages = {page["url"]: page for page in result["pages"]}
    # Squid logs a tunnel when it closes: wait for one record per TLS connection the site accepted.
    squid.wait_for(lambda r: r.method == "CONNECT" and r.status == 200, count=tls_sites.connections, since=since)
    return {"gallery": pages[urls[0]], "lazy": pages[urls[1]], "images": images,
            "records": squid.records(since), "sites": sites, "tls_sites": tls_sites}


def _report(page: dict[str, Any]) -> dict[str, Any]:
    text = page["dom"].split('<pre id="report">', 1)[1].split("</pre>", 1)[0]
    return dict(json.loads(text.replace("&quot;", '"').replace("&amp;", "&")))


def test_every_image_response_is_captured_with_its_bytes(capture: dict[str, Any]) -> None:
    responses = {r["url"]: r for page in (capture["gallery"], capture["lazy"]) for r in page["responses"]}

    for url, body in capture["images"].items():
        assert url in responses, f"no response for {url}"
        assert (responses[url]["status"], responses[url].get("sha256")) == (200, hashlib.sha256(body).hexdigest())


def test_scrolling_loads_the_lazy_images(capture: dict[str, Any]) -> None:
    lazy_urls = {r["url"] for r in capture["lazy"]["responses"] if "/img/lazy-" in r["url"]}

    assert len(lazy_urls) == 3 * LAZY_BATCHES
    assert capture["lazy"]["dom"].count('src="/img/lazy-') == 3 * LAZY_BATCHES  # the rendered DOM, not the HTML


def test_a_full_page_screenshot_is_taken(capture: dict[str, Any]) -> None:
    with Image.open(capture["lazy"]["screenshot"]) as shot:
        width, height = shot.size

    assert width == 1280 and height > 700 * LAZY_BATCHES  # taller than the 800-pixel viewport


def test_every_request_of_the_browser_went_through_squid(capture: dict[str, Any]) -> None:
    records: list[AccessRecord] = capture["records"]
    logged_http = {r.url for r in records if r.method != "CONNECT"}
    logged_tunnels = {r.url for r in records if r.method == "CONNECT"}

    for page in (capture["gallery"], capture["lazy"]):
        for request in page["requests"]:
            parts = urlsplit(request["url"])
            if parts.scheme == "https":
                assert f"{parts.hostname}:{parts.port}" in logged_tunnels, request
            else:
                assert request["url"].split("?", 1)[0] in logged_http, request
    # The servers saw no request and no connection that did not come through Squid.
    sites, tls_sites = capture["sites"], capture["tls_sites"]
    assert len(sites.seen) == len([r for r in records if r.method == "GET" and r.peer_port == sites.port])
    assert tls_sites.connections == len([r for r in records if r.method == "CONNECT" and r.peer_port == tls_sites.port])


def test_the_page_cannot_reach_the_private_network(capture: dict[str, Any],
                                                   private_listener: VirtualHosts) -> None:
    report = _report(capture["gallery"])
    denied = [r for r in capture["records"] if r.status == 403]

    assert report["private_address"].startswith("failed") and report["private_name"].startswith("failed")
    assert {r["url"] for r in capture["gallery"]["failed"]} >= {f"http://{PRIVATE_ADDRESS}:{private_listener.port}/by-address"}
    assert {urlsplit(r.url).path for r in denied} >= {"/by-address", "/by-name"}
    assert {(r.result, r.hierarchy) for r in denied} == {("TCP_DENIED", "HIER_NONE")}
    assert private_listener.connections == 0


def test_webrtc_sends_nothing_outside_the_proxy(capture: dict[str, Any], stun_listener: socket.socket) -> None:
    report = _report(capture["gallery"])

    assert _datagrams(stun_listener) == 0
    assert not [c for c in report.get("ice", []) if " udp " in c.lower()], report


def test_permissions_and_service_workers_are_refused(capture: dict[str, Any]) -> None:
    report = _report(capture["lazy"])

    assert report["permissions"] == ["geolocation denied", "notifications denied", "camera denied",
                                     "microphone denied"]
    assert report["notification_request"] == "denied"
    # Playwright's "block" stubs register() (it resolves with nothing): the proof is that the worker's
    # script was never fetched.
    assert report["service_worker"] == "none"
    assert "/sw.js" not in {seen.target for seen in capture["tls_sites"].seen}


def test_squid_forwarded_nothing_but_the_pages_requests(capture: dict[str, Any]) -> None:
    """Chromium's own background requests (Google's updater and sign-in) also go to the proxy; the
    fixture's loopback-only rule refuses them here, the product's egress rules must too."""
    page_hosts = {GALLERY, CDN, LAZY, "127.0.0.1"}
    records: list[AccessRecord] = capture["records"]
    forwarded = {r.url for r in records if r.hierarchy != "HIER_NONE"}

    assert {urlsplit(url if "://" in url else f"//{url}").hostname for url in forwarded} <= page_hosts
    assert {(r.status, r.result) for r in records if r.hierarchy == "HIER_NONE"} <= {(403, "TCP_DENIED")}
