"""Anchors: the chain's head (number, hash, time) written where the database cannot reach.

A keyed chain stops anyone without the key from changing events, but deleting the newest events leaves
a shorter chain that is still whole. An anchor remembers how far the log went: one JSON line appended
to a file outside the database (owner-only, opened for appending only; `chattr +a` makes the kernel
enforce that), and when configured a syslog line (a log host keeps its own copy) and a signed POST to a
partner or timestamping service. `verify` compares the log with every anchor in the file.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select

from hotline.audit.chain import key_fingerprint, take_write_turn
from hotline.models import AuditEvent, utcnow
from hotline.vault import vault_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.app import Hotline

log = logging.getLogger(__name__)


class AnchorError(Exception):
    """An anchor could not be written or read; one line says where and why."""


@dataclass(frozen=True)
class Anchor:
    sequence: int  # the newest event's number
    hash: str
    at: str  # when that event was written
    anchored_at: str
    key: str = ""  # which audit key chained it (a fingerprint, not the key)

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def anchor_file(app: Hotline) -> Path:
    return app.settings.audit_anchor_file or app.settings.data_dir / "audit-anchors.jsonl"


def head(session: Session) -> Anchor | None:
    """The newest event as an anchor, read under the write turn so no event is half-way in."""
    take_write_turn(session)
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    key = vault_of(session).audit_key(session)
    if last is None or key is None:
        return None
    return Anchor(last.id, last.hash, last.at.isoformat(), utcnow().isoformat(timespec="seconds"),
                  key_fingerprint(key))


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in the file (none when it does not exist yet); a damaged line is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AnchorError(f"cannot read the anchor file {path}: {exc.strerror}") from None
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            anchors.append(Anchor(int(fields["sequence"]), str(fields["hash"]), str(fields["at"]),
                                  str(fields["anchored_at"]), str(fields.get("key", ""))))
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"{path}:{number}: not an anchor line; the file was damaged or edited") from None
    return anchors


def last_anchor(path: Path) -> Anchor | None:
    """The newest anchor, reading only the end of the file (the job asks every round)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            tail = handle.read().decode("utf-8", errors="replace").strip().splitlines()
    except FileNotFoundError:
        return None
    if not tail:
        return None
    try:
        fields = json.loads(tail[-1])
        return Anchor(int(fields["sequence"]), str(fields["hash"]), str(fields["at"]), str(fields["anchored_at"]),
                      str(fields.get("key", "")))
    except (ValueError, KeyError, TypeError):
        raise AnchorError(f"{path}: its last line is not an anchor; the file was damaged or edited") from None


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _to_syslog(address: str, mark: Anchor) -> None:
    """address: a socket path (/dev/log), udp://host:port or tcp://host:port."""
    if address.startswith(("udp://", "tcp://")):
        parts = urlsplit(address)
        kind = socket.SOCK_DGRAM if parts.scheme == "udp" else socket.SOCK_STREAM
        handler = logging.handlers.SysLogHandler((parts.hostname or "127.0.0.1", parts.port or 514),
                                                 facility=logging.handlers.SysLogHandler.LOG_AUTH, socktype=kind)
    else:
        handler = logging.handlers.SysLogHandler(address, facility=logging.handlers.SysLogHandler.LOG_AUTH)
    try:
        record = logging.LogRecord("hotline.audit", logging.WARNING, __file__, 0, "hotline audit anchor %s",
                                   (mark.line(),), None)
        handler.handle(record)
    finally:
        handler.close()


def _to_url(app: Hotline, session: Session, url: str, partner_name: str | None, mark: Anchor) -> None:
    """POST the anchor; signed like a partner payload when a partner with outbound credentials is named."""
    import requests

    from forwarders.partner import signed_headers
    from hotline.models import Partner
    from hotline.vault import partner_binding

    body = mark.line().encode()
    headers = {"Content-Type": "application/json"}
    if partner_name:
        partner = session.scalar(select(Partner).where(Partner.name == partner_name))
        if partner is None or not partner.outbound_key_id or not partner.outbound_secret:
            raise AnchorError(f"setting HOTLINE_AUDIT_ANCHOR_PARTNER names {partner_name!r}, which has no outbound "
                              "credentials: `hotline partner outbound` records them")
        secret = vault_of(session).open_bytes(session, bytes(partner.outbound_secret),
                                              partner_binding(partner, "outbound_secret"))
        headers |= signed_headers(body, partner.outbound_key_id, secret, f"anchor-{mark.sequence}",
                                  int(time.time()))
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        raise AnchorError(f"the anchor could not be sent to {url}: {exc.__class__.__name__}") from None
    if response.status_code >= 300:
        raise AnchorError(f"the anchor was refused by {url}: HTTP {response.status_code}")


def anchor(app: Hotline) -> tuple[Anchor | None, list[str]]:
    """Write the head to the anchor file and the configured places; (the anchor, what failed)."""
    settings = app.settings
    with app.db.session() as session:
        mark = head(session)
    if mark is None:
        return None, []
    _append_line(anchor_file(app), mark.line())  # the file first: it is what `verify` reads
    failures: list[str] = []
    if settings.audit_anchor_syslog:
        try:
            _to_syslog(settings.audit_anchor_syslog, mark)
        except OSError as exc:
            failures.append(f"syslog {settings.audit_anchor_syslog}: {exc.strerror or exc}")
    if settings.audit_anchor_url:
        try:
            with app.db.sessions() as session:
                _to_url(app, session, settings.audit_anchor_url, settings.audit_anchor_partner, mark)
        except AnchorError as exc:
            failures.append(str(exc))
    for failure in failures:
        log.warning("audit anchor %s: %s", mark.sequence, failure)
    return mark, failures


def anchor_job(app: Hotline) -> int:
    """The periodic job: anchor when the last anchor is older than HOTLINE_AUDIT_ANCHOR_SECONDS and the
    log has grown since; 1 when it anchored."""
    every = app.settings.audit_anchor_seconds
    if not every:
        return 0
    last = last_anchor(anchor_file(app))
    if last is not None:
        age = (utcnow() - datetime.fromisoformat(last.anchored_at)).total_seconds()
        if age < every:
            return 0
        with app.db.sessions() as session:
            newest = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        if newest == last.sequence:
            return 0
    mark, _ = anchor(app)
    return 1 if mark else 0
