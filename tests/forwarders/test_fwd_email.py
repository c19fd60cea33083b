"""EmailForwarder against a real aiosmtpd server on loopback."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import time
from email.message import EmailMessage

import pytest
from fwd_support import SmtpServer, TlsFiles, synthetic_item

from forwarders.base import PermanentFailure, TemporaryFailure
from forwarders.email import EmailForwarder, defang
from forwarders.smtp import SmtpOptions, message_id_for

SENDER = "sesizari@hotline-synth.ro"


def forwarder(server: SmtpServer | None = None, port: int = 0, html: bool = False,
              **options: object) -> EmailForwarder:
    smtp = SmtpOptions(host="127.0.0.1", port=server.port if server else port, sender=SENDER,
                       **{"timeout": 5.0, **options})  # type: ignore[arg-type]
    return EmailForwarder(smtp, organisation="Hotline Sintetic", contact=SENDER, html=html)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_police_notice_is_bilingual_with_csv_and_stable_message_id(smtp_server: SmtpServer,
                                                                   make_notice) -> None:
    # Given a police notice with two items
    notice = make_notice(kind="police", address="politia@police-synth.ro", key="fwd-000042-abc")
    # When it is e-mailed
    receipt = forwarder(smtp_server).send(notice)
    # Then the server got one message from us to the police address
    [mail] = smtp_server.handler.messages
    assert mail.mail_from == SENDER and mail.rcpt_tos == ["politia@police-synth.ro"]
    message = parsed(mail.content)
    assert message["To"] == "politia@police-synth.ro"
    assert "RO-2026-000123" in message["Subject"] and "Sesizare" in message["Subject"]
    # And its Message-ID is derived from the idempotency key and is the receipt id
    assert message["Message-ID"] == "<hotline.fwd-000042-abc@hotline-synth.ro>" == receipt.id
    assert "queued as SYNTH1" in receipt.text
    # And the text is Romanian first, then English, with defanged URLs only
    text = message.get_body(("plain",)).get_content()
    assert text.index("Referința noastră") < text.index("Our reference")
    assert "investigare" in text and "investigation" in text
    assert defang(notice.items[0].url) in text and notice.items[0].url not in text
    # And the CSV attachment carries each item's exact URL and hashes
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "RO-2026-000123-items.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert [r["url"] for r in rows] == [i.url for i in notice.items]
    assert [r["sha256"] for r in rows] == [i.hashes["sha256"] for i in notice.items]
    assert rows[0]["pdq"] == notice.items[0].hashes["pdq"] and rows[0]["country"] == "RO"


def test_ancom_notice_has_its_own_wording_and_optional_html(smtp_server: SmtpServer, make_notice) -> None:
    forwarder(smtp_server, html=True).send(make_notice(kind="regulator", address="sesizari@ancom-synth.ro"))
    message = parsed(smtp_server.handler.messages[0].content)
    assert "măsurilor prevăzute de lege" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert '<section lang="ro">' in html and html.index('lang="ro"') < html.index('lang="en"')


def test_resend_carries_the_same_message_id(smtp_server: SmtpServer, make_notice) -> None:
    notice = make_notice(kind="police", address="politia@police-synth.ro")
    forwarder(smtp_server).send(notice)
    forwarder(smtp_server).send(notice)
    ids = {parsed(m.content)["Message-ID"] for m in smtp_server.handler.messages}
    assert ids == {message_id_for(notice.idempotency_key, "hotline-synth.ro")}


def test_hostile_hosting_data_cannot_become_a_spreadsheet_formula(smtp_server: SmtpServer,
                                                                   make_notice) -> None:
    item = synthetic_item(1, hosting={"provider": "=HYPERLINK(\"http://x\")", "country": "RO"})
    forwarder(smtp_server).send(make_notice(kind="police", address="p@police-synth.ro", items=[item]))
    attachment = next(parsed(smtp_server.handler.messages[0].content).iter_attachments())
    row = next(csv.DictReader(io.StringIO(attachment.get_content())))
    assert row["provider"].startswith("'=")


def test_starttls_is_used_when_offered(starttls_smtp_server: SmtpServer, tls_files: TlsFiles,
                                       make_notice) -> None:
    # Given a server that offers (and requires) STARTTLS with a certificate we trust
    send = forwarder(starttls_smtp_server, ssl_context=tls_files.client_context()).send
    # When we send with the default opportunistic setting
    send(make_notice(kind="police", address="p@police-synth.ro"))
    # Then the message travelled over TLS
    assert [m.tls for m in starttls_smtp_server.handler.messages] == [True]


def test_untrusted_certificate_is_not_sent_to(starttls_smtp_server: SmtpServer, make_notice) -> None:
    with pytest.raises(TemporaryFailure, match="certificate"):
        forwarder(starttls_smtp_server).send(make_notice(kind="police", address="p@police-synth.ro"))
    assert starttls_smtp_server.handler.messages == []


def test_required_tls_refuses_a_server_without_starttls(smtp_server: SmtpServer, make_notice) -> None:
    with pytest.raises(PermanentFailure, match="does not offer STARTTLS"):
        forwarder(smtp_server, tls="required").send(make_notice(kind="police", address="p@police-synth.ro"))
    assert smtp_server.handler.messages == []


@pytest.mark.parametrize(("where", "reply", "outcome"), [
    ("rcpt_reply", "450 4.2.1 mailbox busy", TemporaryFailure),
    ("rcpt_reply", "550 5.1.1 no such user", PermanentFailure),
    ("data_reply", "452 4.3.1 insufficient storage", TemporaryFailure),
    ("data_reply", "554 5.7.1 rejected by policy", PermanentFailure),
])
def test_smtp_4xx_is_temporary_and_5xx_permanent(smtp_server: SmtpServer, make_notice, where: str,
                                                 reply: str, outcome: type[Exception]) -> None:
    setattr(smtp_server.handler, where, reply)
    with pytest.raises(outcome, match=reply.split()[0]):
        forwarder(smtp_server).send(make_notice(kind="police", address="p@police-synth.ro"))


def test_refused_connection_is_temporary(refused_url: str, make_notice) -> None:
    port = int(refused_url.split(":")[2].split("/")[0])
    with pytest.raises(TemporaryFailure, match="(?i)refused"):
        forwarder(port=port).send(make_notice(kind="police", address="p@police-synth.ro"))


def test_silent_server_times_out_as_temporary(silent_port: int, make_notice) -> None:
    started = time.monotonic()
    with pytest.raises(TemporaryFailure, match="(?i)timed? ?out"):
        forwarder(port=silent_port, timeout=0.5).send(make_notice(kind="police", address="p@police-synth.ro"))
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("address", ["not-an-address", "a@b.ro\r\nBcc: x@y.ro", ""])
def test_bad_address_is_permanent_before_connecting(address: str, make_notice) -> None:
    with pytest.raises(PermanentFailure, match="bad e-mail address"):
        forwarder(port=9).send(make_notice(kind="police", address=address))


def test_message_id_for_unsafe_keys_is_hashed() -> None:
    assert message_id_for("a b<c>", "x.ro").startswith("<hotline.") and " " not in message_id_for("a b", "x.ro")
    assert message_id_for("k-1", "x.ro", part=2) == "<hotline.k-1.2@x.ro>"
