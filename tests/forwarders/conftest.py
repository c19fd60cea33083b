"""Fixtures for the forwarders tests; they live in fwd_support so test modules can import its helpers."""

from fwd_support import (  # noqa: F401 (re-exported as fixtures)
    https_partner_endpoint,
    make_notice,
    partner_endpoint,
    refused_url,
    silent_port,
    smtp_server,
    starttls_smtp_server,
    tls_files,
)
