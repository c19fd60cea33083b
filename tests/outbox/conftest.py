"""Fixtures for the outbox tests: loopback partner endpoints and SMTP servers from tests/forwarders."""

import outbox_support  # noqa: F401 (puts tests/forwarders on sys.path for fwd_support)
from fwd_support import (  # noqa: F401 (re-exported as fixtures)
    partner_endpoint,
    refused_url,
    silent_port,
    smtp_server,
)
