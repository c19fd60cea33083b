"""Squid bounds the bytes of one response (`reply_body_max_size`): the hard cap a capture can rely on
whatever the client does, browser included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.squid import Squid
from support.vhosts import VirtualHosts

from .conftest import HOSTS, SITE_A

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def limited_squid(start_squid: Any) -> Squid:
    squid: Squid = start_squid(hosts=HOSTS, rules=["reply_body_max_size 64 KB", "http_access allow all"])
    return squid


@pytest.fixture
def limited_client(limited_squid: Squid) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        session.proxies = {"http": limited_squid.url}
        yield session


def test_a_response_over_the_limit_is_refused(limited_squid: Squid, sites: VirtualHosts,
                                              limited_client: requests.Session) -> None:
    sites.add(SITE_A, "/big.bin", b"x" * (LIMIT + 1), "application/octet-stream")
    since = limited_squid.mark()

    answer = limited_client.get(sites.url(SITE_A, "/big.bin"), timeout=10)

    assert answer.status_code == 403 and b"x" * 1024 not in answer.content
    [record] = limited_squid.wait_for(lambda r: r.url.endswith("/big.bin"), since=since)
    assert record.status == 403


def test_a_response_within_the_limit_passes(sites: VirtualHosts, limited_client: requests.Session) -> None:
    sites.add(SITE_A, "/fits.bin", b"y" * LIMIT, "application/octet-stream")

    answer = limited_client.get(sites.url(SITE_A, "/fits.bin"), timeout=10)

    assert (answer.status_code, len(answer.content)) == (200, LIMIT)
