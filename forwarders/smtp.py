"""Hand one message to an SMTP server and say what happened, in forwarder terms.

STARTTLS is used whenever the server offers it; `tls="required"` refuses to send in clear text,
`tls="implicit"` speaks TLS from the first byte (SMTPS, port 465). SMTP 4xx replies are temporary,
5xx permanent; refused, dropped or timed-out connections are temporary.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Literal

from .base import PermanentFailure, Receipt, TemporaryFailure

TlsMode = Literal["opportunistic", "required", "implicit", "off"]

_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    """Where and how to hand messages over; `sender` is the envelope and From address."""

    host: str
    port: int = 25
    sender: str = "noreply@localhost"
    tls: TlsMode = "opportunistic"
    ssl_context: ssl.SSLContext | None = None  # None: the system's trusted CAs
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    local_hostname: str | None = None  # name sent in EHLO

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2] or "localhost"


def message_id_for(idempotency_key: str, domain: str, part: int | None = None) -> str:
    """A Message-ID that is the same on every resend of one forward, so a recipient sees the duplicate."""
    local = idempotency_key if _SAFE_KEY.match(idempotency_key) else hashlib.sha256(
        idempotency_key.encode("utf-8")).hexdigest()[:40]
    suffix = "" if part is None else f".{part}"
    return f"<hotline.{local}{suffix}@{domain}>"


def parse_recipients(address: str) -> list[str]:
    """Comma-separated addresses; anything that is not a plain address is a permanent failure."""
    recipients = [a.strip() for a in address.split(",") if a.strip()]
    bad = [a for a in recipients if not _ADDRESS.match(a)]
    if not recipients or bad:
        raise PermanentFailure(f"bad e-mail address {address!r}")
    return recipients


def deliver(options: SmtpOptions, message: EmailMessage, recipients: Sequence[str]) -> Receipt:
    """Send `message`; the receipt is its Message-ID and the server's answer to DATA."""
    try:
        with _connect(options) as smtp:
            _secure(smtp, options)
            if options.username:
                smtp.login(options.username, options.password or "")
            wire = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # SMTP lines end in CRLF
            code, answer = _transfer(smtp, options.sender, recipients, wire)
    except smtplib.SMTPResponseException as exc:
        raise _failure(exc.smtp_code, exc.smtp_error, "the server") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {c} {m.decode(errors='replace')}" for rcpt, (c, m) in exc.recipients.items())
        if all(400 <= c < 500 for c in codes):
            raise TemporaryFailure(f"recipients deferred: {detail}") from exc
        raise PermanentFailure(f"recipients refused: {detail}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise TemporaryFailure(f"TLS certificate of {options.host} not trusted: {exc.verify_message}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(f"SMTP {options.host}:{options.port}: {type(exc).__name__}: {exc}") from exc
    text = f"{code} {answer.decode('utf-8', 'replace')}"
    return Receipt(id=str(message["Message-ID"]), text=text, received_at=datetime.now(UTC))


def _connect(options: SmtpOptions) -> smtplib.SMTP:
    if options.tls == "implicit":
        context = options.ssl_context or ssl.create_default_context()
        return smtplib.SMTP_SSL(options.host, options.port, local_hostname=options.local_hostname,
                                timeout=options.timeout, context=context)
    return smtplib.SMTP(options.host, options.port, local_hostname=options.local_hostname,
                        timeout=options.timeout)


def _secure(smtp: smtplib.SMTP, options: SmtpOptions) -> None:
    smtp.ehlo()
    if options.tls in ("implicit", "off"):
        return
    if smtp.has_extn("starttls"):
        smtp.starttls(context=options.ssl_context or ssl.create_default_context())
        smtp.ehlo()
    elif options.tls == "required":
        raise PermanentFailure(f"{options.host}:{options.port} does not offer STARTTLS and TLS is required")


def _transfer(smtp: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes) -> tuple[int, bytes]:
    """MAIL, RCPT, DATA by hand: smtplib.sendmail drops the server's final answer we keep as receipt."""
    code, answer = smtp.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused = {}
    for rcpt in recipients:
        code, answer = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, answer)
    if refused:
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, answer = smtp.data(data)
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPDataError(code, answer)
    return code, answer


def _failure(code: int, answer: bytes | str, who: str) -> TemporaryFailure | PermanentFailure:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    reason = f"SMTP {code} from {who}: {text}"
    # Only a 5xx is final; 4xx and odd codes (smtplib uses -1 for garbled replies) may pass.
    return PermanentFailure(reason) if 500 <= code < 600 else TemporaryFailure(reason)
