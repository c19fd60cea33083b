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


def test_a_failed_start_stops_what_had_started(monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.synthnet import farm
    from hotline.synthnet import net as net_module

    started: list[tuple[str, int]] = []
    real_start_farm = farm.start_farm

    def recording_start_farm(*args: object, **kwargs: object) -> object:
        server = real_start_farm(*args, **kwargs)  # type: ignore[arg-type]
        started.append((server.host, server.port))
        return server

    def failing_rdap(address: str) -> object:
        raise OSError("no port for RDAP")

    monkeypatch.setattr(net_module, "start_farm", recording_start_farm)
    monkeypatch.setattr(net_module, "RdapServer", failing_rdap)

    with pytest.raises(OSError, match="no port for RDAP"):
        SyntheticInternet(default_sites=False).start()

    assert len(started) == 2
    for address in started:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=2).close()
