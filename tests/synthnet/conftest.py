"""Fixtures for the synthetic internet's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import dns.resolver
import pytest

from hotline.synthnet import SyntheticInternet


@pytest.fixture
def net() -> Iterator[SyntheticInternet]:
    """A bare synthetic internet (no default sites): each test registers what it needs."""
    with SyntheticInternet(default_sites=False) as running:
        yield running


@pytest.fixture
def resolver(net: SyntheticInternet) -> dns.resolver.Resolver:
    """dnspython pointed at the synthetic DNS server only, failing fast."""
    host, port = net.dns_nameserver.rsplit(":", 1)
    made = dns.resolver.Resolver(configure=False)
    made.nameservers = [host]
    made.port = int(port)
    made.lifetime = 1.0
    made.timeout = 0.5
    return made


@pytest.fixture
def proxies(net: SyntheticInternet) -> dict[str, str]:
    return {"http": net.proxy_url, "https": net.proxy_url}
