"""The partner hotline format: one schema for the sender (PartnerForwarder) and the receiver (intake API).

Body (UTF-8 JSON; we send it canonical: sorted keys, no spaces, so a resend is byte-identical):

    {
      "version": 1,
      "sender": "ro-safernet",                  # sender id, [a-z0-9._-], agreed with the partner
      "reference": "RO-2026-000123",            # the sender's reference for the report
      "idempotency_key": "fwd-8c1e...",         # same on every resend of this forward
      "language": "ro",
      "note": "",                               # optional free text
      "items": [                                # 1..500
        {
          "url": "https://gallery.example/p/1",  # http(s) only
          "captured_at": "2026-11-25T16:00:00Z", # optional, timezone-aware
          "hosting": {"ips": ["5.2.130.10"], "country": "RO", "asn": 8708,
                      "provider": "Example Hosting SRL", "abuse_email": "abuse@example.ro"},
          "classification": {"category": "csam", "severity": "A1", "media_type": "image",
                             "detection_method": "manual_review", "exploitation_type": null},
          "hashes": {"md5": "...", "sha1": "...", "sha256": "...", "phash": "16 hex",
                     "dhash": "16 hex", "pdq": "64 hex"},
          "media": []                            # only when the partner agreement allows media
        }
      ]
    }

Answer (the receiver's JSON, 201/200 for new, 409 or 200 with "duplicate": true for a key it has):
    {"receipt": "NL-2026-42", "reference": "<sender's reference>", "received_at": "...", "duplicate": false}
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .base import Notice, asn_number

SCHEMA_VERSION: Literal[1] = 1
# The hash kinds each version of the payload carries: published, so a new kind means a new version.
HASH_KINDS: dict[int, tuple[str, ...]] = {1: ("md5", "sha1", "sha256", "phash", "dhash", "pdq")}
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_ITEMS = 500

Severity = Literal["baseline", "A1", "A2", "B1", "B2"]


class PayloadError(ValueError):
    """The body is not a valid partner payload; `errors` holds pydantic's details for a 422 answer."""

    def __init__(self, message: str, errors: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartnerHosting(_Model):
    ips: list[str] = Field(default_factory=list, max_length=64)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    asn: int | None = Field(default=None, ge=0, le=4294967295)
    provider: str | None = Field(default=None, max_length=300)
    abuse_email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")

    @field_validator("asn", mode="before")
    @classmethod
    def _asn_number(cls, value: object) -> object:
        return asn_number(value) if isinstance(value, str) else value

    @field_validator("ips")
    @classmethod
    def _ips_are_addresses(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_address(ip)) for ip in value]


class PartnerClassification(_Model):
    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    severity: Severity | None = None
    media_type: str | None = Field(default=None, max_length=40)
    detection_method: str | None = Field(default=None, max_length=40)
    exploitation_type: str | None = Field(default=None, max_length=40)


class PartnerHashes(_Model):
    md5: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    sha1: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    phash: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")
    dhash: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")
    pdq: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class PartnerMedia(_Model):
    content_type: str = Field(max_length=100)
    data_base64: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def data(self) -> bytes:
        """The decoded bytes, checked against the declared sha256."""
        raw = base64.b64decode(self.data_base64, validate=True)
        if hashlib.sha256(raw).hexdigest() != self.sha256:
            raise PayloadError("media sha256 does not match its data")
        return raw


class PartnerItem(_Model):
    url: str = Field(min_length=8, max_length=8192)
    captured_at: AwareDatetime | None = None
    hosting: PartnerHosting = Field(default_factory=PartnerHosting)
    classification: PartnerClassification
    hashes: PartnerHashes = Field(default_factory=PartnerHashes)
    media: list[PartnerMedia] = Field(default_factory=list, max_length=20)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("URL must be http(s) with a host")
        return value


class PartnerPayload(_Model):
    version: Literal[1]
    sender: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    reference: str = Field(min_length=1, max_length=100)
    idempotency_key: str = Field(pattern=r"^[A-Za-z0-9._:-]{8,200}$")
    language: str = Field(default="ro", pattern=r"^[a-z]{2}$")
    note: str = Field(default="", max_length=4000)
    items: list[PartnerItem] = Field(min_length=1, max_length=MAX_ITEMS)


class PartnerReceiptBody(BaseModel):
    """The receiver's answer; lenient about extra fields (be liberal in what we accept)."""

    model_config = ConfigDict(extra="ignore")
    receipt: str = Field(min_length=1, max_length=200)
    reference: str | None = None
    received_at: AwareDatetime | None = None
    duplicate: bool = False


SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def payload_json_schema() -> dict[str, Any]:
    """The payload's JSON Schema (2020-12), as published for partners' validators. Checks a schema
    cannot express (IP addresses, http(s) URLs, media digests) are made by the receiver on top."""
    schema = PartnerPayload.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, "title": "hotline partner payload",
            "description": f"Version {SCHEMA_VERSION} of the signed JSON body partner hotlines exchange "
                           "(POST /api/v1/reports).", **{k: v for k, v in schema.items() if k != "title"}}


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_payload(payload: PartnerPayload) -> bytes:
    return canonical_json(payload.model_dump(mode="json", exclude_none=True))


def parse_partner_payload(body: bytes | str, max_bytes: int = MAX_BODY_BYTES) -> PartnerPayload:
    """Validate a received body; raises PayloadError with a one-line summary."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > max_bytes:
        raise PayloadError(f"payload is {len(raw)} bytes, more than the {max_bytes} allowed")
    try:
        return PartnerPayload.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PayloadError(f"invalid partner payload: {where}: {first['msg']}{more}", errors) from exc


def payload_from_notice(notice: Notice, sender: str, allow_media: bool = False) -> PartnerPayload:
    """Map a notice to the wire schema; media is included only when `allow_media` is true."""
    items = []
    for item in notice.items:
        media = []
        if allow_media and item.media is not None:
            media.append(PartnerMedia(
                content_type=item.media_type or "application/octet-stream",
                data_base64=base64.b64encode(item.media).decode("ascii"),
                sha256=hashlib.sha256(item.media).hexdigest(),
            ))
        items.append(PartnerItem(
            url=item.url,
            captured_at=item.captured_at,
            hosting=PartnerHosting(**_known(item.hosting, PartnerHosting)),
            classification=PartnerClassification(**_known(item.classification, PartnerClassification)),
            hashes=PartnerHashes(**{k: v.lower() for k, v in item.hashes.items()
                                    if k in HASH_KINDS[SCHEMA_VERSION] and v}),
            media=media,
        ))
    return PartnerPayload(
        version=SCHEMA_VERSION, sender=sender, reference=notice.reference,
        idempotency_key=notice.idempotency_key, language=notice.language, note=notice.note, items=items,
    )


def receipt_response_body(
    receipt: str, reference: str | None, received_at: datetime, duplicate: bool = False
) -> bytes:
    """The answer a receiver (our intake API) sends, in the form PartnerForwarder reads."""
    answer = PartnerReceiptBody(receipt=receipt, reference=reference, received_at=received_at,
                                duplicate=duplicate)
    return canonical_json(answer.model_dump(mode="json", exclude_none=True))


def _known(values: Any, model: type[BaseModel]) -> dict[str, Any]:
    """Only the keys the wire schema defines; our internal records may carry more."""
    return {k: v for k, v in dict(values).items() if k in model.model_fields and v is not None}
