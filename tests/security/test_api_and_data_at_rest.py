"""Findings 5, 6, 7 and 8 outside the workspace: the payload's sender, ids beyond any row in the API,
secrets and file modes at rest, and tampered evidence on the command line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from web_support import serving

from hotline.auth import enrol_totp, find_user, totp_secret
from hotline.models import AuditEvent, Partner, User
from hotline.vault import VaultError
from hotline.web import create_app
from hotline.web.api.partners import partner_secret
from tests.api.api_support import add_partner, count_reports, payload, post_report, signed
from tests.security.conftest import add_people, cli, cli_process


# -- finding 5: the sender is the partner that signed ---------------------------------------------------
def test_a_partner_cannot_send_a_report_in_another_partners_name(make_hotline) -> None:
    app = make_hotline()
    creds = add_partner(app, "nl-meldpunt")
    add_partner(app, "be-childfocus")
    with serving(create_app(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        # signed by nl-meldpunt, but claiming to come from be-childfocus
        forged = post_report(client, creds, payload(sender="be-childfocus"))
        assert forged.status_code == 403
        assert forged.json()["detail"] == ("the payload's sender 'be-childfocus' is not the partner that signed it "
                                           "('nl-meldpunt'); send your own name, as registered with us")
        assert count_reports(app) == 0
        # its own name is accepted
        assert post_report(client, creds, payload(sender="nl-meldpunt")).status_code == 201


# -- finding 7: ids beyond any row in the API -------------------------------------------------------------
@pytest.mark.parametrize("n", [2**63, 2**64, 10**40])
def test_api_ids_beyond_any_row_are_refused_not_a_server_error(make_hotline, n: int) -> None:
    app = make_hotline()
    creds = add_partner(app, "triage-tool", roles=("triage",))
    with serving(create_app(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        for path, body in ((f"/api/v1/urls/{n}/assessment", b'{"legal": "not-illegal"}'),
                           (f"/api/v1/urls/{n}/approval", b"{}"),
                           ("/api/v1/urls/1/assessment", f'{{"legal": "not-illegal", "media_item_id": {n}}}'.encode())):
            answer = client.post(path, content=body, headers={**signed(body, creds),
                                                              "Content-Type": "application/json"})
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["detail"].startswith("invalid request")


# -- finding 6: secrets and files at rest ----------------------------------------------------------------
def test_totp_seeds_and_partner_secrets_are_sealed_and_bound_to_their_row(make_hotline) -> None:
    app = make_hotline()
    add_people(app, ana="analyst", bob="analyst")
    creds = add_partner(app, "nl-meldpunt")
    with app.db.session() as session:
        enrol_totp(session, find_user(session, "ana"))
        enrol_totp(session, find_user(session, "bob"))
    with app.db.sessions() as session:
        ana, bob = find_user(session, "ana"), find_user(session, "bob")
        partner = session.scalars(select(Partner)).one()
        seed = totp_secret(session, ana)
        # nothing readable in the rows
        assert seed and seed not in (ana.totp_secret or "")
        assert creds.signing_secret.encode() not in bytes(partner.signing_secret or b"")
        assert partner_secret(session, partner, "signing_secret") == creds.signing_secret.encode()
    # the database file itself holds neither
    database = (app.settings.data_dir / "hotline.sqlite3").read_bytes()
    assert seed.encode() not in database and creds.signing_secret.encode() not in database
    # a sealed seed copied into another row does not open there (no borrowing a known seed)
    with app.db.session() as session:
        session.get(User, bob.id).totp_secret = ana.totp_secret
    with app.db.sessions() as session, pytest.raises(VaultError, match="copied from another row"):
        totp_secret(session, session.get(User, bob.id))


def test_init_seals_what_an_older_version_kept_in_the_clear(make_hotline) -> None:
    app = make_hotline()
    add_people(app, ana="analyst")
    add_partner(app, "nl-meldpunt")
    with app.db.session() as session:  # as version 0003 stored them
        session.scalar(select(User).where(User.name == "ana")).totp_secret = "JBSWY3DPEHPK3PXP"
        partner = session.scalars(select(Partner)).one()
        partner.signing_secret, partner.outbound_secret, partner.outbound_api_key = b"plain-1", b"plain-2", "plain-3"
    assert cli(app, "init").exit_code == 0
    with app.db.sessions() as session:
        ana = find_user(session, "ana")
        partner = session.scalars(select(Partner)).one()
        assert ana.totp_secret != "JBSWY3DPEHPK3PXP" and totp_secret(session, ana) == "JBSWY3DPEHPK3PXP"
        assert partner_secret(session, partner, "signing_secret") == b"plain-1"
        assert partner_secret(session, partner, "outbound_secret") == b"plain-2"
        assert partner.outbound_api_key != "plain-3"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_the_data_dir_is_owner_only_whatever_the_umask(make_hotline, tmp_path, umask: int) -> None:
    from hotline.app import Hotline
    from hotline.config import load_settings

    data_dir = tmp_path / "fresh"

    class Fresh:
        settings = load_settings(data_dir=data_dir)

    # a new data dir, made by `hotline init` under a loose umask
    done = cli_process(Fresh, "init", umask=umask)
    assert done.returncode == 0, done.stderr
    assert _mode(data_dir) == 0o700
    for sub in ("evidence", "index", "logs", "keys"):
        assert _mode(data_dir / sub) == 0o700, sub
    # the database and its side files, once something wrote to it from a loose-umask process
    assert cli_process(Fresh, "user", "add", "ana", "--password-stdin", stdin="a long password\n",
                       umask=umask).returncode == 0
    for path in data_dir.glob("hotline.sqlite3*"):
        assert _mode(path) == 0o600, path
    # the match index, rebuilt
    previous = os.umask(umask)
    try:
        with Hotline(load_settings(data_dir=data_dir)) as app:
            from hotline.matching.index import match_service

            match_service(app).index()
    finally:
        os.umask(previous)
    index_files = [p for p in (data_dir / "index").rglob("*")]
    assert index_files and all(_mode(p) == (0o700 if p.is_dir() else 0o600) for p in index_files)


def test_init_repairs_the_modes_of_an_existing_data_dir(make_hotline) -> None:
    app = make_hotline()
    data_dir = app.settings.data_dir
    data_dir.chmod(0o755)
    (data_dir / "hotline.sqlite3").chmod(0o644)
    (data_dir / "index").chmod(0o755)
    assert cli(app, "init").exit_code == 0
    assert _mode(data_dir) == 0o700 and _mode(data_dir / "hotline.sqlite3") == 0o600
    assert _mode(data_dir / "index") == 0o700


# -- finding 8 on the command line ------------------------------------------------------------------------
def test_exporting_tampered_evidence_is_one_line_an_audit_event_and_no_file(make_hotline, tmp_path) -> None:
    from tests.triage.conftest import seed_item

    app = make_hotline()
    item = seed_item(app, 1)
    with app.db.sessions() as session:
        from hotline.models import Capture, ReportedUrl

        row = session.get(ReportedUrl, item.url_id)
        capture = session.scalars(select(Capture).where(Capture.reported_url_id == row.id)).first()
        warc = capture.warc_path if capture else None
    if warc is None:
        with app.db.session() as session:
            capture = session.scalars(select(Capture).where(Capture.reported_url_id == item.url_id)).first()
            capture.warc_path = app.evidence.write_warc("tampered", b"WARC/1.1\r\n\r\nsynthetic")
            warc = capture.warc_path
    path = app.evidence.root / warc
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    result = cli(app, "evidence", "export", item.reference, "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "failed its integrity check" in result.output
    assert not list((tmp_path / "out").glob("*.warc")) if (tmp_path / "out").exists() else True
    with app.db.sessions() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.integrity-failure"))
        assert event.actor == "cli" and event.detail["report"] == item.reference
        assert not list(session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.export")))
