"""DNS against the synthetic internet's nameserver on loopback: answers, chains and failure states."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hotline.locate.dns import parse_nameserver, resolve_host
from hotline.synthnet import SyntheticInternet


@pytest.fixture(scope="module")
def net() -> Iterator[SyntheticInternet]:
    with SyntheticInternet(default_sites=False) as synthetic:
        synthetic.add_host("gallery-ro.example-synth.ro", ips=["5.2.130.10"], ns=["ns1.host-ro.ro", "ns2.host-ro.ro"])
        synthetic.zone.set_addresses("gallery-ro.example-synth.ro", ["5.2.130.10", "2a02:2f0c::10"])
        synthetic.add_host("origin.example-synth.nl", ips=["145.131.10.5"])
        synthetic.add_cname("www.example-synth.nl", "edge.example-synth.nl")
        synthetic.add_cname("edge.example-synth.nl", "origin.example-synth.nl")
        synthetic.add_host("broken.example-synth.ro", ips=["5.2.130.11"])
        synthetic.add_servfail("broken.example-synth.ro")
        synthetic.add_host("silent.example-synth.ro", ips=["5.2.130.12"])
        synthetic.add_dns_timeout("silent.example-synth.ro")
        yield synthetic


def test_a_aaaa_and_ns_of_the_registrable_domain(net: SyntheticInternet) -> None:
    answer = resolve_host("gallery-ro.example-synth.ro", [net.dns_nameserver], timeout=1.0)
    assert answer.status == "ok" and answer.error is None
    assert answer.a == ["5.2.130.10"]
    assert answer.aaaa == ["2a02:2f0c::10"]
    assert answer.registrable_domain == "example-synth.ro"
    assert answer.ns == ["ns1.host-ro.ro", "ns2.host-ro.ro"]
    assert answer.cname_chain == []


def test_cname_chain_is_followed_and_recorded_in_order(net: SyntheticInternet) -> None:
    answer = resolve_host("www.example-synth.nl", [net.dns_nameserver], timeout=1.0)
    assert answer.status == "ok"
    assert answer.cname_chain == ["edge.example-synth.nl", "origin.example-synth.nl"]
    assert answer.a == ["145.131.10.5"]


def test_name_that_does_not_exist_is_nxdomain(net: SyntheticInternet) -> None:
    answer = resolve_host("nothing-here.example-synth.ro", [net.dns_nameserver], timeout=1.0)
    assert answer.status == "nxdomain"
    assert answer.a == [] and "no such domain" in (answer.error or "")


def test_broken_servers_are_servfail_not_nxdomain(net: SyntheticInternet) -> None:
    answer = resolve_host("broken.example-synth.ro", [net.dns_nameserver], timeout=1.0)
    assert answer.status == "servfail"
    assert "SERVFAIL" in (answer.error or "")


def test_name_that_never_answers_times_out_after_the_retries(net: SyntheticInternet) -> None:
    started = time.monotonic()
    answer = resolve_host("silent.example-synth.ro", [net.dns_nameserver], timeout=0.2, retries=1)
    elapsed = time.monotonic() - started
    assert answer.status == "timeout"
    assert "2 attempt" in (answer.error or "")
    assert 0.35 < elapsed < 3.0  # two attempts of 0.2 s; the AAAA and NS queries are skipped


def test_dead_nameserver_is_a_timeout() -> None:
    answer = resolve_host("gallery-ro.example-synth.ro", ["127.0.0.1:9"], timeout=0.2, retries=0)
    assert answer.status in ("timeout", "error")
    assert answer.error


@pytest.mark.parametrize(("spec", "expected"), [
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("::1", ("::1", 53)),
])
def test_nameserver_specs(spec: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(spec) == expected


def test_dangling_cname_is_nxdomain_with_its_chain(net: SyntheticInternet) -> None:
    net.add_cname("dangling.example-synth.ro", "deleted-origin.example-synth.ro")
    answer = resolve_host("dangling.example-synth.ro", [net.dns_nameserver], timeout=1.0)
    assert answer.status == "nxdomain"
    assert answer.cname_chain == ["deleted-origin.example-synth.ro"]


def test_unusable_nameserver_setting_is_one_clear_error() -> None:
    answer = resolve_host("gallery-ro.example-synth.ro", ["not-an-address:53"], timeout=0.2)
    assert answer.status == "error"
    assert "HOTLINE_DNS_NAMESERVERS" in (answer.error or "")
