"""The whole synthetic internet starts on loopback, tells the product where it is, and stops cleanly."""

from __future__ import annotations

import socket

import pytest

from hotline.synthnet import SyntheticInternet


def test_env_points_at_loopback_services(net: SyntheticInternet) -> None:
    env = net.env()

    assert env["HOTLINE_DNS_NAMESERVERS"] == net.dns_nameserver
    assert env["HOTLINE_EGRESS_PROXY"] == net.proxy_url
    assert env["HOTLINE_RDAP_URL"] == net.rdap_url
    assert all("127.0.0.1" in value for value in env.values())


def test_every_port_is_closed_after_exit() -> None:
    with SyntheticInternet(default_sites=False) as net:
        ports = [net.farm_port, int(net.proxy_url.rsplit(":", 1)[1]), int(net.dns_nameserver.rsplit(":", 1)[1])]
        ports.append(int(net.rdap_url.rstrip("/").rsplit(":", 1)[1]))

    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
