"""Direct connections (no proxy): the Twisted resolver pins and polices every connection.

Only loopback is ever reachable here: the farm answers on 127.0.0.1 (opened with allow_private), the
private listener on 127.0.0.2 must stay unreached, and direct_connect_only keeps everything else out.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hotline.capture.models import CaptureResult
from hotline.synthnet import SyntheticInternet

from .conftest import Capture

LOOP = "loop.synth.test"
TLS_HOST = "tls.synth.test"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_HOST),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Synthetic Hosting SRL")])  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(4242).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(TLS_HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><p>over TLS</p></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def results(net: SyntheticInternet, capture: Capture, tls_port: int) -> dict[str, CaptureResult]:
    if net.private_address == "127.0.0.1":
        pytest.skip("the private listener shares 127.0.0.1 with the farm on this machine")
    port = net.farm_port
    net.add_host(LOOP, ips=["127.0.0.1"])
    net.add_host(TLS_HOST, ips=["127.0.0.1"])
    net.add_host("inside.synth.test", ips=[net.private_address])
    net.add_host("far-away.example-synth.ro", country="RO")
    net.add_rebinding("flip.synth.test", public_ip="127.0.0.1")
    images = "".join(f'<img src="http://flip.synth.test:{port}/{n}.png">' for n in range(3))
    net.add_page(LOOP, "/p", html=f"<html>{images}</html>")
    for n in range(3):
        net.add_image("flip.synth.test", f"/{n}.png", seed=20 + n)
    net.add_redirect(LOOP, "/inward", f"http://inside.synth.test:{net.private_port}/")
    jobs = [
        ("loop", f"http://{LOOP}:{port}/p"),
        ("inside", f"http://inside.synth.test:{net.private_port}/"),
        ("literal", f"http://127.0.0.2:{net.private_port}/"),
        ("inward", f"http://{LOOP}:{port}/inward"),
        ("far", f"http://far-away.example-synth.ro:{port}/"),
        ("tls", f"https://{TLS_HOST}:{tls_port}/"),
    ]
    return capture(jobs, egress_proxy=None, allow_private=["127.0.0.1/32"])


def test_a_direct_capture_records_the_peer_address_of_every_hop(results: dict[str, CaptureResult]) -> None:
    result = results["loop"]
    assert result.outcome == "ok", result.reason
    assert result.hops[0].ip == "127.0.0.1" and not result.hops[0].via_proxy
    assert len(result.resources) == 3
    assert all(r.outcome == "ok" and r.ip == "127.0.0.1" for r in result.resources)


def test_rebinding_dns_is_pinned_to_the_first_checked_answer(net: SyntheticInternet, results: dict[str, CaptureResult]) -> None:
    assert results["loop"].outcome == "ok"
    a_queries = [q for q in net.dns_queries if q[0].rstrip(".") == "flip.synth.test" and q[1] == "A"]
    assert len(a_queries) == 1
    assert net.private_hits == 0


@pytest.mark.parametrize("job", ["inside", "literal", "inward"])
def test_private_targets_are_refused_before_connecting(net: SyntheticInternet, results: dict[str, CaptureResult], job: str) -> None:
    result = results[job]
    assert result.outcome == "refused" and "loopback" in (result.reason or ""), result.reason
    assert net.private_hits == 0


def test_the_resolver_keeps_direct_connections_inside_the_safety_net(results: dict[str, CaptureResult]) -> None:
    # The address is global, so the request guard lets it pass; the resolver refuses to connect to it.
    result = results["far"]
    assert result.outcome == "refused" and "direct_connect_only" in (result.reason or ""), result.reason


def test_https_captures_record_the_server_certificate(results: dict[str, CaptureResult]) -> None:
    result = results["tls"]
    assert result.outcome == "ok", result.reason
    assert result.tls is not None
    assert f"CN={TLS_HOST}" in result.tls["subject"] and "Synthetic Hosting SRL" in result.tls["issuer"]
    assert result.tls["serial"] == format(4242, "x")
    assert result.tls["not_before"] < result.tls["not_after"]
