"""What a mail to the hotline says: its URLs, a description, its pictures and videos, who sent it.

URLs come from every inline text and HTML part: the text (defanged spellings such as `hxxp://` and
`example[.]com` are fanged first, by ioc-fanger; links are then found by linkify-it, which knows the real
top-level domains, so "10.30 tomorrow" is no link) and the HTML's hrefs, visible or not (a hidden link is
still what the sender meant us to see). Images and videos, attached or inline, are kept as attachments;
other files are only named in the description. Nothing here touches the network or the database.
"""

from __future__ import annotations

import email
import email.policy
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr

import ioc_fanger
import lxml.html
from linkify_it import LinkifyIt
from lxml.etree import ParserError

MAX_DESCRIPTION_CHARS = 10_000
MAX_URLS = 100  # intake's own limit per report
MEDIA_KINDS = ("image", "video")
# Headers of automatic mail (RFC 3834, and the older habit): never answered, or two robots talk forever.
_AUTOMATIC = re.compile(r"^(auto-generated|auto-replied|auto-notified)", re.IGNORECASE)
_BULK = re.compile(r"^(bulk|list|junk|auto_reply)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre")
_LINKS = LinkifyIt()


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    kind: str  # one of MEDIA_KINDS
    data: bytes


@dataclass
class MailReport:
    message_id: str | None
    sender: str | None  # the address to answer (Reply-To, else From); kept only if the hotline keeps contacts
    automatic: bool  # an auto-reply, a mailing list, a bounce: never acknowledged
    description: str
    urls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files that are not pictures or videos, or too large


def read_message(raw: bytes, max_attachment_bytes: int) -> MailReport:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    found = _Found()
    _visit(message, found, describe=True, max_attachment_bytes=max_attachment_bytes)
    return MailReport(
        message_id=_message_id(message),
        sender=_sender(message),
        automatic=_is_automatic(message),
        description=_description(str(message.get("Subject", "") or ""), found.texts, found.skipped),
        urls=list(dict.fromkeys(found.urls))[:MAX_URLS],
        attachments=found.attachments,
        skipped=found.skipped,
    )


def unreadable(why: str) -> MailReport:
    """A message that could not be read (too large, or broken): a report that says where it is."""
    return MailReport(message_id=None, sender=None, automatic=True, description=_clean(why))


@dataclass
class _Found:
    texts: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _visit(part: EmailMessage, found: _Found, *, describe: bool, max_attachment_bytes: int) -> None:
    """Every part, forwarded messages included. Of alternatives (text and HTML of one body) only one is
    described, plain text first, but links are taken from all: a hidden link lives in the HTML."""
    if part.is_multipart():
        children = list(part.iter_parts())
        shown = None
        if part.get_content_subtype() == "alternative" and children:
            shown = next((c for c in children if c.get_content_type() == "text/plain"), children[-1])
        for child in children:
            assert isinstance(child, EmailMessage)
            _visit(child, found, describe=describe and (shown is None or child is shown),
                   max_attachment_bytes=max_attachment_bytes)
        return
    kind = _media_kind(part)
    if kind is not None:
        data = part.get_payload(decode=True)
        name = _file_name(part, len(found.attachments) + 1)
        if not isinstance(data, bytes) or not data:
            return
        if len(data) > max_attachment_bytes:
            found.skipped.append(f"{name} ({part.get_content_type()}, {len(data)} bytes: larger than the limit)")
            return
        found.attachments.append(Attachment(name, part.get_content_type(), kind, data))
    elif part.get_content_disposition() != "attachment" and part.get_content_maintype() == "text":
        text, urls = _read_text_part(part)
        if describe:
            found.texts.append(text)
        found.urls.extend(urls)
    else:
        found.skipped.append(f"{_file_name(part, len(found.skipped) + 1)} ({part.get_content_type()})")


# -- parts -----------------------------------------------------------------------------------------
def _read_text_part(part: EmailMessage) -> tuple[str, list[str]]:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return "", []
    if part.get_content_subtype() == "html":
        return html_text_and_links(content)
    return content, urls_in_text(content)


def urls_in_text(text: str) -> list[str]:
    """http(s) links in plain text, defanged spellings included, in order."""
    matches = _LINKS.match(ioc_fanger.fang(text)) or []
    return [m.url for m in matches if m.schema.lower() in ("", "http:", "https:")]


def html_text_and_links(html: str) -> tuple[str, list[str]]:
    """The readable text of an HTML part and every link in it: the text's, then each href, hidden or not."""
    try:
        document = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return "", []
    for element in document.xpath("//script|//style|//head"):
        element.drop_tree()
    for element in document.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    text = document.text_content()
    hrefs = [str(href).strip() for href in document.xpath("//a/@href|//area/@href")]
    links = urls_in_text(text)
    for href in hrefs:
        fanged = ioc_fanger.fang(href)
        if re.match(r"(?i)^https?://", fanged):
            links.append(fanged)
        else:
            links += urls_in_text(fanged)  # "www.site.ro/x" written as an href without its scheme
    return text, links


def _media_kind(part: EmailMessage) -> str | None:
    maintype = part.get_content_maintype()
    if maintype in MEDIA_KINDS:
        return maintype
    if part.get_content_type() == "application/octet-stream" and part.get_filename():
        guessed, _ = mimetypes.guess_type(part.get_filename() or "")
        if guessed and guessed.split("/")[0] in MEDIA_KINDS:
            return guessed.split("/")[0]
    return None


def _file_name(part: EmailMessage, number: int) -> str:
    name = _clean(part.get_filename() or "").strip().replace("/", "_")[:200]
    return name or f"part-{number}"


# -- headers ---------------------------------------------------------------------------------------
def _message_id(message: EmailMessage) -> str | None:
    value = _clean(str(message.get("Message-ID", "") or "")).strip()
    if not value:
        return None
    if len(value) > 500:
        import hashlib

        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def _sender(message: EmailMessage) -> str | None:
    for header in ("Reply-To", "From"):
        _, address = parseaddr(str(message.get(header, "") or ""))
        if "@" in address and len(address) <= 320 and not _CONTROL.search(address):
            return address
    return None


def _is_automatic(message: EmailMessage) -> bool:
    auto = str(message.get("Auto-Submitted", "") or "").strip()
    precedence = str(message.get("Precedence", "") or "").strip()
    _, sender = parseaddr(str(message.get("From", "") or ""))
    return bool(_AUTOMATIC.match(auto) or _BULK.match(precedence) or message.get("List-Id")
                or sender.lower().startswith(("mailer-daemon@", "postmaster@")) or not sender)


# -- the description -------------------------------------------------------------------------------
def _description(subject: str, texts: list[str], skipped: list[str]) -> str:
    """Subject and text as one plain, bounded description (the workspace escapes it when shown)."""
    body = "\n\n".join(text.strip() for text in texts if text.strip())
    parts = [f"Subject: {subject.strip()}" if subject.strip() else "", body]
    if skipped:
        parts.append("Not kept (not a picture or video): " + "; ".join(skipped))
    text = _clean("\n\n".join(part for part in parts if part))
    text = _BLANK_LINES.sub("\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
    if len(text) > MAX_DESCRIPTION_CHARS:
        text = text[:MAX_DESCRIPTION_CHARS].rstrip() + " […]"
    return text


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
