"""The answer a sender gets when HOTLINE_MAILBOX_ACKNOWLEDGE is on: the reference, nothing else.

It goes by the hotline's SMTP settings to the address the mail came from, used for this one message and
not kept (unless HOTLINE_MAILBOX_KEEP_SENDER keeps contact data). Automatic mail is never answered, and
the answer says it is automatic itself (RFC 3834), so two robots never write to each other for ever.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING

from forwarders.base import Receipt
from forwarders.smtp import SmtpOptions, deliver

if TYPE_CHECKING:
    from hotline.config import Settings

BODY = """\
Bună ziua,

Am primit sesizarea dumneavoastră. Numărul ei de referință este {reference}.
Vă mulțumim. Analiștii noștri o vor verifica.

---

Hello,

We received your report. Its reference number is {reference}.
Thank you. Our analysts will look at it.

{organisation}
"""


def build_acknowledgement(settings: Settings, to: str, reference: str, in_reply_to: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.organisation, settings.smtp_sender))
    message["To"] = to
    message["Subject"] = f"{settings.organisation}: {reference}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-replied"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(BODY.format(reference=reference, organisation=settings.organisation))
    return message


def acknowledge(settings: Settings, to: str, reference: str, in_reply_to: str | None) -> Receipt:
    options = SmtpOptions(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender,
                          tls=settings.smtp_tls)  # type: ignore[arg-type]
    return deliver(options, build_acknowledgement(settings, to, reference, in_reply_to), [to])
