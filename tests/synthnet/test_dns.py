"""The synthetic DNS server answers dnspython over UDP and TCP like an authoritative server would."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest

from hotline.synthnet import SyntheticInternet


def test_a_record_of_a_registered_host(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_host("gallery.example-synth.ro", ips=["5.2.130.10", "5.2.130.11"])

    answer = resolver.resolve("gallery.example-synth.ro", "A")

    assert sorted(r.address for r in answer) == ["5.2.130.10", "5.2.130.11"]


def test_host_without_ips_gets_a_public_address_in_its_country(net: SyntheticInternet,
                                                               resolver: dns.resolver.Resolver) -> None:
    ro = net.add_host("one.example-synth.ro", country="RO")
    nl = net.add_host("two.example-synth.nl", country="NL")

    assert [r.address for r in resolver.resolve("one.example-synth.ro", "A")] == ro
    assert ro[0].startswith("5.2.") and nl[0].startswith("145.97.")


def test_aaaa_record(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_host("v6.example-synth.nl", ips=["145.97.2.10", "2001:67c:2e8::10"])

    answer = resolver.resolve("v6.example-synth.nl", "AAAA")

    assert [r.address for r in answer] == ["2001:67c:2e8::10"]


def test_cname_chain_is_followed_to_the_address(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_host("origin.cdn-synth.net", ips=["104.16.5.10"])
    net.add_cname("site.example-synth.ro", "site.example-synth.ro.cdn-synth.net")
    net.add_cname("site.example-synth.ro.cdn-synth.net", "origin.cdn-synth.net")
    net.add_cname("www.site.example-synth.ro", "site.example-synth.ro")

    answer = resolver.resolve("www.site.example-synth.ro", "A")

    assert [r.address for r in answer] == ["104.16.5.10"]
    assert str(answer.canonical_name) == "origin.cdn-synth.net."
    cnames = [rrset for rrset in answer.response.answer if rrset.rdtype == dns.rdatatype.CNAME]
    assert len(cnames) == 3


def test_unknown_name_is_nxdomain(resolver: dns.resolver.Resolver) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("nothing-here.example-synth.ro", "A")


def test_removed_host_becomes_nxdomain(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_host("gone.example-synth.ro")
    resolver.resolve("gone.example-synth.ro", "A")

    net.remove_host("gone.example-synth.ro")

    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("gone.example-synth.ro", "A")


def test_servfail_name(net: SyntheticInternet) -> None:
    net.add_servfail("broken.example-synth.ro")
    host, port = net.dns_nameserver.rsplit(":", 1)

    reply = dns.query.udp(dns.message.make_query("broken.example-synth.ro", "A"), host, port=int(port), timeout=2)

    assert reply.rcode() == dns.rcode.SERVFAIL


def test_name_that_is_never_answered_times_out(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_dns_timeout("silent.example-synth.ro")
    resolver.lifetime = 0.3

    with pytest.raises(dns.exception.Timeout):
        resolver.resolve("silent.example-synth.ro", "A")


def test_rebinding_name_alternates_between_public_and_loopback(net: SyntheticInternet,
                                                               resolver: dns.resolver.Resolver) -> None:
    net.add_rebinding("rebind.example-synth.ro", public_ip="5.2.131.7")

    answers = [resolver.resolve("rebind.example-synth.ro", "A")[0].address for _ in range(4)]

    assert answers == ["5.2.131.7", net.private_address, "5.2.131.7", net.private_address]
    assert net.private_address.startswith("127.")


def test_private_addresses_are_answered_as_plain_strings(net: SyntheticInternet,
                                                         resolver: dns.resolver.Resolver) -> None:
    net.add_host("intranet.example-synth.ro", ips=["10.0.0.5", "192.168.1.1", "169.254.169.254"])

    answer = resolver.resolve("intranet.example-synth.ro", "A")

    assert sorted(r.address for r in answer) == ["10.0.0.5", "169.254.169.254", "192.168.1.1"]


def test_ns_of_the_registrable_domain(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_host("www.example-synth.ro", ns=["ns1.hoster-synth.ro", "ns2.hoster-synth.ro"])

    answer = resolver.resolve("example-synth.ro", "NS")

    assert sorted(str(r.target) for r in answer) == ["ns1.hoster-synth.ro.", "ns2.hoster-synth.ro."]


def test_tcp_gives_the_same_answer(net: SyntheticInternet) -> None:
    net.add_host("tcp.example-synth.ro", ips=["5.2.140.1"])
    host, port = net.dns_nameserver.rsplit(":", 1)

    reply = dns.query.tcp(dns.message.make_query("tcp.example-synth.ro", "A"), host, port=int(port), timeout=2)

    assert [r.address for r in reply.answer[0]] == ["5.2.140.1"]


def test_soa_of_a_zone_apex(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_host("example-synth.ro")

    answer = resolver.resolve("example-synth.ro", "SOA")

    assert str(answer[0].mname) == "ns1.dns-example-synth.ro."


def test_internationalised_name_is_served_as_punycode(net: SyntheticInternet,
                                                      resolver: dns.resolver.Resolver) -> None:
    net.add_host("știri-galerie.ro", ips=["5.2.150.1"])

    answer = resolver.resolve("xn--tiri-galerie-6le.ro", "A")

    assert [r.address for r in answer] == ["5.2.150.1"]


def test_new_addresses_end_rebinding(net: SyntheticInternet, resolver: dns.resolver.Resolver) -> None:
    net.add_rebinding("flip.example-synth.ro", public_ip="5.2.131.8")
    net.add_host("flip.example-synth.ro", ips=["5.2.131.9"])

    answers = {resolver.resolve("flip.example-synth.ro", "A")[0].address for _ in range(3)}

    assert answers == {"5.2.131.9"}
