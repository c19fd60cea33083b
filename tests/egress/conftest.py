"""Loopback sites for the egress tests: name-based virtual hosts over HTTP and HTTPS, and a private
listener on 127.0.0.2 that stands for an internal network (it must never see a connection).

Every name below resolves only through the hosts_file of the Squid under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from support.vhosts import VirtualHosts

from hotline.synthnet.tls import CertificateAuthority

SITE_A = "site-a.hotline.test"
SITE_B = "site-b.hotline.test"
UNSERVED = "unserved.hotline.test"  # resolves to the sites' server, which does not serve it
INTRANET = "intranet.hotline.test"  # resolves to the private listener
PRIVATE_ADDRESS = "127.0.0.2"  # bindable on Linux loopback; outside the 127.0.0.1/32 the tests allow

HOSTS = {SITE_A: "127.0.0.1", SITE_B: "127.0.0.1", UNSERVED: "127.0.0.1", INTRANET: PRIVATE_ADDRESS}
DENY_PRIVATE = [
    f"acl private_network dst {PRIVATE_ADDRESS}/32",
    "http_access deny private_network",
    "http_access allow all",
]


def page(name: str) -> str:
    return f"<html><body><h1>{name}</h1></body></html>"


@pytest.fixture(scope="module")
def authority() -> Iterator[CertificateAuthority]:
    ca = CertificateAuthority()
    yield ca
    ca.close()


@pytest.fixture(scope="module")
def sites() -> Iterator[VirtualHosts]:
    with VirtualHosts() as server:
        for name in (SITE_A, SITE_B):
            server.add(name, "/", page(name))
        yield server


@pytest.fixture(scope="module")
def tls_sites(authority: CertificateAuthority) -> Iterator[VirtualHosts]:
    with VirtualHosts(authority=authority) as server:
        for name in (SITE_A, SITE_B):
            server.add(name, "/", page(name))
        yield server


@pytest.fixture(scope="module")
def private_listener() -> Iterator[VirtualHosts]:
    with VirtualHosts(PRIVATE_ADDRESS) as server:
        server.add(INTRANET, "/", page("intranet secrets"))
        yield server


@pytest.fixture(scope="module")
def squid(start_squid):  # type: ignore[no-untyped-def]
    """One real Squid per test module: the names above, and the private network denied by `dst`."""
    return start_squid(hosts=HOSTS, rules=DENY_PRIVATE)


@pytest.fixture(scope="module")
def ca_file(authority: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "synthnet-ca.pem"
    path.write_bytes(authority.pem)
    return str(path)


@pytest.fixture
def client(squid, ca_file: str) -> Iterator[requests.Session]:  # type: ignore[no-untyped-def]
    """A plain HTTP client whose every request goes through the Squid under test."""
    with requests.Session() as session:
        session.trust_env = False  # no proxy or CA settings from the environment
        session.proxies = {"http": squid.url, "https": squid.url}
        session.verify = ca_file
        yield session
