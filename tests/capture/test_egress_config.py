"""`hotline egress squid-config`: the proxy's policy from the guard's own table, checked by Squid itself.

(A real Squid runs this output in tests/egress/test_capture_through_squid.py.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app as cli_app

SQUID = Path("/usr/sbin/squid")


def _config(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli_app, ["egress", "squid-config", *arguments], env=env or {})
    return done.exit_code, done.stdout, done.stderr


def _refused(text: str) -> list[str]:
    return [cidr for line in text.splitlines() if line.startswith("acl hotline_refused dst ")
            for cidr in line.split()[3:]]


def test_the_whole_configuration_passes_squids_own_check(tmp_path: Path) -> None:
    if not SQUID.exists():
        pytest.skip("Squid is not installed: run `make squid`")
    code, text, _ = _config("--listen", "127.0.0.1:3999", "--log-dir", str(tmp_path), "--connect-port", "8443",
                            env={"HOTLINE_ALLOW_PRIVATE": "10.20.0.0/16"})
    (tmp_path / "squid.conf").write_text(text)

    parsed = subprocess.run([str(SQUID), "-k", "parse", "-f", str(tmp_path / "squid.conf")], capture_output=True,
                            text=True, timeout=60, check=False)

    problems = [line for line in parsed.stderr.splitlines() if "ERROR" in line or "FATAL" in line
                or ("WARNING" in line and "Via" not in line)]  # `via off` is asked for on purpose
    assert code == 0 and parsed.returncode == 0 and problems == []
    assert "acl hotline_tls_ports port 443 8443" in text and "http_access deny hotline_connect !hotline_tls_ports" in text
    assert "strip_query_terms on" in text and "cache deny all" in text and "reply_body_max_size 50000000 bytes" in text


def test_allow_private_opens_exactly_its_networks() -> None:
    _, closed, _ = _config("--policy-only")
    _, opened, _ = _config("--policy-only", env={"HOTLINE_ALLOW_PRIVATE": "127.0.0.1/32,10.20.0.0/16"})

    assert "127.0.0.0/8" in _refused(closed) and "10.0.0.0/8" in _refused(closed)
    assert "127.0.0.1/32" not in _refused(opened) and "127.0.0.2/31" in _refused(opened)
    assert "10.20.0.0/16" not in _refused(opened) and "10.21.0.0/16" in _refused(opened)
    assert "\nhttp_port " not in opened and opened.rstrip().endswith("# --- end of hotline egress policy ---")


def test_squid_never_gets_an_ipv6_block_that_covers_ipv4() -> None:
    """Squid keeps IPv4 addresses as ::ffff:a.b.c.d: a block over that space would refuse every IPv4 site."""
    import ipaddress

    _, text, _ = _config("--policy-only")
    mapped = ipaddress.ip_network("::ffff:0:0/96")

    assert not [c for c in _refused(text) if ":" in c and mapped.overlaps(ipaddress.ip_network(c))]
    assert "::/3" not in _refused(text) and "2002::/16" in _refused(text)


def test_bad_options_stop_with_one_line() -> None:
    client_code, _, client_err = _config("--client", "not-a-network")
    port_code, _, port_err = _config("--connect-port", "70000")

    assert client_code == 2
    assert client_err.strip() == "error: --client 'not-a-network' is not a network such as 10.0.0.0/24"
    assert port_code == 2 and port_err.strip() == "error: --connect-port 70000 is not a port number from 1 to 65535"


def test_resolvers_on_another_port_than_53_are_noted_not_written() -> None:
    _, on_53, _ = _config(env={"HOTLINE_DNS_NAMESERVERS": "10.0.0.53"})
    _, elsewhere, note = _config(env={"HOTLINE_DNS_NAMESERVERS": "127.0.0.1:5353"})

    assert "dns_nameservers 10.0.0.53" in on_53
    assert "dns_nameservers" not in elsewhere and "port other than 53" in note
