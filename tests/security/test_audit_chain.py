"""Findings 1 and 2: the audit chain holds under concurrent writers from several processes, cannot be
recomputed without its key, and shows an end cut off or rewritten since the last anchor."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import socketserver
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import httpx
from sqlalchemy import delete, select, update
from web_support import serving

from hotline import audit
from hotline.audit.chain import _legacy_digest
from hotline.models import AuditEvent, SealedSecret
from hotline.web import create_app
from tests.security.conftest import PASSWORD, add_people, cli, cli_process


def _events(app: Any) -> list[AuditEvent]:
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _failed_login(base: str, n: int) -> int:
    # Each guess from its own loopback address, as fifty people would: one address is throttled after twenty.
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{n + 2}")
    with httpx.Client(base_url=base, timeout=60, transport=transport) as client:
        page = client.get("/workspace/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        return client.post("/workspace/login", data={"csrf": token, "name": f"nobody{n % 7}",
                                                     "password": f"guess number {n}"}).status_code


def test_fifty_concurrent_logins_and_a_cli_writer_leave_one_unbroken_chain(make_hotline, database_url) -> None:
    # given a served workspace (threads of one process) and the command line writing from another process
    app = make_hotline(database_url=database_url)
    add_people(app, ana="analyst")
    with serving(create_app(app)) as base:
        writer = threading.Thread(target=lambda: [cli_process(app, "audit", "anchor") for _ in range(3)])
        guesses = [threading.Thread(target=_failed_login, args=(base, n)) for n in range(50)]
        writer.start()
        for thread in guesses:
            thread.start()
        for thread in guesses + [writer]:
            thread.join(timeout=120)
        # ... and a CLI writer of audit events proper, while the logins finish
        assert cli_process(app, "user", "add", "bob", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    events = _events(app)
    # then every failed login is in the log, no two events follow the same one, and verify passes
    assert sum(e.action == "login.failed" for e in events) == 50
    assert max(Counter(e.prev_hash for e in events).values()) == 1
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    verified = cli_process(app, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "the audit log is intact" in verified.stdout


def test_a_chain_recomputed_without_the_key_is_detected(make_hotline) -> None:
    # given a log with a media reveal in it
    app = make_hotline()
    with app.db.session() as session:
        for n in range(4):
            audit.record(session, "ana", "media.reveal", "media_item", n)
    events = _events(app)
    target = events[2]
    # when someone with write access to the database re-attributes the reveal and recomputes every hash
    # from there on, as a plain SHA-256 chain would let them
    with app.db.session() as session:
        prev = target.prev_hash
        for event in session.scalars(select(AuditEvent).where(AuditEvent.id >= target.id).order_by(AuditEvent.id)):
            if event.id == target.id:
                event.actor = "bob"
            event.prev_hash = prev
            event.hash = _legacy_digest(prev, event)
            prev = event.hash
    # then verify names the first rewritten event: the hashes are keyed, and they have no key
    result = cli(app, "audit", "verify", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert problems[0]["event_id"] == target.id and "changed after it was written" in problems[0]["message"]
    # and a guessed key fares no better
    with app.db.session() as session:
        prev = target.prev_hash
        for event in session.scalars(select(AuditEvent).where(AuditEvent.id >= target.id).order_by(AuditEvent.id)):
            event.prev_hash = prev
            body = json.dumps({"seq": event.id, "prev": prev, "at": event.at.isoformat(), "actor": event.actor,
                               "action": event.action, "subject_type": event.subject_type,
                               "subject_id": event.subject_id, "detail": event.detail},
                              sort_keys=True, separators=(",", ":"))
            event.hash = hmac.new(b"\0" * 32, body.encode(), hashlib.sha256).hexdigest()
            prev = event.hash
    assert cli(app, "audit", "verify").exit_code == 1


def test_events_cut_off_the_end_are_detected_against_the_last_anchor(make_hotline) -> None:
    # given a log anchored after its fifth event
    app = make_hotline()
    with app.db.session() as session:
        for n in range(5):
            audit.record(session, "ana", "media.reveal", "media_item", n)
    anchored = cli(app, "audit", "anchor", "--json")
    assert anchored.exit_code == 0, anchored.output
    mark = json.loads(anchored.stdout)["anchor"]
    anchor_file = app.settings.data_dir / "audit-anchors.jsonl"
    assert json.loads(anchor_file.read_text().splitlines()[-1])["sequence"] == mark["sequence"]
    assert cli(app, "audit", "verify").exit_code == 0
    # when someone deletes the last two events (what is left is still a whole chain)
    with app.db.session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id > mark["sequence"] - 2))
    # then verify says the end was cut off since the anchor
    result = cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"but event {mark['sequence']} was anchored" in result.output
    assert "deleted from the end" in result.output


def test_a_rewritten_log_is_detected_against_the_anchor_even_by_someone_holding_the_key(make_hotline) -> None:
    # given an anchored log
    app = make_hotline()
    with app.db.session() as session:
        for n in range(3):
            audit.record(session, "ana", "media.reveal", "media_item", n)
    assert cli(app, "audit", "anchor").exit_code == 0
    # when someone who stole the key rewrites an event and recomputes the keyed chain properly
    from hotline.audit.chain import _keyed_digest

    with app.db.session() as session:
        key = app.vault.audit_key(session)
        assert key is not None
        prev = None
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            if prev is not None:
                event.prev_hash = prev
            if event.action == "media.reveal" and event.subject_id == "1":
                event.actor = "bob"
            event.hash = _keyed_digest(key.key, event.prev_hash, event)
            prev = event.hash
    # then the chain alone looks whole, but the anchor shows the rewrite
    with app.db.sessions() as session:
        assert audit.verify(session) == []
    result = cli(app, "audit", "verify")
    assert result.exit_code == 1 and "differs from its anchor" in result.output


def test_a_deleted_audit_key_is_reported_and_never_silently_replaced(make_hotline) -> None:
    app = make_hotline()
    with app.db.session() as session:
        audit.record(session, "ana", "media.reveal", "media_item", 1)
    with app.db.session() as session:
        session.execute(delete(SealedSecret).where(SealedSecret.name == "audit"))
    app.vault.forget()
    # verify says the key is missing; `init` refuses to make a new one over a keyed log
    result = cli(app, "audit", "verify")
    assert result.exit_code == 1 and "audit key is missing" in result.output
    again = cli(app, "init")
    assert again.exit_code != 0 and "restore the database" in str(again.exception or again.output)


def test_old_events_stay_verifiable_after_a_master_key_rotation(make_hotline) -> None:
    # given a keyed log, and the master key rotated, the keys re-sealed and the old master key retired
    app = make_hotline()
    with app.db.session() as session:
        audit.record(session, "ana", "media.reveal", "media_item", 1)
    old = app.keyring.current.hex
    assert cli(app, "key", "rotate").exit_code == 0
    assert cli(app, "key", "reseal").exit_code == 0
    retired = cli(app, "key", "retire", old[:8])
    assert retired.exit_code == 0, retired.output
    # then every event still verifies (the HMAC key was sealed again, not replaced)
    result = cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output


def test_a_log_written_by_an_older_version_is_keyed_on_upgrade_and_stays_checkable(make_hotline) -> None:
    from hotline.db import make_engine, migrate
    from hotline.models import utcnow

    # given events chained the old way (plain SHA-256), in a database at schema 0003
    app = make_hotline()
    engine = make_engine(app.settings.database)
    migrate(engine, "0003", down=True)
    with engine.begin() as connection:
        connection.execute(delete(AuditEvent.__table__))
        connection.execute(delete(SealedSecret.__table__))
    engine.dispose()
    prev = audit.GENESIS
    rows = []
    for n in range(3):
        event = AuditEvent(id=n + 1, at=utcnow(), actor="ana", action="media.reveal", subject_type="media_item",
                           subject_id=str(n), detail={}, prev_hash=prev)
        event.hash = _legacy_digest(prev, event)
        prev = event.hash
        rows.append(event)
    with app.db.engine.begin() as connection:
        for event in rows:
            connection.execute(AuditEvent.__table__.insert().values(
                id=event.id, at=event.at, actor=event.actor, action=event.action, subject_type=event.subject_type,
                subject_id=event.subject_id, detail=event.detail, prev_hash=event.prev_hash, hash=event.hash))
    app.vault.forget()
    # when `hotline init` upgrades it
    assert cli(app, "init").exit_code == 0
    # then the old events verify as they are, new ones are keyed, and rewriting an old one still shows
    assert cli(app, "audit", "verify").exit_code == 0
    with app.db.sessions() as session:
        assert session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first() == "audit.keyed"
    with app.db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == 3).values(actor="bob"))
    assert cli(app, "audit", "verify").exit_code == 1


class _Syslog(socketserver.BaseRequestHandler):
    received: ClassVar[list[bytes]] = []

    def handle(self) -> None:
        self.received.append(self.request[0])


def test_anchors_also_go_to_syslog_and_to_a_partner_signed(make_hotline) -> None:
    from forwarders.partner import verify as verify_signature
    from hotline.web.api.partners import create_partner, seal_partner_secret

    syslog = socketserver.UDPServer(("127.0.0.1", 0), _Syslog)
    threading.Thread(target=syslog.serve_forever, daemon=True).start()
    received: list[tuple[dict[str, str], bytes]] = []

    class Partner(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    partner = HTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=partner.serve_forever, daemon=True).start()
    try:
        app = make_hotline(audit_anchor_syslog=f"udp://127.0.0.1:{syslog.server_address[1]}",
                           audit_anchor_url=f"http://127.0.0.1:{partner.server_address[1]}/anchors",
                           audit_anchor_partner="nl-meldpunt")
        with app.db.session() as session:
            issued = create_partner(session, "nl-meldpunt", country="NL")
            issued.partner.outbound_key_id = "ro-hotline"
            session.add(issued.partner)
            issued.partner.outbound_secret = seal_partner_secret(session, issued.partner, "outbound_secret",
                                                                 b"their secret for us")
            audit.record(session, "ana", "media.reveal", "media_item", 1)
        mark, failures = audit.anchor(app)
        assert failures == [] and mark is not None
        deadline = __import__("time").monotonic() + 10
        while not _Syslog.received and __import__("time").monotonic() < deadline:
            __import__("time").sleep(0.05)
        assert mark.hash in _Syslog.received[-1].decode()
        [(headers, body)] = received
        assert json.loads(body)["sequence"] == mark.sequence
        assert verify_signature(headers, body, lambda key_id: b"their secret for us" if key_id == "ro-hotline"
                                else None) == "ro-hotline"
    finally:
        syslog.shutdown()
        partner.shutdown()


def test_an_anchor_that_cannot_be_sent_is_one_line_and_the_file_still_has_it(make_hotline) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = make_hotline()
    add_people(app, ana="analyst")
    result = cli(app, "audit", "anchor", env={"HOTLINE_AUDIT_ANCHOR_URL": f"http://127.0.0.1:{closed_port}/anchors"})
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "could not be sent" in result.output
    assert (app.settings.data_dir / "audit-anchors.jsonl").read_text().count("\n") == 1


def test_the_background_job_anchors_when_the_log_grew_and_the_time_came(make_hotline) -> None:
    from hotline.audit import anchor_job

    app = make_hotline(audit_anchor_seconds=3600)
    with app.db.session() as session:
        audit.record(session, "ana", "media.reveal", "media_item", 1)
    # the first round anchors; the next ones do not until an hour has passed
    assert anchor_job(app) == 1
    with app.db.session() as session:
        audit.record(session, "ana", "media.reveal", "media_item", 2)
    assert anchor_job(app) == 0
    # an hour later, with the log grown, it anchors again; with nothing new it does not
    lines = (app.settings.data_dir / "audit-anchors.jsonl").read_text().splitlines()
    aged = json.loads(lines[-1]) | {"anchored_at": "2026-01-01T00:00:00+00:00"}
    (app.settings.data_dir / "audit-anchors.jsonl").write_text(json.dumps(aged) + "\n")
    assert anchor_job(app) == 1
    assert anchor_job(app) == 0
    # and with HOTLINE_AUDIT_ANCHOR_SECONDS=0 only `hotline audit anchor` anchors
    with app.db.session() as session:
        audit.record(session, "ana", "media.reveal", "media_item", 3)
    assert anchor_job(make_hotline(audit_anchor_seconds=0)) == 0
