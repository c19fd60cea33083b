"""forwarders: deliver assessed reports to partner hotlines, police, ANCOM and content owners.

Standalone (no import of `hotline`); the database outbox and the delivery loop live in hotline/ and
call this package. Every forwarder is safe to call again with the same notice: the idempotency key
travels with it (partner body + Idempotency-Key header, e-mail Message-ID, X-ARF report_id), so the
recipient recognises a resend after a crash.

Interface (forwarders.base)
    Notice(reference, idempotency_key, destination_kind, destination_address, items, language="ro", note="")
        idempotency_key: 8-200 of A-Z a-z 0-9 . _ : - (e.g. "fwd-<uuid4>"), the same on every resend
        destination_kind: a DestinationKind: "hotline" | "police" | "regulator" | "platform" | "cdn" |
                          "hosting-provider" (the partner directory's and the rules' own words)
        destination_address: partner/platform URL, or comma-separated e-mail addresses
    NoticeItem(url, hosting={}, classification={}, hashes={}, captured_at=None, media=None, media_type=None)
        hosting: ips, country, asn, provider, abuse_email
        classification: category ("csam" | "csem" | "grooming" | "adult_unprotected" | "other"),
                        severity ("baseline" | "A1" | "A2" | "B1" | "B2"), media_type, detection_method,
                        exploitation_type
        hashes: kind -> hex (every kind the sender has; each format carries the kinds of its versioned
                list: partner_schema.HASH_KINDS, email.CSV_HASH_KINDS, xarf.HASH_KINDS)
    Receipt(id, text, received_at, duplicate=False)
    Forwarder (Protocol): send(notice) -> Receipt
    TemporaryFailure(reason, retry_after=None)   refused/dropped connection, timeout, 408, 429, 5xx, SMTP 4xx
    PermanentFailure(reason)                     other 4xx, redirect, bad address, schema, SMTP 5xx

Retries and pacing (forwarders.retry)
    next_attempt_delay(attempt, retry_after=None, base=30.0, cap=21600.0, rng=None) -> float
        full-jitter exponential backoff; attempt = failures so far (>= 1); Retry-After is a floor
    RetryPolicy(base, cap, max_age=3 days).next_delay(attempts, age, retry_after=None) -> float | None
        None once the forward is older than max_age: mark it failed for analysts
    parse_retry_after(header_value, now=None) -> float | None
    RateLimiter(Rate(per_second, burst), overrides={key: Rate}, clock=time.monotonic)
        .try_acquire(key) -> 0.0 if a token was taken, else seconds to wait;
        .acquire(key, timeout=None, sleep=time.sleep) -> bool

One attempt, decided (forwarders.delivery): what the outbox worker stores after each try
    attempt(forwarder, notice, failures_so_far, age, policy=None, limiter=None, rng=None) -> Outcome
    Outcome(status="delivered"|"retry"|"deferred"|"failed", receipt=None, delay=None, error="")
        deferred = rate-limited, nothing sent, not counted (Outcome.counts_as_attempt is False)
    destination_key(notice) -> "kind:address" (the rate limiter's key)

Partner hotlines (forwarders.partner; schema in forwarders.partner_schema, signature in forwarders.signing)
    PartnerForwarder(sender_id, key_id, secret, endpoint=None, allow_media=False,
                     http=HttpOptions(connect_timeout=5, read_timeout=30, verify=True, proxies=None))
    sign(body, secret, timestamp) -> "sha256=<hex HMAC-SHA256 over f'{timestamp}.' + body>"
    signed_headers(body, key_id, secret, idempotency_key, timestamp=None) -> dict
    verify(headers, body, secret_lookup, max_skew_seconds=300, now=None) -> key_id   (SignatureError,
        StaleTimestamp)
    parse_partner_payload(body, max_bytes=4 MiB) -> PartnerPayload   (PayloadError with .errors)
    payload_from_notice(notice, sender, allow_media=False) -> PartnerPayload; encode_payload(p) -> bytes
    receipt_response_body(receipt, reference, received_at, duplicate=False) -> bytes   (for receivers)
    Receivers answer 201/200 for a new idempotency key and 409 (or 200 with "duplicate": true) with the
    original receipt for a key they already have; both count as delivered.

E-mail to police and ANCOM (forwarders.email, transport in forwarders.smtp)
    SmtpOptions(host, port=25, sender, tls="opportunistic"|"required"|"implicit"|"off", ssl_context=None,
                username=None, password=None, timeout=30.0, local_hostname=None)
    EmailForwarder(smtp, organisation, contact="", html=False)
    build_notice_email(notice, sender, organisation, contact="", html=False) -> EmailMessage
    items_csv(notice) -> bytes; defang(url) -> str; message_id_for(key, domain, part=None) -> str

X-ARF v4 to hosting providers, platforms, content owners (forwarders.xarf)
    XarfContact(org, contact, domain)
    build_reports(notice, reporter, sender=None) -> list[dict]  (validated; XarfError)
    validate_report(report, schema_dir=None)  (packaged schemas from forwarders/schemas/xarf, MIT)
    XarfEmailForwarder(smtp, reporter, sender=None)    one message per item in X-ARF's mail binding:
        multipart/report (report-type=feedback-report): text, message/feedback-report (Feedback-Type: xarf),
        xarf.json; our reference as the tag hotline-reference:<reference>
    XarfHttpForwarder(reporter, sender=None, endpoint=None, headers={}, http=HttpOptions())
"""

from .base import (
    DestinationKind,
    Forwarder,
    ForwardError,
    Notice,
    NoticeItem,
    PermanentFailure,
    Receipt,
    TemporaryFailure,
)
from .retry import Rate, RateLimiter, RetryPolicy, next_attempt_delay, parse_retry_after

__all__ = [
    "DestinationKind",
    "ForwardError", "Forwarder", "Notice", "NoticeItem", "PermanentFailure", "Rate", "RateLimiter",
    "Receipt", "RetryPolicy", "TemporaryFailure", "next_attempt_delay", "parse_retry_after",
]
