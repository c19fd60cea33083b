"""HTTPS for the farm: a throw-away CA and one certificate per host name, issued on demand by SNI.

The CA lives only as long as the SyntheticInternet; its PEM is available for clients that verify.
Certificates carry subject CN=<host>, issuer "synthnet test CA" and a 30-day validity, so captures
have a real certificate to record.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hotline.synthnet.farm import Farm, FarmHandler
from hotline.synthnet.server import ServerThread, TrackingHTTPServer

CA_NAME = "synthnet test CA"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class CertificateAuthority:
    """Issues leaf certificates and keeps an SSLContext per host name."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="synthnet-tls-")
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM)
        self.default_context = self.context_for("localhost")
        self.default_context.sni_callback = self._choose

    def _issue(self, host: str) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return certificate.public_bytes(serialization.Encoding.PEM) + self.pem, _pem_key(key)

    def context_for(self, host: str) -> ssl.SSLContext:
        host = host.lower().rstrip(".") or "localhost"
        with self._lock:
            if host in self._contexts:
                return self._contexts[host]
            chain, key = self._issue(host)
            folder = Path(self._dir.name)
            (folder / f"{host}.crt").write_bytes(chain)
            (folder / f"{host}.key").write_bytes(key)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(folder / f"{host}.crt", folder / f"{host}.key")
            self._contexts[host] = context
            return context

    def _choose(self, sock: ssl.SSLObject, server_name: str | None, _context: ssl.SSLContext) -> None:
        if server_name:
            sock.context = self.context_for(server_name)

    def close(self) -> None:
        self._dir.cleanup()


class TlsHTTPServer(TrackingHTTPServer):
    """The farm's server with TLS; the handshake runs in the connection's own thread."""

    def __init__(self, address: tuple[str, int], handler: type, authority: CertificateAuthority,
                 **context: Any) -> None:
        self.authority = authority
        super().__init__(address, handler, **context)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        wrapped = self.authority.default_context.wrap_socket(sock, server_side=True,
                                                             do_handshake_on_connect=False)
        return wrapped, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(10)
            request.do_handshake()
            request.settimeout(None)
        except (OSError, ssl.SSLError):
            return  # plain-text or broken clients: nothing to serve
        super().finish_request(request, client_address)


def start_tls_farm(farm: Farm, authority: CertificateAuthority, address: str = "127.0.0.1") -> ServerThread:
    server = TlsHTTPServer((address, 0), FarmHandler, authority, farm=farm)
    return ServerThread(server, name="synthnet-farm-tls").start()
