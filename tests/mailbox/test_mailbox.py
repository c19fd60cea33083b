"""Reports by e-mail, against a real Dovecot on loopback: what a mail becomes, and that each message
becomes exactly one report, also when the same mailbox is polled twice and after a crash."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app as cli_app
from hotline.config import SettingsError, load_settings
from hotline.mailbox import mailbox_job, poll_mailbox
from hotline.models import (
    Fingerprint,
    MailboxMessage,
    Match,
    Report,
    ReportSource,
    UrlState,
)
from hotline.pipeline.intake import submit_report
from tests.mailbox.conftest import PASSWORD, USER, mail, synthetic_png

REPO = Path(__file__).resolve().parents[2]


def _reports(app):  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        reports = list(session.scalars(select(Report).order_by(Report.id)))
        for report in reports:
            _ = [link.reported_url.url for link in report.urls], [c.media for c in report.attachments]
        return reports


def test_an_html_mail_gives_its_defanged_url_and_its_hidden_link(world) -> None:
    w = world()
    # given a mail whose HTML defangs one address and hides a link to another, with a script in it
    w.arrives(mail(
        "Site cu copii",
        html='<html><head><style>p{color:red}</style></head><body>'
             '<p>Am găsit asta: hxxps://gallery-ro[.]example-synth.ro/album/7 (nu intrați)</p>'
             '<a href="hxxp://hidden.example-synth.ro/x?id=3" style="display:none"></a>'
             '<script>document.write("http://script.example-synth.ro/")</script>'
             '<p>Mulțumesc</p></body></html>',
    ))
    # when the mailbox is polled
    result = poll_mailbox(w.app)
    # then the message became one report from the mailbox, with both addresses fanged, in order
    [taken] = result.taken
    [report] = _reports(w.app)
    assert report.reference == taken.reference and report.source == ReportSource.MAILBOX
    assert [link.reported_url.url for link in report.urls] == [
        "https://gallery-ro.example-synth.ro/album/7", "http://hidden.example-synth.ro/x?id=3"]
    assert [link.reported_url.state for link in report.urls] == [UrlState.NEW, UrlState.NEW]
    # and the description is the subject and the readable text, without markup, style or script
    assert report.description is not None
    assert report.description.startswith("Subject: Site cu copii\n\nAm găsit asta: hxxps://gallery-ro[.]")
    assert "Mulțumesc" in report.description
    assert "<" not in report.description and "color" not in report.description and "script" not in report.description
    # and the sender is not kept (the hotline keeps no contact data by default), nor acknowledged
    assert report.reporter_contact is None and report.closed_reason is None and not taken.acknowledged
    # and the message left the inbox for the processed folder, still unread there
    assert w.inbox() == [] and len(w.processed()) == 1 and w.imap.unseen(USER, "Processed") == 1


def test_a_mail_with_an_attached_image_and_no_url_is_sealed_hashed_matched_and_queued_for_assessment(
        world, tmp_path: Path) -> None:
    w = world()
    picture = synthetic_png(3)
    # given a hash list that knows the picture (by its SHA-256)
    hash_list = tmp_path / "known.csv"
    hash_list.write_text(f"sha256\n{hashlib.sha256(picture).hexdigest()}\n")
    imported = CliRunner().invoke(cli_app, ["hashlist", "import", str(hash_list), "--name", "known-test",
                                            "--verdict", "baseline", "--trusted"], env=w.env())
    assert imported.exit_code == 0, imported.output
    # and a mail with the picture attached, a PDF, and no address anywhere
    w.arrives(mail("Poze primite pe telefon", "Copilul meu a primit poza asta.",
                   images=[("poza.png", picture)], files=[("scrisoare.pdf", "application/pdf", b"%PDF-1.4 synthetic")]))
    # when the mailbox is polled from the CLI
    answer = CliRunner().invoke(cli_app, ["mailbox", "poll"], env=w.env())
    assert answer.exit_code == 0, answer.output
    assert ": 0 URL(s), 1 attachment(s)" in answer.stdout
    # then the report is open (it brings a picture) with an attachment capture and no URL
    [report] = _reports(w.app)
    assert report.closed_reason is None and report.urls == []
    [capture] = report.attachments
    [item] = capture.media
    assert (capture.purpose, capture.reported_url_id, item.kind, item.content_type) == (
        "attachment", None, "image", "image/png")
    assert item.url == "attachment:poza.png" and item.size == len(picture)
    # and the picture is sealed as evidence: stored encrypted, opened only with the key
    sealed = w.app.evidence.blob_path(item.sha256).read_bytes()
    assert picture not in sealed and w.app.evidence.get_blob(item.sha256) == picture
    # and hashed like captured media, and matched to the list
    with w.app.db.sessions() as session:
        kinds = set(session.scalars(select(Fingerprint.kind).where(Fingerprint.media_item_id == item.id)))
        matches = session.scalars(select(Match).where(Match.media_item_id == item.id)).all()
    assert {"sha256", "md5", "pdq"} <= kinds
    assert [(m.kind, m.verdict) for m in matches] == [("sha256", "baseline")]
    # and the PDF is only named, for a person to find in the processed folder
    assert "scrisoare.pdf (application/pdf)" in (report.description or "")


def test_a_mail_with_nothing_useful_is_kept_closed_as_no_url_and_counted(world) -> None:
    w = world()
    w.arrives(mail("Întrebare", "Bună ziua, cum pot să fac o sesizare? Mulțumesc. Ne vedem la 10.30 [dot] mâine."))
    poll_mailbox(w.app)
    [report] = _reports(w.app)
    assert report.closed_reason == "no-url" and report.urls == [] and report.attachments == []
    assert w.inbox() == [] and len(w.processed()) == 1
    stats = CliRunner().invoke(cli_app, ["stats", "--format", "csv"], env=w.env())
    assert "reports not valid by reason,no-url,1,100.0" in stats.stdout.splitlines()
    assert "reports by source,mailbox,1,100.0" in stats.stdout.splitlines()


def test_the_same_mailbox_polled_twice_gives_each_message_one_report(world) -> None:
    w = world()
    first = mail("Unu", "http://one.example-synth.ro/a", message_id="<one@mail.example>")
    w.arrives(first)
    w.arrives(mail("Doi", "http://two.example-synth.ro/b"))
    # when it is polled twice
    assert len(poll_mailbox(w.app).taken) == 2
    again = poll_mailbox(w.app)
    # then the second poll finds nothing new
    assert again.taken == [] and again.already_known == []
    assert len(_reports(w.app)) == 2 and w.inbox() == [] and len(w.processed()) == 2
    # and the very same message delivered again (sent twice) makes no second report either
    w.arrives(first)
    third = poll_mailbox(w.app)
    assert third.taken == [] and len(third.already_known) == 1
    assert len(_reports(w.app)) == 2 and w.inbox() == []


CRASH_AFTER_COMMIT = """
import os, sys
import cli
from hotline.mailbox import imap

def crash(self, uid):  # the report is committed; the process dies before the message is moved
    os._exit(17)

imap.Mailbox.move_to_processed = crash
sys.argv = ["hotline", "mailbox", "poll"]
cli.main()
"""


def test_a_crash_between_the_commit_and_the_move_makes_no_second_report(world) -> None:
    w = world()
    w.arrives(mail("Crash", "http://crash.example-synth.ro/page", message_id="<crash@mail.example>"))
    [uid] = w.inbox()
    # given a poll in its own process that dies right after committing the report
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | w.env() | {"PYTHONPATH": str(REPO)}
    died = subprocess.run([sys.executable, "-c", CRASH_AFTER_COMMIT], env=env, cwd=REPO, capture_output=True,
                          timeout=120, check=False)
    assert died.returncode == 17, died.stderr.decode()
    # then the report is stored with the message's keys, and the message is still in the inbox
    [report] = _reports(w.app)
    with w.app.db.sessions() as session:
        [taken] = session.scalars(select(MailboxMessage)).all()
    assert (taken.report_id, taken.uid, taken.message_id) == (report.id, uid, "<crash@mail.example>")
    assert w.inbox() == [uid]
    # when the mailbox is polled again
    again = poll_mailbox(w.app)
    # then the message is moved away and there is still exactly one report
    assert again.taken == [] and again.already_known == [uid]
    assert len(_reports(w.app)) == 1 and w.inbox() == [] and len(w.processed()) == 1


def test_a_mail_repeating_addresses_just_reported_is_a_duplicate(world) -> None:
    w = world()
    with w.app.db.session() as session:
        earlier = submit_report(session, ["http://again.example-synth.ro/x"]).report.reference
    w.arrives(mail("Din nou", "Vedeți hxxp://again[.]example-synth.ro/x"))
    [taken] = poll_mailbox(w.app).taken
    assert taken.closed == "duplicate"
    report = _reports(w.app)[-1]
    with w.app.db.sessions() as session:
        original = session.get(Report, report.duplicate_of_id)
        assert original is not None and original.reference == earlier


def test_the_background_job_polls_no_more_often_than_the_setting(world) -> None:
    w = world(mailbox_poll_seconds=3600)
    w.arrives(mail("Unu", "http://one.example-synth.ro/a"))
    assert mailbox_job(w.app) == 1
    w.arrives(mail("Doi", "http://two.example-synth.ro/b"))
    assert mailbox_job(w.app) == 0, "not due yet"
    assert len(w.inbox()) == 1
    from hotline.executors.registry import JOB_BY_NAME

    assert JOB_BY_NAME["mailbox"].run is mailbox_job


def test_mailbox_mistakes_are_one_line(world, make_hotline) -> None:
    w = world()
    cases = [
        ({"HOTLINE_MAILBOX_PASSWORD": "wrong"}, f"refused the login of '{USER}'"),
        ({"HOTLINE_MAILBOX": f"imap://{USER}@127.0.0.1:1/INBOX"}, "cannot reach the mailbox at 127.0.0.1:1"),
        ({"HOTLINE_MAILBOX": w.imap.url(USER, "Nowhere")}, "has no folder 'Nowhere'"),
        ({"HOTLINE_MAILBOX": ""}, "no mailbox is set"),
        ({"HOTLINE_MAILBOX_PASSWORD_FILE": "/nonexistent/secret"}, "cannot read HOTLINE_MAILBOX_PASSWORD_FILE"),
    ]
    for change, message in cases:
        answer = CliRunner().invoke(cli_app, ["mailbox", "poll"], env=w.env() | change)
        assert answer.exit_code == 2, (change, answer.output)
        assert message in answer.stderr and "Traceback" not in answer.output, (change, answer.stderr)
    # and a setting that cannot be right stops every command at once (cli.main prints it as one line)
    for value, message in [("pop3://x@127.0.0.1/INBOX", "'pop3://x@127.0.0.1/INBOX' must start with imap://"),
                           (f"imap://{USER}:{PASSWORD}@127.0.0.1/INBOX", "keep the password out of it")]:
        with pytest.raises(SettingsError, match=f"setting HOTLINE_MAILBOX is invalid: {re.escape(message)}"):
            load_settings(mailbox=value)
    # and the password may come from a file instead (a secret mounted as a file)
    secret = w.app.settings.data_dir / "mailbox-password"
    secret.write_text(PASSWORD + "\n")
    answer = CliRunner().invoke(cli_app, ["mailbox", "poll"], env=w.env() | {
        "HOTLINE_MAILBOX_PASSWORD": "", "HOTLINE_MAILBOX_PASSWORD_FILE": str(secret)})
    assert answer.exit_code == 0, answer.output


def test_each_sender_gets_the_reference_when_asked_and_automatic_mail_does_not(world, smtp_server) -> None:
    w = world(mailbox_acknowledge=True, smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_tls="off",
              smtp_sender="sesizari@hotline.example", organisation="Ora de Net")
    w.arrives(mail("Raport", "http://ack.example-synth.ro/a", sender="Ion <ion@mail.example>",
                   message_id="<ask@mail.example>"))
    w.arrives(mail("Out of office", "I am away until http://away.example-synth.ro/",
                   sender="robot@mail.example", headers={"Auto-Submitted": "auto-replied"}))
    taken = poll_mailbox(w.app).taken
    assert [t.acknowledged for t in taken] == [True, False]
    [sent] = smtp_server.handler.messages
    assert sent.rcpt_tos == ["ion@mail.example"]
    text = sent.content.decode()
    assert taken[0].reference in text and "Auto-Submitted: auto-replied" in text
    assert "In-Reply-To: <ask@mail.example>" in text
    # and the address was used for that reply only: the report keeps no contact
    assert all(report.reporter_contact is None for report in _reports(w.app))


def test_the_sender_is_kept_when_the_hotline_keeps_contact_data(world) -> None:
    w = world(mailbox_keep_sender=True)
    w.arrives(mail("Raport", "http://keep.example-synth.ro/a", sender="Ion <ion@mail.example>"))
    poll_mailbox(w.app)
    [report] = _reports(w.app)
    assert report.reporter_contact == "ion@mail.example"


def test_text_and_html_of_one_body_are_described_once_and_both_searched_for_links(world) -> None:
    w = world()
    w.arrives(mail("Două variante", text="Vedeți site-ul din link.",
                   html='<p>Vedeți <a href="https://shown.example-synth.ro/p">site-ul</a> din link.</p>'
                        '<div style="font-size:0"><a href="hxxps://tiny[.]example-synth.ro/q">.</a></div>'))
    poll_mailbox(w.app)
    [report] = _reports(w.app)
    assert report.description == "Subject: Două variante\n\nVedeți site-ul din link."
    assert [link.reported_url.url for link in report.urls] == [
        "https://shown.example-synth.ro/p", "https://tiny.example-synth.ro/q"]


def test_a_message_too_large_to_read_is_kept_as_a_report_that_says_where_it_is(world) -> None:
    w = world(capture_max_bytes=2000)
    w.arrives(mail("Mare", "http://big.example-synth.ro/", images=[("mare.png", synthetic_png(1) * 3)]))
    w.arrives(mail("Mic", "http://small.example-synth.ro/"))
    taken = poll_mailbox(w.app).taken
    assert [t.closed for t in taken] == ["no-url", None]
    big, small = _reports(w.app)
    assert "larger than this hotline reads: read it in the mailbox's Processed folder" in (big.description or "")
    assert [link.reported_url.url for link in small.urls] == ["http://small.example-synth.ro/"]
    assert w.inbox() == [] and len(w.processed()) == 2
