"""Browser capture in the product: Debian's Chromium driven by scrapy-playwright, only through real Squid
configured by `hotline egress squid-config`.

Given a gallery page whose images a script inserts after load (one by name on another host, one by the
address 127.0.0.1) and which tries the private listener, WebRTC and a STUN listener from inside; an https
page that adds images as it is scrolled and asks for permissions and a service worker; and a page that
never stops loading; when the capture worker captures them (the gallery chosen for the browser
automatically, the others on demand), then every image becomes a media item with its bytes, the WARC
holds every exchange as a request/response pair plus the screenshot and the rendered DOM, every request
went through Squid, the page's inward requests were refused there, and the endless page ended at the
time limit.
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from support.squid import AccessRecord, Squid
from support.vhosts import VirtualHosts
from warcio.archiveiterator import ArchiveIterator

from hotline.capture.models import CaptureJob, CaptureResult
from hotline.evidence import EvidenceStore
from hotline.evidence.warc import document_payload, dom_uri, screenshot_uri

from .conftest import INTRANET, PRIVATE_ADDRESS, SITES_RANGE, GuardDns, capture_through, product_config

CHROMIUM = Path("/usr/bin/chromium")
GALLERY = "gallery.hotline.test"
CDN = "cdn.hotline.test"
LAZY = "lazy.hotline.test"
ENDLESS = "endless.hotline.test"
FILES = "files.hotline.test"
HOSTS = {GALLERY: "127.0.0.1", CDN: "127.0.0.1", LAZY: "127.0.0.1", ENDLESS: "127.0.0.1", FILES: "127.0.0.1",
         INTRANET: PRIVATE_ADDRESS}
LAZY_BATCHES = 4  # the first batch loads with the page, the others only when scrolled to
MAX_SECONDS = 20.0
ENDLESS_SECONDS = 6.0


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


def gallery_page(port: int, private: str, stun: str) -> str:
    later = ["/img/0.png", "/img/1.png", f"http://{CDN}:{port}/img/2.png", f"http://127.0.0.1:{port}/img/3.png"]
    return f"""<!doctype html><html><head><title>gallery</title>
<link rel="dns-prefetch" href="//prefetch.hotline.test"><link rel="preconnect" href="http://preconnect.hotline.test">
</head><body><h1>gallery</h1><div id="later"></div><pre id="report"></pre>
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
def dns() -> Iterator[GuardDns]:
    server = GuardDns(HOSTS)
    yield server
    server.server.stop()


@pytest.fixture(scope="module")
def capture(start_squid: Any, sites: VirtualHosts, tls_sites: VirtualHosts, private_listener: VirtualHosts,
            stun_listener: socket.socket, dns: GuardDns, evidence_dir: Path, master_key: bytes) -> dict[str, Any]:
    """Capture the three pages in one batch; the tests read what the capture, Squid and the servers saw."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: run `make browser`")
    private = f"{PRIVATE_ADDRESS}:{private_listener.port}"
    stun = f"127.0.0.1:{stun_listener.getsockname()[1]}"
    images: dict[str, bytes] = {}
    sites.add(GALLERY, "/", gallery_page(sites.port, private, stun))
    for number, host in enumerate([GALLERY, GALLERY, CDN, "127.0.0.1"]):
        images[sites.url(host, f"/img/{number}.png")] = picture(number)
    tls_sites.add(LAZY, "/", lazy_page())
    tls_sites.add(LAZY, "/sw.js", "self.addEventListener('fetch', () => {});", "text/javascript")
    images[tls_sites.url(LAZY, "/img/native.png")] = picture(90)
    for batch in range(LAZY_BATCHES):
        for i in range(3):
            images[tls_sites.url(LAZY, f"/img/lazy-{batch}-{i}.png")] = picture(10 + 3 * batch + i)
    for url, body in images.items():
        parts = urlsplit(url)
        (tls_sites if parts.scheme == "https" else sites).add(parts.hostname or "", parts.path, body, "image/png")
    sites.add(ENDLESS, "/", '<html><body><h1>endless</h1><img src="/forever.png"><script>1</script></body></html>')
    sites.add(ENDLESS, "/forever.png", b"\x89PNG\r\n\x1a\n", "image/png", trickle=True)
    sites.add(GALLERY, "/gone", "<html><body><script>1</script><p>gone</p></body></html>", status=404)
    sites.add(FILES, "/archive.zip", b"PK\x03\x04synthetic", "application/zip",
              headers=(("Content-Disposition", 'attachment; filename="archive.zip"'),))
    squid: Squid = start_squid(hosts=HOSTS, config=product_config(SITES_RANGE, connect_ports=[tls_sites.port]))
    since = squid.mark()
    jobs = [CaptureJob(job_id="gallery", url=sites.url(GALLERY, "/")),
            CaptureJob(job_id="lazy", url=tls_sites.url(LAZY, "/"), engine="browser"),
            CaptureJob(job_id="download", url=sites.url(FILES, "/archive.zip"), engine="browser"),
            CaptureJob(job_id="gone", url=sites.url(GALLERY, "/gone"))]
    results = capture_through(squid.url, dns, evidence_dir, master_key, jobs, browser_sandbox=False,
                              max_seconds=MAX_SECONDS)
    started = time.monotonic()
    endless = capture_through(squid.url, dns, evidence_dir, master_key,
                              [CaptureJob(job_id="endless", url=sites.url(ENDLESS, "/"), engine="browser")],
                              browser_sandbox=False, max_seconds=ENDLESS_SECONDS)["endless"]
    endless_seconds = time.monotonic() - started
    # Squid logs a tunnel when it closes: wait for one record per TLS connection the site accepted.
    squid.wait_for(lambda r: r.method == "CONNECT" and r.status == 200, count=tls_sites.connections, since=since)
    return {"gallery": results["gallery"], "lazy": results["lazy"], "download": results["download"],
            "gone": results["gone"], "endless": endless,
            "endless_seconds": endless_seconds, "images": images, "records": squid.records(since),
            "store": EvidenceStore(evidence_dir, master_key)}


def _warc(capture: dict[str, Any], result: CaptureResult) -> bytes:
    return bytes(capture["store"].open_warc(result.warc or ""))


def _report(capture: dict[str, Any], result: CaptureResult) -> dict[str, Any]:
    dom = (document_payload(_warc(capture, result), dom_uri(result.url)) or b"").decode()
    text = dom.split('<pre id="report">', 1)[1].split("</pre>", 1)[0]
    return dict(json.loads(text.replace("&quot;", '"').replace("&amp;", "&")))


def test_the_gallery_went_to_the_browser_by_itself_and_every_image_is_a_media_item(capture: dict[str, Any]) -> None:
    gallery: CaptureResult = capture["gallery"]
    media = {r.url: r for r in gallery.resources}

    assert (gallery.engine, gallery.outcome, gallery.status) == ("browser", "ok", 200)
    assert "script" in (gallery.reason or "") and "browser" in (gallery.reason or "")
    for url, body in capture["images"].items():
        if "gallery" in url or "cdn" in url or "127.0.0.1" in url:
            assert url in media, f"no media item for {url}"
            assert (media[url].kind, media[url].sha256, media[url].blob is not None) == (
                "image", hashlib.sha256(body).hexdigest(), True)


def test_an_error_page_with_a_script_stays_a_static_capture(capture: dict[str, Any]) -> None:
    gone: CaptureResult = capture["gone"]

    assert (gone.engine, gone.outcome, gone.status) == ("scrapy", "http-error", 404)


def test_scrolling_loads_the_lazy_images(capture: dict[str, Any]) -> None:
    lazy: CaptureResult = capture["lazy"]
    loaded = {r.url for r in lazy.resources if "/img/lazy-" in r.url and r.outcome == "ok"}
    dom = (document_payload(_warc(capture, lazy), dom_uri(lazy.url)) or b"").decode()

    assert lazy.engine == "browser" and len(loaded) == 3 * LAZY_BATCHES
    assert dom.count('src="/img/lazy-') == 3 * LAZY_BATCHES  # the rendered DOM, not the HTML as served


def test_the_warc_holds_every_exchange_the_screenshot_and_the_dom(capture: dict[str, Any]) -> None:
    lazy: CaptureResult = capture["lazy"]
    records = list(ArchiveIterator(io.BytesIO(_warc(capture, lazy))))
    requests = {r.rec_headers.get_header("WARC-Target-URI") for r in records if r.rec_type == "request"}
    responses = {r.rec_headers.get_header("WARC-Target-URI") for r in records if r.rec_type == "response"}
    screenshot = document_payload(_warc(capture, lazy), screenshot_uri(lazy.url)) or b""

    assert {url for url in capture["images"] if "lazy" in url} <= responses == requests
    assert lazy.screenshot_sha256 == hashlib.sha256(screenshot).hexdigest()
    with Image.open(io.BytesIO(screenshot)) as shot:
        assert shot.width == 1280 and shot.height > 700 * LAZY_BATCHES  # full page, not the 800-px viewport
    assert lazy.tls is not None and lazy.tls["subject"] == f"CN={LAZY}"


def test_every_request_of_the_browser_went_through_squid(capture: dict[str, Any], sites: VirtualHosts,
                                                         tls_sites: VirtualHosts) -> None:
    records: list[AccessRecord] = capture["records"]

    assert len(sites.seen) == len([r for r in records if r.method == "GET" and r.peer_port == sites.port])
    assert tls_sites.connections == len([r for r in records if r.method == "CONNECT" and r.peer_port == tls_sites.port])


def test_the_page_cannot_reach_the_private_network(capture: dict[str, Any], private_listener: VirtualHosts) -> None:
    report = _report(capture, capture["gallery"])
    denied = [r for r in capture["records"] if r.status == 403]

    assert report["private_address"].startswith("failed") and report["private_name"].startswith("failed")
    assert {urlsplit(r.url).path for r in denied} >= {"/by-address", "/by-name"}
    assert {(r.result, r.hierarchy) for r in denied} == {("TCP_DENIED", "HIER_NONE")}
    assert private_listener.connections == 0


def test_webrtc_sends_nothing_outside_the_proxy(capture: dict[str, Any], stun_listener: socket.socket) -> None:
    report = _report(capture, capture["gallery"])

    assert _datagrams(stun_listener) == 0
    assert not [c for c in report.get("ice", []) if " udp " in c.lower()], report


def test_permissions_and_service_workers_are_refused(capture: dict[str, Any], tls_sites: VirtualHosts) -> None:
    report = _report(capture, capture["lazy"])

    assert report["permissions"] == ["geolocation denied", "notifications denied", "camera denied",
                                     "microphone denied"]
    assert report["notification_request"] == "denied"
    assert report["service_worker"] == "none"  # Playwright's "block" stubs register(): the script never loads
    assert "/sw.js" not in {seen.target for seen in tls_sites.seen}


def test_squid_forwarded_nothing_but_the_pages_requests(capture: dict[str, Any]) -> None:
    """Chromium's own background requests reach the proxy too; the policy refuses them."""
    page_hosts = {GALLERY, CDN, LAZY, ENDLESS, FILES, "127.0.0.1"}
    records: list[AccessRecord] = capture["records"]
    forwarded = {r.url for r in records if r.hierarchy != "HIER_NONE"}

    assert {urlsplit(url if "://" in url else f"//{url}").hostname for url in forwarded} <= page_hosts
    # Not forwarded: refused by the policy, or a connection Chromium opened ahead (preconnect) and closed
    # before sending a request, which Squid logs as NONE_NONE with no status and no request line.
    not_forwarded = {(r.status, r.result) for r in records if r.hierarchy == "HIER_NONE"}
    assert not_forwarded <= {(403, "TCP_DENIED"), (0, "NONE_NONE")}
    assert all(r.peer is None for r in records if r.result == "NONE_NONE")


def test_a_page_that_never_stops_loading_ends_at_the_time_limit(capture: dict[str, Any]) -> None:
    endless: CaptureResult = capture["endless"]

    assert (endless.engine, endless.outcome, endless.status) == ("browser", "ok", 200)
    assert "time limit" in (endless.reason or "") or "still loading" in (endless.reason or "")
    assert endless.screenshot_sha256 and endless.warc
    assert capture["endless_seconds"] < ENDLESS_SECONDS + 20  # one worker start plus the limit, not forever


def test_the_browser_takes_no_downloads(capture: dict[str, Any]) -> None:
    download: CaptureResult = capture["download"]

    assert (download.engine, download.outcome) == ("browser", "refused")
    assert "download" in (download.reason or "")


def test_a_browser_capture_is_refused_without_a_proxy(dns: GuardDns, evidence_dir: Path, master_key: bytes,
                                                      sites: VirtualHosts) -> None:
    from hotline.capture.client import run_captures
    from hotline.capture.models import CaptureOptions

    options = CaptureOptions(evidence_dir=evidence_dir, master_key=master_key, dns_nameservers=[dns.nameserver],
                             allow_private=SITES_RANGE, direct_connect_only=["127.0.0.0/8"], browser_sandbox=False)
    before = len(sites.seen)

    [result] = run_captures([CaptureJob(job_id="noproxy", url=sites.url(GALLERY, "/"), engine="browser")], options)

    assert result.outcome == "refused" and "needs an egress proxy" in (result.reason or "")
    assert len(sites.seen) == before  # nothing was fetched
