"""E-mail channels through the outbox: police/ANCOM notices and X-ARF to a hosting provider's abuse desk,
received by an aiosmtpd server on loopback."""

from __future__ import annotations

import csv
import email
import io
import json
from email.message import EmailMessage
from email.policy import default

import pytest
from outbox_support import forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import update

from forwarders.smtp import SmtpOptions, message_id_for
from forwarders.xarf import validate_report
from hotline.models import Forward, utcnow
from hotline.outbox import forward_until_idle, release_forward


def _options(smtp_server, **kw):  # type: ignore[no-untyped-def]
    return outbox_options(smtp=SmtpOptions(host=smtp_server.host, port=smtp_server.port,
                                           sender="hotline@synth.test", tls="opportunistic", timeout=5.0), **kw)


def _parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default)  # type: ignore[return-value]


@pytest.mark.parametrize(("destination", "kind", "intro"), [
    ("police-ro", "police", "investigare"),
    ("ancom", "regulator", "luării măsurilor"),
])
def test_police_and_ancom_get_a_bilingual_notice_with_a_csv_of_items_and_hashes(
    make_hotline, smtp_server, destination, kind, intro
) -> None:
    # given an approved forward to the police (or ANCOM) by e-mail
    app = make_hotline()
    queued = queue_forward(app, seed_url(app, 1, country="RO"), destination=destination, kind=kind,
                           channel="email", address="sesizari@authority.example-synth.test")
    assert queued.channel == "email"
    # when the worker runs
    summary = forward_until_idle(app, options=_options(smtp_server))
    # then one message reached the mailbox, Romanian first and English after, with the CSV attached
    assert summary.counts["delivered"] == 1
    [mail] = smtp_server.handler.messages
    assert mail.rcpt_tos == ["sesizari@authority.example-synth.test"]
    message = _parse(mail.content)
    assert message["Message-ID"] == message_id_for(queued.idempotency_key, "synth.test")
    assert "HL-2026-OB-00001" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert intro in text and "Dear Sir or Madam" in text and text.index(intro) < text.index("Dear Sir")
    assert "hxxp://" in text  # defanged: nobody opens the address by accident
    [attachment] = list(message.iter_attachments())
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert rows[0]["url"].endswith("/album/1") and rows[0]["category"] == "csam"
    assert rows[0]["sha256"] and rows[0]["md5"] and rows[0]["country"] == "RO"
    [forward] = forwards(app)
    assert forward.state == "delivered" and json.loads(forward.receipt)["id"] == message["Message-ID"]


def test_a_resent_notice_keeps_its_message_id(make_hotline, smtp_server) -> None:
    # given a delivered police notice that is sent again (as after a crash before the commit)
    app = make_hotline()
    queue_forward(app, seed_url(app, 1, country="RO"), destination="police-ro", kind="police",
                  channel="email", address="police@authority.example-synth.test")
    forward_until_idle(app, options=_options(smtp_server))
    with app.db.session() as session:
        session.execute(update(Forward).values(state="queued", next_attempt_at=utcnow()))
    forward_until_idle(app, options=_options(smtp_server))
    # then the mailbox can tell the second copy is the same notice
    first, second = (_parse(m.content) for m in smtp_server.handler.messages)
    assert first["Message-ID"] == second["Message-ID"]


def test_the_hosting_provider_gets_valid_x_arf_at_its_abuse_address(make_hotline, smtp_server) -> None:
    # given a hosting-provider proposal whose contact is the abuse e-mail from the hosting record
    app = make_hotline()
    queued = queue_forward(app, seed_url(app, 1, country="RO"), destination="hosting-provider:synthetic",
                           kind="hosting-provider", channel="x-arf", address=None)
    assert (queued.channel, queued.address) == ("x-arf", "abuse@hosting.example-synth.test")
    # when the worker runs
    forward_until_idle(app, options=_options(smtp_server))
    # then the abuse desk received an X-ARF v4 report that validates against the schema
    [mail] = smtp_server.handler.messages
    assert mail.rcpt_tos == ["abuse@hosting.example-synth.test"]
    message = _parse(mail.content)
    assert message.get_content_type() == "multipart/report"
    [attachment] = [p for p in message.iter_parts() if p.get_filename() == "xarf.json"]
    report = json.loads(attachment.get_content())
    validate_report(report)
    assert report["category"] == "content" and report["type"] == "csam"
    assert report["classification"] == "baseline" and report["url"].endswith("/album/1")
    assert report["hash_values"]["sha256"] and "hotline-reference:hl-2026-ob-00001" in report["tags"]
    assert forwards(app)[0].state == "delivered"


def test_a_mail_server_that_refuses_the_recipient_fails_the_forward(make_hotline, smtp_server) -> None:
    app = make_hotline()
    queue_forward(app, seed_url(app, 1, country="RO"), destination="police-ro", kind="police",
                  channel="email", address="nobody@authority.example-synth.test")
    smtp_server.handler.rcpt_reply = "550 5.1.1 no such user"
    forward_until_idle(app, options=_options(smtp_server))
    [forward] = forwards(app)
    assert forward.state == "failed" and "550" in forward.last_error


def test_a_destination_with_only_a_web_form_waits_for_a_person(make_hotline, smtp_server) -> None:
    app = make_hotline()
    queued = queue_forward(app, seed_url(app, 1), destination="platform-meta", kind="platform",
                           channel="web-form", address="https://www.facebook.example-synth.test/report")
    assert queued.channel == "web-form"
    forward_until_idle(app, options=_options(smtp_server))
    [forward] = forwards(app)
    assert forward.state == "failed" and "send it by hand" in forward.last_error
    assert smtp_server.handler.messages == []


def test_a_host_is_never_told_before_police_clearance(make_hotline, smtp_server) -> None:
    # given a hosting-provider forward written by an approval as "after police clearance", no time limit
    app = make_hotline()
    url_id = seed_url(app, 1, country="RO")
    with app.db.session() as session:
        session.add(Forward(reported_url_id=url_id, destination="hosting-provider:synthetic",
                            destination_kind="hosting-provider", channel="x-arf",
                            address="abuse@hosting.example-synth.test", idempotency_key="fwd-held-0001",
                            payload={"hold": "after police clearance"}))
    # when the worker runs
    summary = forward_until_idle(app, options=_options(smtp_server))
    # then nothing is sent and the forward waits, held, for a person
    assert summary.counts["held"] == 1 and smtp_server.handler.messages == []
    [forward] = forwards(app)
    assert forward.state == "held" and forward.attempts == 0
    # when an analyst records the clearance
    with app.db.session() as session:
        release_forward(session, forward.id, "ana")
    forward_until_idle(app, options=_options(smtp_server))
    # then the abuse desk gets its X-ARF report
    assert len(smtp_server.handler.messages) == 1 and forwards(app)[0].state == "delivered"
