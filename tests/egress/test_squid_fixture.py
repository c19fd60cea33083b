"""The real-Squid fixture itself: it starts only a Squid that resolves names from its hosts_file, it
fails with one line saying what to do, its access log is parsed, and it stops."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import requests
from support.squid import SQUID, AccessRecord, Squid, SquidFailed
from support.vhosts import VirtualHosts

from .conftest import HOSTS, SITE_A, SITE_B


def test_the_generated_config_passes_squid_parse(squid: Squid) -> None:
    parsed = subprocess.run([str(SQUID), "-k", "parse", "-f", str(squid.config_file)], check=False,
                            capture_output=True, text=True, timeout=30)

    assert parsed.returncode == 0, parsed.stderr
    assert f"hosts_file {squid.hosts_file}" in squid.config_file.read_text()


def test_a_config_mistake_fails_before_squid_starts() -> None:
    with pytest.raises(SquidFailed, match="squid -k parse rejected .*no_such_acl"), \
            Squid(rules=["http_access allow no_such_acl"]):
        pass


def test_a_hosts_file_squid_cannot_read_fails_the_start() -> None:
    """Squid reads hosts_file as user proxy; unreadable, it would quietly ask the system resolver."""
    with pytest.raises(SquidFailed, match=r"does not resolve names from its hosts_file .*Permission denied"), \
            Squid(hosts=HOSTS, hosts_file_mode=0o000):
        pass


class _SquidWithoutProbeName(Squid):
    """Stands for any Squid that does not take names from its hosts_file without saying so."""

    def _write_files(self, port: int, probe_port: int) -> None:
        super()._write_files(port, probe_port)
        self.hosts_file.write_text("127.0.0.1 other.hotline.test\n")


def test_a_squid_that_does_not_resolve_the_probe_name_fails_the_start() -> None:
    with pytest.raises(SquidFailed, match=r"does not resolve names from its hosts_file .*a probe for"), \
            _SquidWithoutProbeName():
        pass


def test_a_missing_squid_fails_with_the_install_step() -> None:
    with pytest.raises(SquidFailed) as failure, Squid(executable=Path("/nonexistent/squid")):
        pass

    assert "make squid" in str(failure.value) and "make test" in str(failure.value)


def test_names_resolve_through_the_hosts_file(squid: Squid, sites: VirtualHosts,
                                              client: requests.Session) -> None:
    since = squid.mark()

    answer = client.get(sites.url(SITE_B, "/"), timeout=10)

    assert answer.status_code == 200 and SITE_B in answer.text
    [record] = squid.wait_for(lambda r: SITE_B in r.url, since=since)
    assert (record.method, record.status, record.hierarchy) == ("GET", 200, "HIER_DIRECT")
    assert (record.peer, record.peer_port) == ("127.0.0.1", sites.port)


def test_the_access_log_keeps_query_strings_out(squid: Squid, sites: VirtualHosts,
                                                client: requests.Session) -> None:
    since = squid.mark()

    client.get(sites.url(SITE_A, "/?token=s3cr3t-value"), timeout=10)

    [record] = squid.wait_for(lambda r: SITE_A in r.url, since=since)
    assert record.url == f"http://{SITE_A}:{sites.port}/?"
    assert "s3cr3t-value" not in squid.access_log.read_text() + squid.cache_log_text()


def test_the_site_is_not_told_about_the_proxy(sites: VirtualHosts, client: requests.Session) -> None:
    client.get(sites.url(SITE_A, "/"), headers={"X-Marker": "no-via"}, timeout=10)

    [seen] = [s for s in sites.seen if s.headers.get("X-Marker") == "no-via"]
    assert not {"Via", "X-Forwarded-For", "Forwarded"} & set(seen.headers)


def test_access_records_parse_every_field() -> None:
    line = "1796548482.368 127.0.0.1 CONNECT 200 TCP_TUNNEL HIER_DIRECT 127.0.0.1 8443 site.test:8443\n"

    assert AccessRecord.parse(line) == AccessRecord(1796548482.368, "127.0.0.1", "CONNECT", 200, "TCP_TUNNEL",
                                                    "HIER_DIRECT", "127.0.0.1", 8443, "site.test:8443")
    assert AccessRecord.parse("1.5 127.0.0.1 GET 403 TCP_DENIED HIER_NONE - - http://x.test/a b").peer is None


def test_stop_ends_squid_and_frees_its_port() -> None:
    with Squid() as squid:
        port = squid.port
        squid.stop()

        assert not squid.running
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert "Exiting normally" in squid.cache_log_text()
