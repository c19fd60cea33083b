"""Politeness and links: a download delay and one request at a time per host, measured at the server; and
the links a discovery capture returns (within the registrable domain it names, nothing else)."""

from __future__ import annotations

import itertools

from hotline.capture.extract import page_links, within_domain
from hotline.capture.models import CaptureJob
from hotline.synthnet import SyntheticInternet

from .conftest import Capture

HOST = "politicos.example-synth.ro"


def test_a_download_delay_spaces_the_requests_to_one_host(net: SyntheticInternet, capture: Capture) -> None:
    net.add_host(HOST, country="RO")
    images = "".join(f"<img src='/p{n}.png'>" for n in range(4))
    net.add_page(HOST, "/slow", html=images)
    for n in range(4):
        net.add_image(HOST, f"/p{n}.png", seed=300 + n)
    first = len(net.requests)
    results = capture([("slow", f"http://{HOST}/slow")], download_delay=0.3, concurrent_per_host=1)
    assert results["slow"].outcome == "ok" and len(results["slow"].resources) == 4
    times = sorted(r.at for r in net.requests[first:] if r.host == HOST)
    assert len(times) == 5
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.2  # 0.3 s apart, less the relay's jitter


def test_a_discovery_capture_returns_the_pages_links_within_its_domain(net: SyntheticInternet, capture: Capture) -> None:
    net.add_host(HOST, country="RO")
    net.add_page(HOST, "/links", html=(
        "<a href='/a#top'>a</a><a href='http://img.politicos.example-synth.ro/b'>b</a>"
        "<a href='http://elsewhere-synth.nl/c'>c</a><a href='javascript:void(0)'>j</a><iframe src='/d'></iframe>"
        "<a href='mailto:x@example.org'>m</a><a href='/a'>again</a>"))
    job = CaptureJob(job_id="links", url=f"http://{HOST}/links", engine="scrapy", links_within="example-synth.ro")
    plain = CaptureJob(job_id="plain", url=f"http://{HOST}/links", engine="scrapy")
    results = capture([job, plain])
    assert results["links"].links == [f"http://{HOST}/a", "http://img.politicos.example-synth.ro/b",
                                      f"http://{HOST}/d"]
    assert results["plain"].links == []


def test_within_domain_is_the_domain_or_a_name_under_it() -> None:
    assert within_domain("https://a.b.example.ro/x", "example.ro")
    assert within_domain("http://example.ro:8080/", "example.ro")
    assert not within_domain("http://badexample.ro/", "example.ro")
    assert not within_domain("http://example.ro.evil.nl/", "example.ro")
    assert not within_domain("ftp://example.ro/", "example.ro")
    base = "<base href='http://cdn.example.ro/g/'><a href='p2'>2</a>"
    assert page_links(base, "http://example.ro/", "example.ro") == ["http://cdn.example.ro/g/p2"]
