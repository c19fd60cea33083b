"""HTTPS sites: CONNECT through the proxy reaches the farm's TLS listener with a per-host certificate."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
import requests

from hotline.synthnet import SyntheticInternet

HOST = "secure.example-synth.ro"


@pytest.fixture
def ca_file(net: SyntheticInternet, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_bytes(net.ca_pem)
    return str(path)


def test_https_through_the_proxy_with_a_verified_certificate(net: SyntheticInternet, ca_file: str,
                                                              proxies: dict[str, str]) -> None:
    net.add_host(HOST)
    net.add_page(HOST, "/", html="secure page")

    response = requests.get(f"https://{HOST}/", proxies=proxies, verify=ca_file, timeout=5)

    assert response.text == "secure page"
    assert net.proxy_log[-1].route == "tls-farm" and net.hits == [(HOST, "/")]


def test_certificate_names_the_host_asked_for(net: SyntheticInternet, ca_file: str) -> None:
    context = ssl.create_default_context(cafile=ca_file)
    with socket.create_connection(("127.0.0.1", net.farm_tls_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=HOST) as tls:
        certificate = tls.getpeercert()

    assert certificate is not None
    assert certificate["subject"] == ((("commonName", HOST),),)
    assert certificate["issuer"] == ((("commonName", "synthnet test CA"),),)


def test_plain_http_to_the_tls_port_fails_quickly(net: SyntheticInternet) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{net.farm_tls_port}/", headers={"Host": HOST}, timeout=5)
