"""Mailbox fixtures: a real Dovecot on loopback with the hotline's reports mailbox, a Hotline pointed at
it, and mails built the way mail programs build them (synthetic Pillow images only)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.forwarders.fwd_support import smtp_server  # noqa: F401 (a fixture: the acknowledgements' SMTP server)

USER, PASSWORD = "reports", "mailbox-secret"


def synthetic_png(seed: int) -> bytes:
    """Shapes and text on a coloured ground: obviously synthetic, deterministic by seed."""
    image = Image.new("RGB", (240, 180), (30 + seed * 50 % 200, 120, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 120, 120), fill=(250, 200, 0))
    draw.rectangle((130, 40, 220, 160), fill=(20, 20, 20))
    draw.text((10, 150), f"SYNTHETIC {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def mail(subject: str, text: str | None = None, html: str | None = None, *, sender: str = "Ana <ana@mail.example>",
         images: list[tuple[str, bytes]] = (), files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
         message_id: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "sesizari@hotline.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, data in images:
        message.add_attachment(data, maintype="image", subtype="png", filename=name)
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


@dataclass
class MailboxWorld:
    imap: Any  # tests/support/dovecot.Dovecot
    app: Any  # hotline.app.Hotline

    def arrives(self, raw: bytes) -> None:
        self.imap.deliver(USER, raw)

    def inbox(self) -> list[int]:
        return self.imap.uids(USER, "INBOX")

    def processed(self) -> list[int]:
        return self.imap.uids(USER, "Processed")

    def env(self) -> dict[str, str]:
        """The settings as a separate `hotline` process reads them."""
        return {"HOTLINE_DATA_DIR": str(self.app.settings.data_dir), "HOTLINE_MAILBOX": self.imap.url(USER),
                "HOTLINE_MAILBOX_PASSWORD": PASSWORD}


@pytest.fixture
def world(start_dovecot, make_hotline):  # type: ignore[no-untyped-def]
    def build(**settings: Any) -> MailboxWorld:
        imap = start_dovecot({USER: PASSWORD})
        app = make_hotline(mailbox=imap.url(USER), mailbox_password=PASSWORD, **settings)
        return MailboxWorld(imap, app)

    return build
