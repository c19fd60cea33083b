"""Answers the egress proxy gives in its own name, told apart from the site's.

Squid marks every error page it makes with ``X-Squid-Error`` (``ERR_ACCESS_DENIED 0``,
``ERR_CONNECT_FAIL 111`` ...), and refuses a CONNECT with a status on the tunnel request. A capture
records these as what they are: the proxy's refusal (policy) or its failure to reach the site, not the
site's own 403 or 503. Only error statuses count, so a site cannot make its page look refused.
"""

from __future__ import annotations

import re

from hotline.capture.models import Outcome

# Squid's errno after ERR_CONNECT_FAIL, in the words the takedown monitor reads as "unreachable".
_ERRNO_WORDS = {"111": "Connection refused", "113": "No route to host", "110": "TCPTimedOut"}
_TUNNEL_STATUS = re.compile(r"'status': (\d{3})")


def proxy_answer(status: int, squid_error: str | None) -> tuple[Outcome, str] | None:
    """(outcome, reason) when a response is the proxy's own error page, else None."""
    if status < 400 or not squid_error:
        return None
    code, _, detail = squid_error.strip().partition(" ")
    if code == "ERR_ACCESS_DENIED":
        return "refused", "refused by the egress proxy's policy (ERR_ACCESS_DENIED)"
    if code == "ERR_DNS_FAIL":
        return "failed", "DNS lookup failed at the egress proxy (ERR_DNS_FAIL)"
    if code == "ERR_CONNECT_FAIL":
        words = _ERRNO_WORDS.get(detail.strip(), f"errno {detail.strip() or '?'}")
        return "failed", f"the egress proxy could not connect: {words} (ERR_CONNECT_FAIL)"
    if code in ("ERR_READ_TIMEOUT", "ERR_LIFETIME_EXP", "ERR_CONNECT_TIMEOUT"):
        return "failed", f"the site did not answer the egress proxy in time ({code})"
    if code == "ERR_TOO_BIG":
        return "failed", "larger than the egress proxy lets through (ERR_TOO_BIG)"
    return "failed", f"the egress proxy answered HTTP {status} ({code})"


def tunnel_answer(message: str) -> tuple[Outcome, str]:
    """(outcome, reason) for a CONNECT the proxy would not open (Scrapy's TunnelError message)."""
    found = _TUNNEL_STATUS.search(message)
    status = int(found.group(1)) if found else None
    if status == 403:
        return "refused", "refused by the egress proxy's policy (CONNECT answered 403)"
    return "failed", f"the egress proxy opened no tunnel (CONNECT answered {status or 'nothing'})"
