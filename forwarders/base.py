"""The one small interface every destination kind implements.

A `Notice` is what we forward: our reference, an idempotency key (stable across resends so the
recipient can recognise a duplicate), where it goes, in which language, and the items (URL, hosting
record, classification, hashes). A `Forwarder` turns a notice into a `Receipt` or raises
`TemporaryFailure` (try again later) or `PermanentFailure` (retrying cannot help).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class DestinationKind(StrEnum):
    """Who a notice goes to: the one vocabulary of the partner directory, the rules and the outbox."""

    HOTLINE = "hotline"  # a partner hotline abroad (INHOPE member)
    POLICE = "police"
    REGULATOR = "regulator"  # e.g. ANCOM in Romania
    PLATFORM = "platform"  # the content owner's own reporting channel
    CDN = "cdn"  # a CDN's or reverse proxy's abuse desk
    HOSTING_PROVIDER = "hosting-provider"


# Documented keys (all optional unless said otherwise):
#   hosting:        ips: list[str], country: "RO", asn: int, provider: str, abuse_email: str
#   classification: category (required): "csam" | "csem" | "grooming" | "adult_unprotected" | "other";
#                   severity: "baseline" | "A1" | "A2" | "B1" | "B2"; media_type: "image" | "video" | ...;
#                   detection_method: "manual_review" | "hash_match" | ...; exploitation_type (csem)
#   hashes:         kind -> hex, every kind the sender has (md5, sha1, sha256, phash, dhash, pdq, ...);
#                   each wire format carries only the kinds its own versioned list names
HostingRecord = Mapping[str, Any]
Classification = Mapping[str, Any]
Hashes = Mapping[str, str]

# Idempotency keys go into JSON, HTTP headers and Message-IDs unchanged: keep them plain.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,200}$")


def asn_number(value: object) -> int | None:
    """8708, "8708" and "AS8708" all mean AS number 8708; anything else is None."""
    text = str(value).strip().upper().removeprefix("AS") if value is not None else ""
    return int(text) if text.isdigit() and 0 < int(text) <= 4294967295 else None


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One reported URL as we assessed it."""

    url: str
    hosting: HostingRecord = field(default_factory=dict)
    classification: Classification = field(default_factory=dict)
    hashes: Hashes = field(default_factory=dict)
    captured_at: datetime | None = None
    # Media bytes are carried only to partners whose agreement allows it (PartnerForwarder.allow_media).
    media: bytes | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Everything one forward sends to one destination."""

    reference: str
    idempotency_key: str
    destination_kind: str  # a DestinationKind
    destination_address: str
    items: Sequence[NoticeItem]
    language: str = "ro"
    note: str = ""  # free text from the analyst, shown in e-mail notices

    def __post_init__(self) -> None:
        if not IDEMPOTENCY_KEY.match(self.idempotency_key):
            raise ValueError(f"idempotency key must be 8-200 of A-Z a-z 0-9 . _ : -, got {self.idempotency_key!r}")
        if not self.items:
            raise ValueError(f"notice {self.reference} has no items")


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the recipient answered: its id for our notice, its words, and when."""

    id: str
    text: str
    received_at: datetime
    duplicate: bool = False  # the recipient had already seen this idempotency key


class ForwardError(Exception):
    """Base of the two outcomes a forwarder may raise instead of returning a receipt."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(ForwardError):
    """Try again later: refused or dropped connection, timeout, 5xx, 408/429, SMTP 4xx."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(ForwardError):
    """Retrying cannot help: other 4xx, bad address, rejected schema, SMTP 5xx."""


@runtime_checkable
class Forwarder(Protocol):
    """A destination kind. `send` is safe to call again with the same notice (idempotency key)."""

    def send(self, notice: Notice) -> Receipt: ...
