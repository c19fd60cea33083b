"""Loopback sites for the egress tests: name-based virtual hosts over HTTP and HTTPS, and a private
listener on 127.0.0.2 that stands for an internal network (it must never see a connection).

Every name below resolves only through the hosts_file of the Squid under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# --- the product through real Squid ------------------------------------------------------------------

LOOPBACK_ONLY = ["127.0.0.0/8", "::1/128"]  # the capture's own connections: only the proxy, on loopback
SITES_RANGE = ["127.0.0.1/32"]  # HOTLINE_ALLOW_PRIVATE of these tests: where the sites listen


def product_config(allow_private: list[str], connect_ports: list[int] = (), extra: list[str] = ()):  # type: ignore[no-untyped-def,assignment]
    """Squid's configuration as `hotline egress squid-config` prints it, for the Squid fixture's `config=`:
    the shipped configuration is the one under test (the fixture only adds its safety rule first and its
    own files and hosts_file last)."""
    from typer.testing import CliRunner

    from cli import app as cli_app

    def config(port: int, directory: Path) -> str:
        arguments = ["egress", "squid-config", "--listen", f"127.0.0.1:{port}", "--log-dir", str(directory)]
        for connect_port in connect_ports:
            arguments += ["--connect-port", str(connect_port)]
        done = CliRunner().invoke(cli_app, arguments, env={"HOTLINE_ALLOW_PRIVATE": ",".join(allow_private)})
        assert done.exit_code == 0, done.output
        return done.stdout + "".join(f"{line}\n" for line in extra)

    return config


class GuardDns:
    """The capture guard's own nameserver (HOTLINE_DNS_NAMESERVERS): a synthetic zone on loopback."""

    def __init__(self, names: dict[str, str]) -> None:
        from hotline.synthnet.dns import DnsServer, Zone

        self.zone = Zone()
        for name, address in names.items():
            self.zone.set_addresses(name, [address])
        self.server = DnsServer(self.zone).start()

    @property
    def nameserver(self) -> str:
        return self.server.nameserver


def capture_through(squid_url: str, dns: GuardDns, evidence_dir: Path, master_key: bytes, jobs: list[Any],
                    **overrides: Any) -> dict[str, Any]:
    """Run a batch with the product's capture worker, every request through the Squid at `squid_url`."""
    from hotline.capture.client import run_captures
    from hotline.capture.models import CaptureJob, CaptureOptions

    settings: dict[str, Any] = {
        "evidence_dir": evidence_dir, "master_key": master_key, "dns_nameservers": [dns.nameserver],
        "egress_proxy": squid_url, "allow_private": SITES_RANGE, "direct_connect_only": LOOPBACK_ONLY,
        "max_seconds": 10,
    }
    settings.update(overrides)
    options = CaptureOptions(**settings)
    assert options.direct_connect_only == LOOPBACK_ONLY, "live tests keep the loopback safety net"
    batch = [j if isinstance(j, CaptureJob) else CaptureJob(job_id=j[0], url=j[1]) for j in jobs]
    return {r.job_id: r for r in run_captures(batch, options)}


@pytest.fixture(scope="module")
def master_key() -> bytes:
    from hotline.evidence import generate_master_key

    return generate_master_key()


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")
