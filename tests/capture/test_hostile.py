"""SSRF corpus: hostile URLs and redirect chains, captured live through the synthetic internet.

Given a farm with a private listener that stands for the internal network, when the capture worker
fetches every URL of the corpus (odd spellings, private DNS answers, rebinding DNS, redirects from
public to private, embedded media pointing inward), then the private listener is never reached and
every refusal is recorded on the capture with a reason.

The synthetic proxy honours Host with an address in the request line and forwards to private
addresses on request (it stands for a proxy that enforces nothing), so this corpus runs with the
opt-in `pin_through_proxy`: the guard alone must keep it out. Through a standard proxy (the default,
no pinning) the proxy enforces the policy: tests/egress/test_capture_through_squid.py runs the corpus
through real Squid configured by `hotline egress squid-config`.
"""

from __future__ import annotations

import pytest

from hotline.capture.models import CaptureResult
from hotline.synthnet import SyntheticInternet

from .conftest import SITE, Capture

HOSTILE_SITE = "redirector.example-synth.ro"


def _literal_spellings(net: SyntheticInternet) -> list[str]:
    """The private listener (127.0.0.2) written every way a URL parser might accept."""
    port = net.private_port
    hosts = [
        "127.0.0.2", "2130706434", "2130706434.", "0177.0.0.02", "0177.0.0.2.", "0x7f.0.0.2", "0x7f000002",
        "0x7F.0x0.0x0.0x2", "017700000002", "127.2", "127.0.2", "127.0.0.2.", "%31%32%37.0.0.2",
        "[::ffff:127.0.0.2]", "[::ffff:7f00:2]", "[0:0:0:0:0:ffff:127.0.0.2]", "[::127.0.0.2]",
        "[64:ff9b::7f00:2]", "[2002:7f00:2::]", "[::1]", "0.0.0.0", "0", "[::]",
        "a@127.0.0.2", "user:pw@127.0.0.2", f"{SITE}@127.0.0.2", "localhost",
    ]  # fmt: skip
    urls = [f"http://{h}:{port}/secret" for h in hosts]
    urls += [f"https://127.0.0.2:{port}/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
             "http://192.168.0.1/", "http://172.16.0.1/", "http://100.64.0.1/", "http://224.0.0.1/"]
    return urls


def _dns_names(net: SyntheticInternet) -> list[str]:
    """Names whose DNS answers point inward (or change between queries)."""
    private = net.private_address
    net.add_host("internal.synth.test", ips=[private])
    net.add_host("metadata.synth.test", ips=["169.254.169.254"])
    net.add_host("rfc1918.synth.test", ips=["10.1.2.3"])
    net.add_host("cgnat.synth.test", ips=["100.64.1.1"])
    net.add_host("mixed.synth.test", ips=["5.2.130.77", private])
    net.add_host("v6loop.synth.test", ips=["::1"])
    net.add_host("mapped.synth.test", ips=[f"::ffff:{private}"])
    net.add_host("zero.synth.test", ips=["0.0.0.0"])
    net.add_cname("alias-internal.synth.test", "internal.synth.test")
    net.add_rebinding("rebind-a.synth.test")
    net.add_rebinding("rebind-b.synth.test")
    for host in ("rebind-a.synth.test", "rebind-b.synth.test"):
        net.add_page(host, "/", html="<p>rebinding page</p>")
    port = net.private_port
    names = ["internal", "metadata", "rfc1918", "cgnat", "mixed", "v6loop", "mapped", "zero", "alias-internal"]
    return [f"http://{n}.synth.test:{port}/" for n in names] + [
        f"http://rebind-a.synth.test:{port}/", "http://rebind-b.synth.test/", "http://rebind-b.synth.test/",
    ]


def _redirects(net: SyntheticInternet) -> list[str]:
    """Public pages that redirect inward, directly or after a few hops."""
    net.add_host(HOSTILE_SITE, country="NL")
    net.add_host(SITE, country="RO")
    port = net.private_port
    targets = [
        f"http://127.0.0.2:{port}/", f"http://2130706434:{port}/", f"http://[::ffff:127.0.0.2]:{port}/",
        f"http://internal.synth.test:{port}/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
        f"http://localhost:{port}/", "file:///etc/passwd", "ftp://internal.synth.test/", "data:text/html,hi",
        f"gopher://127.0.0.2:{port}/", f"//127.0.0.2:{port}/", f"http://a@internal.synth.test:{port}/",
        f"http://0x7f.2:{port}/", f"http://rebind-a.synth.test:{port}/",
    ]  # fmt: skip
    urls = []
    for n, target in enumerate(targets):
        urls.append(net.add_redirect(HOSTILE_SITE, f"/r{n}", target, status=(302, 301, 307, 308, 303)[n % 5]))
    net.add_redirect(HOSTILE_SITE, "/chain1", f"http://{HOSTILE_SITE}/chain2")
    net.add_redirect(HOSTILE_SITE, "/chain2", f"http://{SITE}/onward")
    net.add_redirect(SITE, "/onward", f"http://internal.synth.test:{port}/deep")
    urls.append(f"http://{HOSTILE_SITE}/chain1")
    return urls


def _embedding_page(net: SyntheticInternet) -> str:
    port = net.private_port
    html = f"""<html><head><meta property="og:image" content="http://internal.synth.test:{port}/og.png"></head>
      <body><img src="http://127.0.0.2:{port}/i.png"><img srcset="http://2130706434:{port}/s.png 2x">
      <div style="background:url('http://169.254.169.254/bg.png')"></div>
      <video><source src="http://rfc1918.synth.test/v.mp4"></video>
      <img src="/fine.png"></body></html>"""
    net.add_image(HOSTILE_SITE, "/fine.png", seed=7)
    return net.add_page(HOSTILE_SITE, "/embeds", html=html)


@pytest.fixture(scope="module")
def corpus(net: SyntheticInternet, capture: Capture) -> tuple[list[tuple[str, str]], dict[str, CaptureResult]]:
    urls = _literal_spellings(net) + _dns_names(net) + _redirects(net) + [_embedding_page(net)]
    jobs = [(f"h{n:03d}", url) for n, url in enumerate(urls)]
    results = capture(jobs, pin_through_proxy=True)
    return jobs, results


def test_the_corpus_is_large_and_never_reaches_the_private_listener(
    net: SyntheticInternet, corpus: tuple[list[tuple[str, str]], dict[str, CaptureResult]]
) -> None:
    jobs, results = corpus
    assert len(jobs) >= 50
    assert len(results) == len(jobs)
    assert net.private_hits == 0
    assert net.private_requests == []
    assert not [r for r in net.proxy_log if r.route == "private"]


def test_every_inward_url_is_refused_or_failed_with_a_reason(
    corpus: tuple[list[tuple[str, str]], dict[str, CaptureResult]],
) -> None:
    jobs, results = corpus
    # pinned to the first (public) rebinding answer, the embedding page itself, userinfo naming the site
    allowed_through = {url for _, url in jobs if "rebind" in url or url.endswith(("/embeds", "/r14"))}
    allowed_through |= {url for _, url in jobs if f"{SITE}@" in url}
    for job_id, url in jobs:
        result = results[job_id]
        if url in allowed_through:
            continue
        assert result.outcome in ("refused", "failed"), (url, result.outcome, result.reason)
        assert result.reason, url


def test_odd_spellings_are_refused_as_the_address_they_mean(
    corpus: tuple[list[tuple[str, str]], dict[str, CaptureResult]],
) -> None:
    jobs, results = corpus
    by_url = {url: results[job_id] for job_id, url in jobs}
    for url, result in by_url.items():
        if any(s in url for s in ("2130706434", "0177.0.0", "0x7f", "017700000002", "127.2:", "127.0.2:")):
            assert result.outcome == "refused", url
            assert "loopback" in (result.reason or ""), (url, result.reason)
    assert "link-local" in (by_url["http://169.254.169.254/latest/meta-data/"].reason or "")


def test_redirect_hops_are_recorded_up_to_the_refused_one(
    net: SyntheticInternet, corpus: tuple[list[tuple[str, str]], dict[str, CaptureResult]]
) -> None:
    jobs, results = corpus
    by_url = {url: results[job_id] for job_id, url in jobs}
    chain = by_url[f"http://{HOSTILE_SITE}/chain1"]
    assert chain.outcome == "refused"
    assert [h.status for h in chain.hops] == [302, 302, 302, None]
    assert chain.hops[-1].url == f"http://internal.synth.test:{net.private_port}/deep"
    assert chain.hops[0].ip and chain.hops[0].via_proxy
    assert "loopback" in (chain.reason or "")
    file_redirect = by_url[f"http://{HOSTILE_SITE}/r7"]
    assert file_redirect.outcome == "refused" and "scheme not allowed" in (file_redirect.reason or "")


def test_rebinding_dns_is_asked_once_and_the_checked_address_is_used(
    net: SyntheticInternet, corpus: tuple[list[tuple[str, str]], dict[str, CaptureResult]]
) -> None:
    jobs, results = corpus
    rebinding = [results[j] for j, url in jobs if url.startswith("http://rebind-b.synth.test/")]
    assert all(r.outcome == "ok" for r in rebinding)
    assert {r.hops[-1].ip for r in rebinding} == {rebinding[0].hops[0].ip}
    assert rebinding[0].hops[0].ip != net.private_address
    a_queries = [q for q in net.dns_queries if q[0].rstrip(".") == "rebind-b.synth.test" and q[1] == "A"]
    assert len(a_queries) == 1


def test_embedded_media_pointing_inward_are_refused_one_by_one(
    corpus: tuple[list[tuple[str, str]], dict[str, CaptureResult]],
) -> None:
    jobs, results = corpus
    [page] = [results[j] for j, url in jobs if url.endswith("/embeds")]
    assert page.outcome == "ok"
    outcomes = {r.url.rsplit("/", 1)[-1]: r.outcome for r in page.resources}
    assert outcomes == {"og.png": "refused", "i.png": "refused", "s.png": "refused", "bg.png": "refused",
                        "v.mp4": "refused", "fine.png": "ok"}  # fmt: skip
    assert all(r.reason for r in page.resources if r.outcome == "refused")


def test_the_corpus_would_reach_the_private_listener_if_the_guard_allowed_it(
    net: SyntheticInternet, capture: Capture
) -> None:
    # Given the same kind of URLs, when the operator opens every network, then they do get through:
    # so the zero above is the guard's doing, not a corpus that could never have reached anything.
    before = net.private_hits
    urls = [f"http://2130706434:{net.private_port}/", f"http://0x7f.2:{net.private_port}/"]
    results = capture([(f"open{n}", url) for n, url in enumerate(urls)], allow_private=["0.0.0.0/0", "::/0"])
    assert net.private_hits > before
    assert all(r.outcome == "ok" for r in results.values())
