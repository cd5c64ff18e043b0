"""Newsletters received by email: a message's stories, its sender as their source.

Takes a message's raw bytes (an `.eml` file, one message of an `.mbox`, or a message an
inbox source fetched over IMAP); gives its stories as `ItemDraft`s, cut by the document
cutter (digest.ingest.segment, like seed 003), each credited to the sender and dated by
the message. The HTML part is preferred, made text by digest.ingest.mail_text (footers,
pixels, social buttons and ads removed); a message without one gives its text part.
Anything wrong with one message is a `DocumentError`; it never stops the others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime

from digest.errors import DocumentError
from digest.ingest.mail_text import (
    MAX_BOILERPLATE_CHARS,
    Removed,
    is_boilerplate,
    mail_html_to_text,
)
from digest.models import ItemDraft

MAIL_SUFFIXES = frozenset({".eml", ".mbox"})
# A newsletter's text or HTML part is tens to hundreds of KB; a part past this is an
# attachment dressed as text, or an attack on the parser.
MAX_PART_BYTES = 2 * 1024 * 1024
# An mbox's messages start with a "From " line (RFC 4155); ">From " in a body is escaped.
_MBOX_SEPARATOR = re.compile(rb"(?m)^From [^\r\n]*\r?\n")
_MBOX_ESCAPED_FROM = re.compile(rb"(?m)^>(>*From )")


@dataclass(frozen=True, slots=True)
class MailNewsletter:
    """One message read: who sent it, when, under what subject, and its stories."""

    sender: str  # the sender's display name, else their address
    address: str  # the sender's address ("" when it had none)
    sent_at: datetime | None
    subject: str
    message_id: str
    drafts: list[ItemDraft]
    removed: dict[str, int]  # what the cleaning took out, by kind


def read_mail_document(
    data: bytes, suffix: str, now: datetime | None, name: str
) -> tuple[str | None, list[ItemDraft]]:
    """A `.eml` or `.mbox` file's stories and the name to show for it (its sender, when
    every message has the same one). DocumentError when no message gives any text."""
    raw_messages = split_mbox(data) if suffix == ".mbox" else [data]
    newsletters, problems = [], []
    for index, raw in enumerate(raw_messages):
        label = name if len(raw_messages) == 1 else f"{name} message {index + 1}"
        try:
            newsletters.append(read_newsletter(raw, now, label))
        except DocumentError as exc:
            problems.append(exc)
    if not newsletters:
        if problems:
            raise problems[0]
        raise DocumentError(
            f"{name} holds no message",
            hint="an .eml file is one message; an .mbox file, messages after From lines",
        )
    senders = Counter(n.sender for n in newsletters)
    title = senders.most_common(1)[0][0] if len(senders) == 1 else None
    drafts = [d for n in newsletters for d in n.drafts]
    return title, drafts


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file, their "From " lines removed and bodies unescaped."""
    parts = _MBOX_SEPARATOR.split(data)
    return [_MBOX_ESCAPED_FROM.sub(rb"\1", part) for part in parts if part.strip()]


def read_newsletter(raw: bytes, now: datetime | None, name: str) -> MailNewsletter:
    """One message's stories; DocumentError when it has no readable text part."""
    from digest.ingest.documents import read_document

    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    sender, address = _sender(message)
    sent_at = _date(message)
    removed = Removed()
    text = _message_text(message, name, removed)
    document = read_document(text.encode("utf-8"), ".txt", sent_at or now, name)
    message_id = _header(message, "Message-ID")
    # Keys unique across the messages of one source (an inbox, an mbox): the message's
    # id (or its bytes' hash) before the document key.
    prefix = hashlib.sha256((message_id or raw.hex()[:4096]).encode()).hexdigest()[:12]
    drafts = [
        dataclasses.replace(
            draft,
            key=f"{prefix}-{draft.key}",
            origin=draft.origin or sender,
            published_at=sent_at,
            author=draft.author or (sender if sender != address else None),
        )
        for draft in document.drafts
    ]
    return MailNewsletter(
        sender=sender,
        address=address,
        sent_at=sent_at,
        subject=_header(message, "Subject"),
        message_id=message_id,
        drafts=drafts,
        removed=dict(removed.counts),
    )


def _message_text(message: EmailMessage, name: str, removed: Removed) -> str:
    """The HTML part's text, else the text part's; DocumentError when neither gives any."""
    for kind in ("html", "plain"):
        try:
            part = message.get_body(preferencelist=(kind,))
        except (KeyError, ValueError, TypeError):  # a malformed tree of parts
            part = None
        if part is None:
            continue
        content = _part_text(part, name)
        text = mail_html_to_text(content, removed) if kind == "html" else plain_text(content)
        if text.strip():
            return text
    raise DocumentError(
        f"{name} has no readable text or HTML part",
        hint="only newsletters (a text/html or text/plain body) are read from mail",
    )


def _part_text(part: MIMEPart, name: str) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    if len(payload) > MAX_PART_BYTES:
        raise DocumentError(
            f"{name}: its text part is {len(payload) // 1024} KB (at most "
            f"{MAX_PART_BYTES // 1024} KB)",
            hint="a newsletter's body is far smaller: this is no newsletter",
        )
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: the bytes are most likely UTF-8
        return payload.decode("utf-8", errors="replace")


def plain_text(text: str) -> str:
    """A text part's paragraphs without the short ones that are a mail's boilerplate."""
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))
    kept = [
        p.strip()
        for p in paragraphs
        if p.strip() and not (len(p) <= MAX_BOILERPLATE_CHARS and is_boilerplate(p))
    ]
    return "\n\n".join(kept)


def _sender(message: EmailMessage) -> tuple[str, str]:
    name, address = parseaddr(_header(message, "From"))
    name = " ".join(name.split())[:100]
    return (name or address or "unknown sender"), address


def _date(message: EmailMessage) -> datetime | None:
    value = _header(message, "Date")
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent.astimezone(UTC)


def _header(message: EmailMessage, name: str) -> str:
    """A header as one line of text, "" when missing or beyond repair."""
    try:
        value = message.get(name)
    except (IndexError, ValueError, TypeError):  # header parsers choke on some forgeries
        return ""
    return " ".join(str(value).split()) if value is not None else ""
