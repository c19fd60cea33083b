"""An address corrected in the partner directory reaches forwards already queued: a failed forward
retried goes to the new address, and so does the worker's next attempt; each change is audited."""

from __future__ import annotations

from pathlib import Path

from outbox_support import forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import select, update

from forwarders.smtp import SmtpOptions
from hotline.models import AuditEvent, Forward, utcnow
from hotline.outbox import forward_until_idle, retry_forward

WRONG, RIGHT = "sesizari@politia-veche.example-synth.test", "sesizari@politia.example-synth.test"


def _directory(path: Path, address: str) -> Path:
    path.write_text(f'[[destination]]\nid = "police-ro"\nendpoint = "{address}"\n')
    return path


def _options(smtp_server):  # type: ignore[no-untyped-def]
    return outbox_options(smtp=SmtpOptions(host=smtp_server.host, port=smtp_server.port, sender="hotline@synth.test",
                                           tls="opportunistic", timeout=5.0))


def test_a_failed_forward_retried_after_the_directory_was_corrected_goes_to_the_new_address(
        make_hotline, smtp_server, tmp_path: Path) -> None:
    # given a forward to the police at the address the directory had, which the mail server refuses
    directory = _directory(tmp_path / "directory.toml", WRONG)
    app = make_hotline(directory_files=[directory])
    queued = queue_forward(app, seed_url(app, 1, country="RO"), destination="police-ro", kind="police",
                           channel="email", address=None)
    assert queued.address == WRONG
    smtp_server.handler.rcpt_reply = "550 5.1.1 no such user"
    forward_until_idle(app, options=_options(smtp_server))
    assert forwards(app)[0].state == "failed"
    # when an admin corrects the directory and someone retries the forward (a new process reads it)
    _directory(directory, RIGHT)
    smtp_server.handler.rcpt_reply = None
    again = make_hotline(directory_files=[directory])
    with again.db.session() as session:
        retry_forward(session, queued.id, "ana", again.directory)
    forward_until_idle(again, options=_options(smtp_server))
    # then it went to the corrected address, and the change is in the audit log
    [forward] = forwards(again)
    assert (forward.state, forward.address) == ("delivered", RIGHT)
    assert [mail.rcpt_tos for mail in smtp_server.handler.messages] == [[RIGHT]]
    with again.db.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "forward.readdressed")).all()
    assert (event.actor, event.detail["address_before"], event.detail["address"]) == ("ana", WRONG, RIGHT)


def test_the_workers_next_attempt_uses_the_corrected_address(make_hotline, smtp_server, tmp_path: Path) -> None:
    # given a forward waiting to be retried after a refusal the server called temporary
    directory = _directory(tmp_path / "directory.toml", WRONG)
    app = make_hotline(directory_files=[directory])
    queue_forward(app, seed_url(app, 1, country="RO"), destination="police-ro", kind="police", channel="email",
                  address=None)
    smtp_server.handler.rcpt_reply = "450 4.2.0 mailbox busy"
    forward_until_idle(app, options=_options(smtp_server), wait_up_to=0)
    assert forwards(app)[0].state == "queued"
    # when the directory is corrected and a worker (started since) makes the next attempt
    _directory(directory, RIGHT)
    smtp_server.handler.rcpt_reply = None
    worker = make_hotline(directory_files=[directory])
    with worker.db.session() as session:
        session.execute(update(Forward).values(next_attempt_at=utcnow()))  # due now, not after the backoff
    forward_until_idle(worker, options=_options(smtp_server))
    # then it is delivered to the new address
    assert [(f.state, f.address) for f in forwards(worker)] == [("delivered", RIGHT)]
    assert [mail.rcpt_tos for mail in smtp_server.handler.messages] == [[RIGHT]]
