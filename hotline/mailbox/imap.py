"""The hotline's mailbox over IMAP (imaplib): which messages wait, their bytes, and moving one away.

HOTLINE_MAILBOX is `imap://user@host:port/FOLDER` (STARTTLS whenever the server offers it) or
`imaps://...` (TLS from the first byte); the password comes from HOTLINE_MAILBOX_PASSWORD or the file
HOTLINE_MAILBOX_PASSWORD_FILE names. Messages are read with BODY.PEEK (nothing is marked read) and moved
to the processed folder with MOVE (RFC 6851), or COPY, \\Deleted and UID EXPUNGE where MOVE is missing.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"imap": 143, "imaps": 993}
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox cannot be reached or used; the message is one line saying what to check."""


@dataclass(frozen=True)
class MailboxAddress:
    scheme: str
    user: str
    host: str
    port: int
    folder: str

    @classmethod
    def parse(cls, text: str) -> MailboxAddress:
        """`imap://user@host:port/FOLDER`, as the setting's validator (hotline.config) accepted it."""
        parts = urlsplit(text.strip())
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(parts.scheme, unquote(parts.username or ""), parts.hostname or "", port, folder)

    @property
    def name(self) -> str:
        """The mailbox's identity in the database: no password, the folder included."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


class Mailbox:
    """One logged-in session on the folder, opened read-write. Use as a context manager."""

    def __init__(self, address: MailboxAddress, password: str, processed_folder: str, timeout: float = 30.0):
        self.address = address
        self.password = password
        self.processed_folder = processed_folder
        self.timeout = timeout
        self.uidvalidity = 0
        self._imap: imaplib.IMAP4 | None = None

    def __enter__(self) -> Self:
        where = f"{self.address.host}:{self.address.port}"
        try:
            if self.address.scheme == "imaps":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.address.host, self.address.port,
                                                         ssl_context=ssl.create_default_context(),
                                                         timeout=self.timeout)
            else:
                imap = imaplib.IMAP4(self.address.host, self.address.port, timeout=self.timeout)
                if "STARTTLS" in imap.capabilities:
                    imap.starttls(ssl.create_default_context())
        except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"cannot reach the mailbox at {where}: {exc}; check HOTLINE_MAILBOX") from None
        self._imap = imap
        try:
            imap.login(self.address.user, self.password)
        except imaplib.IMAP4.error:
            self.close()
            raise MailboxError(f"the mailbox at {where} refused the login of {self.address.user!r}: "
                               "check HOTLINE_MAILBOX_PASSWORD(_FILE)") from None
        self._refresh_capabilities()
        self._select()
        self._ensure_processed_folder()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass  # the connection is gone already; nothing is left to release

    @property
    def imap(self) -> imaplib.IMAP4:
        assert self._imap is not None, "use the Mailbox as a context manager"
        return self._imap

    def _refresh_capabilities(self) -> None:
        # What a server offers after login (MOVE, UIDPLUS) may differ from its greeting, which imaplib kept.
        status, data = self.imap.capability()
        if status == "OK" and data and isinstance(data[0], bytes):
            self.imap.capabilities = tuple(data[0].decode("ascii", "replace").upper().split())

    def _select(self) -> None:
        status, data = self.imap.select(_quoted(self.address.folder))
        if status != "OK":
            raise MailboxError(f"the mailbox has no folder {self.address.folder!r}: {_text(data)}")
        _, found = self.imap.response("UIDVALIDITY")
        values = [int(item) for item in found if isinstance(item, bytes) and item.isdigit()]
        if not values:
            raise MailboxError(f"the server gave no UIDVALIDITY for {self.address.folder!r}")
        self.uidvalidity = values[-1]

    def _ensure_processed_folder(self) -> None:
        status, data = self.imap.list('""', _quoted(self.processed_folder))
        if status == "OK" and any(item for item in data if item):
            return
        status, data = self.imap.create(_quoted(self.processed_folder))
        if status != "OK":
            raise MailboxError(f"cannot create the folder {self.processed_folder!r}: {_text(data)}")

    # -- messages ----------------------------------------------------------------------------------
    def waiting(self) -> list[int]:
        """UIDs of every message in the folder (what was taken has been moved away), oldest first."""
        status, data = self.imap.uid("SEARCH", "ALL")
        if status != "OK":
            raise MailboxError(f"the server refused to list the messages: {_text(data)}")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    def size(self, uid: int) -> int | None:
        status, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
        found = _SIZE.search(b" ".join(_bytes(item) for item in data)) if status == "OK" else None
        return int(found.group(1)) if found else None

    def fetch(self, uid: int) -> bytes | None:
        """The message as sent, without marking it read; None if it is gone."""
        status, data = self.imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if status != "OK":
            raise MailboxError(f"the server refused to give message {uid}: {_text(data)}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        return None

    def move_to_processed(self, uid: int) -> None:
        if "MOVE" in self.imap.capabilities:
            status, data = self.imap.uid("MOVE", str(uid), _quoted(self.processed_folder))
        else:
            status, data = self.imap.uid("COPY", str(uid), _quoted(self.processed_folder))
            if status == "OK":
                status, data = self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
            if status == "OK":
                status, data = (self.imap.uid("EXPUNGE", str(uid)) if "UIDPLUS" in self.imap.capabilities
                                else self.imap.expunge())
        if status != "OK":
            raise MailboxError(f"cannot move message {uid} to {self.processed_folder!r}: {_text(data)}")


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bytes(item: object) -> bytes:
    if isinstance(item, tuple):
        return b" ".join(_bytes(part) for part in item)
    return item if isinstance(item, bytes) else str(item).encode()


def _text(data: Sequence[object]) -> str:
    return b" ".join(_bytes(item) for item in data if item is not None).decode("utf-8", "replace")[:200]
