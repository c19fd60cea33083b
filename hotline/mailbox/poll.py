"""Polling the hotline's mailbox: each new message becomes one report, exactly once.

For each message in the folder, in one transaction: the report (source mailbox; URLs, description, the
sender only if HOTLINE_MAILBOX_KEEP_SENDER), its attachment capture, and a MailboxMessage row whose
(mailbox, UIDVALIDITY, UID) and Message-ID are unique. Only after that commit is the message moved to
the processed folder. A crash in between leaves a message that is already known: the next poll moves it
and makes no second report; so does a concurrent poller that loses the race to the unique keys.
A mail with no URL and no picture or video is stored closed as no-url (counted, not queued).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from forwarders.base import ForwardError
from hotline.mailbox.acknowledge import acknowledge
from hotline.mailbox.imap import Mailbox, MailboxAddress, MailboxError
from hotline.mailbox.message import MailReport, read_message, unreadable
from hotline.models import MailboxMessage, ReportSource
from hotline.pipeline.capture import SealedAttachment, store_attachments
from hotline.pipeline.fingerprint import fingerprint_attachments
from hotline.pipeline.intake import dedup_window, submit_report

if TYPE_CHECKING:
    from hotline.app import Hotline

log = logging.getLogger(__name__)
MAX_MESSAGES_PER_POLL = 100
# A message carries its attachments base64-encoded (4/3 of their size) next to its text.
MESSAGE_SIZE_FACTOR = 2


class NoMailbox(MailboxError):
    pass


@dataclass
class Taken:
    uid: int
    reference: str
    urls: int
    attachments: int
    closed: str | None
    acknowledged: bool = False


@dataclass
class PollResult:
    mailbox: str
    taken: list[Taken] = field(default_factory=list)
    already_known: list[int] = field(default_factory=list)  # stored before; moved now
    waiting: int = 0  # left for the next poll (more than MAX_MESSAGES_PER_POLL)


def mailbox_password(app: Hotline) -> str:
    settings = app.settings
    if settings.mailbox_password_file is not None:
        try:
            return settings.mailbox_password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise MailboxError(f"cannot read HOTLINE_MAILBOX_PASSWORD_FILE {settings.mailbox_password_file}: "
                               f"{exc.strerror}") from None
    if settings.mailbox_password is None:
        raise MailboxError("set HOTLINE_MAILBOX_PASSWORD or HOTLINE_MAILBOX_PASSWORD_FILE for the mailbox")
    return settings.mailbox_password


def poll_mailbox(app: Hotline) -> PollResult:
    """Take every message waiting in HOTLINE_MAILBOX; raises MailboxError (one line) if it cannot."""
    if not app.settings.mailbox:
        raise NoMailbox("no mailbox is set: HOTLINE_MAILBOX=imap://user@host:port/INBOX")
    address = MailboxAddress.parse(app.settings.mailbox)
    result = PollResult(address.name)
    with Mailbox(address, mailbox_password(app), app.settings.mailbox_processed_folder) as mailbox:
        uids = mailbox.waiting()
        result.waiting = max(0, len(uids) - MAX_MESSAGES_PER_POLL)
        for uid in uids[:MAX_MESSAGES_PER_POLL]:
            taken = _take(app, mailbox, address, uid)
            if taken is None:
                result.already_known.append(uid)
            else:
                result.taken.append(taken)
    return result


def _take(app: Hotline, mailbox: Mailbox, address: MailboxAddress, uid: int) -> Taken | None:
    """One message: stored with its report (unless known already), then moved, then hashed and answered."""
    if _known(app, address, mailbox.uidvalidity, uid, None):
        mailbox.move_to_processed(uid)
        return None
    limit = app.settings.capture_max_bytes
    size = mailbox.size(uid)
    if size is not None and size > MESSAGE_SIZE_FACTOR * limit:
        mail = unreadable(f"The message ({size} bytes) is larger than this hotline reads: read it in the "
                               f"mailbox's {app.settings.mailbox_processed_folder} folder.")
    else:
        raw = mailbox.fetch(uid)
        if raw is None:
            return None  # gone meanwhile (another client moved it)
        mail = _read(raw, limit, app.settings.mailbox_processed_folder)
    if _known(app, address, mailbox.uidvalidity, uid, mail.message_id):
        mailbox.move_to_processed(uid)  # the same message again (sent twice, or copied back)
        return None
    try:
        taken, capture_id = _store(app, address, mailbox.uidvalidity, uid, mail)
    except IntegrityError:
        if not _known(app, address, mailbox.uidvalidity, uid, mail.message_id):
            raise
        mailbox.move_to_processed(uid)  # a concurrent poll stored it first
        return None
    mailbox.move_to_processed(uid)
    if capture_id is not None:
        try:
            fingerprint_attachments(app, [capture_id])
        except Exception:  # the attachments job hashes it later; the report is safe
            log.exception("hashing the attachments of %s failed; the attachments job will retry", taken.reference)
    taken.acknowledged = _acknowledge(app, mail, taken.reference)
    return taken


def _read(raw: bytes, limit: int, folder: str) -> MailReport:
    try:
        return read_message(raw, max_attachment_bytes=limit)
    except Exception as exc:  # noqa: BLE001 - a mail is hostile input: none may stop the mailbox for the rest
        log.warning("a mailbox message could not be read (%s); kept as a report that says so", type(exc).__name__)
        return unreadable(f"The message could not be read ({type(exc).__name__}): read it in the "
                               f"mailbox's {folder} folder.")


def _known(app: Hotline, address: MailboxAddress, uidvalidity: int, uid: int, message_id: str | None) -> bool:
    same_uid = (MailboxMessage.mailbox == address.name) & (MailboxMessage.uidvalidity == uidvalidity) & \
        (MailboxMessage.uid == uid)
    condition = or_(same_uid, MailboxMessage.message_id == message_id) if message_id else same_uid
    with app.db.sessions() as session:
        return session.scalar(select(MailboxMessage.id).where(condition).limit(1)) is not None


def _store(app: Hotline, address: MailboxAddress, uidvalidity: int, uid: int,
           mail: MailReport) -> tuple[Taken, int | None]:
    # Sealed before the transaction: blobs are content-addressed, so a rollback leaves only unused copies
    # that retention removes, and the commit never waits for the disk.
    sealed = [SealedAttachment(a.name, a.kind, a.content_type, len(a.data), app.evidence.put_blob(a.data))
              for a in mail.attachments]
    keep = app.settings.mailbox_keep_sender
    with app.db.session() as session:
        result = submit_report(
            session, mail.urls, source=ReportSource.MAILBOX, description=mail.description or None,
            reporter_contact=mail.sender if keep else None, require_url=False, brings_media=bool(sealed),
            dedup_window=dedup_window(app.settings),
        )
        report = result.report
        capture = store_attachments(session, report.id, sealed) if sealed else None
        session.add(MailboxMessage(report_id=report.id, mailbox=address.name, uidvalidity=uidvalidity, uid=uid,
                                   message_id=mail.message_id))
        session.flush()
        taken = Taken(uid, report.reference, len(result.urls), len(sealed), report.closed_reason)
        capture_id = capture.id if capture else None
    log.info("mailbox message %s became report %s (%d URLs, %d attachments%s)", uid, taken.reference, taken.urls,
             taken.attachments, f", closed as {taken.closed}" if taken.closed else "")
    return taken, capture_id


def _acknowledge(app: Hotline, mail: MailReport, reference: str) -> bool:
    if not app.settings.mailbox_acknowledge or mail.automatic or mail.sender is None:
        return False
    try:
        acknowledge(app.settings, mail.sender, reference, mail.message_id)
    except ForwardError as exc:
        # The reason may name the address; logs never do (README, "Logs").
        log.warning("could not acknowledge report %s (%s)", reference, type(exc).__name__)
        return False
    return True


# -- the periodic job ------------------------------------------------------------------------------
class _LastPoll:
    """When this process last polled: the embedded loop runs jobs every round, the mailbox less often."""

    def __init__(self, app: Hotline) -> None:
        self.at = float("-inf")
        self.lock = threading.Lock()


def mailbox_job(app: Hotline) -> int:
    """Poll when HOTLINE_MAILBOX is set and HOTLINE_MAILBOX_POLL_SECONDS have passed; how many were taken."""
    if not app.settings.mailbox:
        return 0
    last = app.service(_LastPoll)
    with last.lock:
        if time.monotonic() - last.at < app.settings.mailbox_poll_seconds:
            return 0
        last.at = time.monotonic()
    try:
        result = poll_mailbox(app)
    except MailboxError as exc:
        log.warning("mailbox not polled: %s", exc)  # one line; the next poll tries again
        return 0
    return len(result.taken) + len(result.already_known)
