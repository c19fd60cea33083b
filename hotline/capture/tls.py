"""Details of the server certificate an HTTPS response came with."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes


def certificate_details(certificate: Any) -> dict[str, str] | None:
    """Subject, issuer, validity and fingerprint of a Twisted ``ssl.Certificate`` (None if unreadable)."""
    try:
        cert = certificate.original.to_cryptography()
    except (AttributeError, ValueError):
        return None
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "serial": format(cert.serial_number, "x"),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }
