"""The product's capture through real Squid configured by `hotline egress squid-config`.

Given name-based virtual hosts on 127.0.0.1 (the range HOTLINE_ALLOW_PRIVATE opens) and a private
listener on 127.0.0.2 standing for an internal network, and a Squid whose whole configuration is the
command's output, when the capture worker fetches through it, then each name gets its own site over
http:// and https:// (CONNECT, with the certificate recorded), the request line carries the name, the
hostile corpus never reaches the private listener (the proxy refusing what the guard let through), and
the same kind of request in the allowed range is captured (positive control).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.squid import Squid
from support.vhosts import VirtualHosts

from hotline.capture.egress import LOG_FORMAT
from hotline.capture.models import CaptureResult
from hotline.evidence import EvidenceStore
from hotline.evidence.warc import response_payload
from hotline.synthnet.tls import CA_NAME

from .conftest import (
    INTRANET,
    PRIVATE_ADDRESS,
    SITE_A,
    SITE_B,
    SITES_RANGE,
    GuardDns,
    capture_through,
    page,
    product_config,
)

PICTURES = "pictures.hotline.test"  # serves an image for SITE_B's page
SPLIT = "split.hotline.test"  # the guard's DNS says 127.0.0.1, Squid's says the private listener
SPLIT_TLS = "split-tls.hotline.test"
UPDATER = "update.googleapis.com"  # one of Chromium's background hosts, pointed at loopback here
HOSTS = {SITE_A: "127.0.0.1", SITE_B: "127.0.0.1", PICTURES: "127.0.0.1", UPDATER: "127.0.0.1",
         INTRANET: PRIVATE_ADDRESS, SPLIT: PRIVATE_ADDRESS, SPLIT_TLS: PRIVATE_ADDRESS}
GUARD_NAMES = {**HOSTS, SPLIT: "127.0.0.1", SPLIT_TLS: "127.0.0.1"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def dns() -> Iterator[GuardDns]:
    server = GuardDns(GUARD_NAMES)
    yield server
    server.server.stop()


@pytest.fixture(scope="module")
def product_squid(start_squid: Any, tls_sites: VirtualHosts, private_listener: VirtualHosts) -> Squid:
    """Squid as the product configures it: loopback sites allowed, TLS to the test port allowed."""
    squid: Squid = start_squid(hosts=HOSTS, config=product_config(
        SITES_RANGE, connect_ports=[tls_sites.port, private_listener.port]))
    return squid


@pytest.fixture(scope="module")
def store(evidence_dir: Path, master_key: bytes) -> EvidenceStore:
    return EvidenceStore(evidence_dir, master_key)


@pytest.fixture(scope="module")
def run(product_squid: Squid, dns: GuardDns, evidence_dir: Path, master_key: bytes):  # type: ignore[no-untyped-def]
    def capture(jobs: list[Any], **overrides: Any) -> dict[str, CaptureResult]:
        return capture_through(product_squid.url, dns, evidence_dir, master_key, jobs, **overrides)

    return capture


def test_the_squid_under_test_runs_the_shipped_configuration(product_squid: Squid) -> None:
    text = product_squid.config_file.read_text()

    assert "# --- hotline egress policy" in text and "http_access deny hotline_refused" in text
    assert "strip_query_terms on" in text and "cache deny all" in text
    assert f"logformat hotline {LOG_FORMAT}" in text  # what support/squid.py parses


def test_each_name_gets_its_own_site_over_http_with_the_name_in_the_request_line(
        run: Any, product_squid: Squid, sites: VirtualHosts, store: EvidenceStore) -> None:
    since = product_squid.mark()

    results = run([("a", sites.url(SITE_A, "/?q=secret-token")), ("b", sites.url(SITE_B))])

    assert (results["a"].outcome, results["a"].status) == ("ok", 200)
    assert response_payload(store.open_warc(results["a"].warc or ""), results["a"].url) == page(SITE_A).encode()
    assert response_payload(store.open_warc(results["b"].warc or ""), results["b"].url) == page(SITE_B).encode()
    [seen] = [s for s in sites.seen if s.target == "/?q=secret-token"]
    assert seen.host_header == f"{SITE_A}:{sites.port}"
    records = product_squid.wait_for(lambda r: r.method == "GET", count=2, since=since)
    assert sorted(r.url for r in records) == [f"http://{SITE_A}:{sites.port}/?", f"http://{SITE_B}:{sites.port}/"]
    assert {(r.hierarchy, r.peer) for r in records} == {("HIER_DIRECT", "127.0.0.1")}
    assert "secret-token" not in product_squid.access_log.read_text()  # no query strings in the log


def test_https_goes_through_a_connect_tunnel_and_the_certificate_is_recorded(
        run: Any, product_squid: Squid, tls_sites: VirtualHosts, store: EvidenceStore) -> None:
    since = product_squid.mark()

    result = run([("tls", tls_sites.url(SITE_B))])["tls"]

    assert (result.outcome, result.status) == ("ok", 200)
    assert result.tls is not None
    assert result.tls["subject"] == f"CN={SITE_B}" and result.tls["issuer"] == f"CN={CA_NAME}"
    assert response_payload(store.open_warc(result.warc or ""), result.url) == page(SITE_B).encode()
    [tunnel] = product_squid.wait_for(lambda r: r.method == "CONNECT", since=since)
    assert (tunnel.url, tunnel.status, tunnel.result) == (f"{SITE_B}:{tls_sites.port}", 200, "TCP_TUNNEL")


def test_embedded_media_come_through_the_proxy_too(run: Any, sites: VirtualHosts) -> None:
    sites.add(PICTURES, "/p.png", PNG, "image/png")
    sites.add(SITE_B, "/gallery", f'<html><body><img src="http://{PICTURES}:{sites.port}/p.png"></body></html>')

    result = run([("g", sites.url(SITE_B, "/gallery"))])["g"]

    assert [(r.outcome, r.status, r.content_type) for r in result.resources] == [("ok", 200, "image/png")]


def test_a_missing_page_is_an_http_error_with_its_status(run: Any, sites: VirtualHosts) -> None:
    result = run([("gone", sites.url(SITE_A, "/no-such-page"))])["gone"]

    assert (result.outcome, result.status, result.reason) == ("http-error", 404, "HTTP 404 Not Found")
    assert result.warc, "an error page is evidence too"


def _literal_spellings(port: int) -> list[str]:
    hosts = [
        "127.0.0.2", "2130706434", "0177.0.0.02", "0x7f.0.0.2", "0x7f000002", "017700000002", "127.2", "127.0.2",
        "127.0.0.2.", "%31%32%37.0.0.2", "[::ffff:127.0.0.2]", "[::ffff:7f00:2]", "a@127.0.0.2", INTRANET,
    ]  # fmt: skip
    urls = [f"http://{h}:{port}/secret" for h in hosts]
    urls += [f"https://{h}:{port}/secret" for h in ("127.0.0.2", "2130706434", INTRANET)]
    return urls + ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.0.1/",
                   "http://100.64.0.1/", "http://[fd00::1]/", "http://[::1]/"]


def test_the_hostile_corpus_never_reaches_the_private_listener_when_only_squid_guards(
        run: Any, product_squid: Squid, sites: VirtualHosts, private_listener: VirtualHosts) -> None:
    """The capture's own guard is opened completely: Squid alone must keep every request out."""
    port = private_listener.port
    for n, target in enumerate([f"http://127.0.0.2:{port}/", f"http://{INTRANET}:{port}/", f"http://{SPLIT}:{port}/",
                                f"https://{SPLIT_TLS}:{port}/", "http://169.254.169.254/"]):
        sites.add_redirect(SITE_A, f"/r{n}", target)
    sites.add(SITE_A, "/embeds", f'<html><body><img src="http://127.0.0.2:{port}/i.png">'
                                 f'<img src="http://{SPLIT}:{port}/s.png"><img src="/fine.png"></body></html>')
    sites.add(SITE_A, "/fine.png", PNG, "image/png")
    urls = _literal_spellings(port) + [sites.url(SITE_A, f"/r{n}") for n in range(5)]
    urls += [f"http://{SPLIT}:{port}/", f"https://{SPLIT_TLS}:{port}/"]
    since, before = product_squid.mark(), private_listener.connections

    results = run([(f"h{n}", url) for n, url in enumerate(urls)], allow_private=["0.0.0.0/0", "::/0"])
    embeds = run([("embeds", sites.url(SITE_A, "/embeds"))], allow_private=["0.0.0.0/0", "::/0"])["embeds"]

    assert private_listener.connections == before  # not one connection (tests may run in any order)
    assert len(results) == len(urls) >= 25
    assert [(r.url, r.outcome) for r in results.values() if r.outcome not in ("refused", "failed")] == []
    refused_by_squid = [r for r in results.values() if "egress proxy" in (r.reason or "")]
    assert len(refused_by_squid) >= 20, [(r.url, r.reason) for r in results.values()]
    assert {(r.url.rsplit("/", 1)[-1], r.outcome) for r in embeds.resources} == {
        ("i.png", "refused"), ("s.png", "refused"), ("fine.png", "ok")}
    records = product_squid.records(since)
    towards_private = [r for r in records if r.peer == PRIVATE_ADDRESS]
    assert towards_private == [] and {r.result for r in records if r.status == 403} == {"TCP_DENIED"}


def test_names_the_guard_believes_but_the_proxy_resolves_inward_are_refused_by_the_proxy(
        run: Any, private_listener: VirtualHosts) -> None:
    """The default guard (only the sites' range open) passes SPLIT on its own DNS answer; Squid resolves it
    itself, to the private listener, and refuses."""
    port, before = private_listener.port, private_listener.connections

    results = run([("split", f"http://{SPLIT}:{port}/"), ("split-tls", f"https://{SPLIT_TLS}:{port}/")])

    assert {r.outcome for r in results.values()} == {"refused"}
    assert {r.reason for r in results.values()} == {
        "refused by the egress proxy's policy (ERR_ACCESS_DENIED)",
        "refused by the egress proxy's policy (CONNECT answered 403)"}
    assert private_listener.connections == before


def test_the_browser_background_hosts_are_refused_at_the_proxy(run: Any, sites: VirtualHosts) -> None:
    sites.add(UPDATER, "/service/update2", "<p>update</p>")

    result = run([("updater", sites.url(UPDATER, "/service/update2"))])["updater"]

    assert result.outcome == "refused" and "ERR_ACCESS_DENIED" in (result.reason or "")
    assert sites.seen_by_path("/service/update2") == []


def test_the_same_requests_reach_the_listener_when_the_policy_allows_its_range(
        start_squid: Any, dns: GuardDns, evidence_dir: Path, master_key: bytes,
        private_listener: VirtualHosts) -> None:
    """Positive control: with HOTLINE_ALLOW_PRIVATE covering 127.0.0.2 too, the same spellings get through,
    so the zero above is the policy's doing."""
    private_listener.add("127.0.0.2", "/", page("open"))
    open_squid: Squid = start_squid(hosts=HOSTS, config=product_config(["127.0.0.0/30"]))
    before = private_listener.connections

    results = capture_through(open_squid.url, dns, evidence_dir, master_key,
                              [("open", f"http://0x7f.0.0.2:{private_listener.port}/")],
                              allow_private=["127.0.0.0/30"])

    assert private_listener.connections > before
    assert (results["open"].outcome, results["open"].status) == ("ok", 200)
