"""Is the reported content still there? One re-capture compared with what the analysts assessed.

Removed: HTTP 404/410/451, the name gone from DNS, the host unreachable for N checks in a row, or none
of the assessed media served any more (the page may stay up with the image gone). Replaced: the URL of
an assessed item now serves different bytes (decided by hash, never by status code). Present: any
assessed item is still served, wherever it is now (a move behind a redirect is still present).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from hotline.capture.models import CaptureResult, Resource

Outcome = Literal["present", "removed", "replaced", "error"]

GONE_STATUSES = frozenset({404, 410, 451})  # 451: unavailable for legal reasons, i.e. taken down
# A gateway that cannot reach the origin is the same signal as a refused connection.
GATEWAY_STATUSES = frozenset({502, 504})
UNREACHABLE = "unreachable"  # detail prefix of checks that count towards the N-in-a-row rule
_DNS_GONE = re.compile(r"^DNS lookup failed for \S+: (?:NXDOMAIN|NoAnswer)(?:, (?:NXDOMAIN|NoAnswer))*$")
_CONNECTION_ERRORS = (
    "ConnectionRefused", "Connection refused", "ConnectionDone", "ConnectionLost", "Connection was closed",
    "TCPTimedOut", "NoRouteError", "No route to host", "ConnectError",
)


@dataclass(frozen=True)
class AssessedItem:
    """A medium the analysts saw: where it was served and its hash."""

    url: str
    sha256: str


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    detail: str
    unreachable: bool = False


def decide(result: CaptureResult, assessed: Iterable[AssessedItem], unreachable_before: int,
           unreachable_limit: int) -> Verdict:
    """Judge one monitor capture. `unreachable_before`: unreachable checks in a row just before this one."""
    items = list(assessed)
    if result.outcome == "refused":
        return Verdict("error", f"capture refused: {result.reason}")
    if result.outcome == "failed":
        return _failed(result.reason or "capture failed", unreachable_before, unreachable_limit)
    if result.status in GONE_STATUSES:
        return Verdict("removed", f"HTTP {result.status}" + _moved(result))
    if result.status in GATEWAY_STATUSES:
        return _unreachable(f"HTTP {result.status} from a gateway", unreachable_before, unreachable_limit)
    if result.status is None or not 200 <= result.status < 300:
        return Verdict("error", f"HTTP {result.status}: neither served nor gone" + _moved(result))
    return _compare(result, items)


def _failed(reason: str, before: int, limit: int) -> Verdict:
    if _DNS_GONE.match(reason):
        return Verdict("removed", f"DNS gone: {reason}")
    if any(marker in reason for marker in _CONNECTION_ERRORS):
        return _unreachable(_short(reason), before, limit)
    return Verdict("error", f"capture failed: {_short(reason)}")


def _unreachable(reason: str, before: int, limit: int) -> Verdict:
    streak = before + 1
    outcome: Outcome = "removed" if streak >= limit else "error"
    return Verdict(outcome, f"{UNREACHABLE} ({streak} of {limit} in a row): {reason}", unreachable=True)


def _compare(result: CaptureResult, assessed: list[AssessedItem]) -> Verdict:
    if not assessed:
        return Verdict("present", f"HTTP {result.status}; no assessed media to compare" + _moved(result))
    served = _served(result)
    wanted = {item.sha256 for item in assessed}
    still = wanted & set(served.values())
    if still:
        return Verdict("present", f"{len(still)} of {len(wanted)} assessed media still served" + _moved(result))
    changed = sorted(item.url for item in assessed if item.url in served and served[item.url] != item.sha256)
    if changed:
        return Verdict("replaced", f"different content at {', '.join(changed)}" + _moved(result))
    return Verdict("removed", f"page up (HTTP {result.status}) but none of the {len(wanted)} assessed media served")


def _served(result: CaptureResult) -> dict[str, str]:
    """URL -> sha256 of every body served successfully (the page too: a reported URL may be an image)."""
    resources: list[Resource] = ([result.page] if result.page else []) + list(result.resources)
    served = {}
    for resource in resources:
        if resource.outcome == "ok" and resource.sha256 and resource.status and 200 <= resource.status < 300:
            served[resource.url] = resource.sha256
            if resource.final_url:
                served.setdefault(resource.final_url, resource.sha256)
    return served


def _moved(result: CaptureResult) -> str:
    if result.final_url and result.final_url != result.url:
        return f" (moved to {result.final_url})"
    return ""


def _short(reason: str, limit: int = 300) -> str:
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
