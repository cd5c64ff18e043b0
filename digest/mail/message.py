"""Messages: the rendered issue as one MIME message per subscriber, built fast.

Everything that is the same for every subscriber is prepared once per issue in a
`MessageTemplate`: the encoded subject and sender, List-Id, the multipart skeleton, and
both parts already quoted-printable encoded around the placeholders of `digest.render`.
Per subscriber, building a message costs encoding two short values and joining strings.
Soft line breaks (`=` at the end of a line, RFC 2045 §6.7) are put around each value,
so lines stay under 76 characters without re-encoding the whole part. The result is
RFC 5322 text that `email.parser` reads back (tests check it): multipart/alternative,
the text part first and the HTML last (RFC 2046: the richest last), both UTF-8.
"""

from __future__ import annotations

import binascii
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol

from digest.models import NAME_MAX
from digest.render import (
    GREETING_PLACEHOLDER,
    PREFERENCES_PLACEHOLDER,
    UNSUBSCRIBE_PLACEHOLDER,
    reader_values,
)

_PLACEHOLDER = re.compile(
    "("
    + "|".join(
        map(re.escape, (UNSUBSCRIBE_PLACEHOLDER, PREFERENCES_PLACEHOLDER, GREETING_PLACEHOLDER))
    )
    + ")"
)
_SOFT_BREAK = "=\r\n"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str | None
    unsubscribe_url: str  # HTTPS, one click (RFC 8058)
    unsubscribe_mailto: str  # the mailto: fallback of List-Unsubscribe
    message_id: str  # "<…@domain>", unique per (issue, subscriber)
    preferences_url: str  # their preferences page: pause, resume, unsubscribe (issue 14)


class MessageContent(Protocol):
    """What a message is made of: a rendered issue, or the welcome (digest.mail.welcome)."""

    @property
    def subject(self) -> str: ...
    @property
    def html(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _EncodedPart:
    """A part's body, quoted-printable encoded once: chunks with placeholders between."""

    header: str
    chunks: tuple[str, ...]  # encoded text; odd indexes are placeholder names
    escape: bool  # HTML: substituted values are HTML-escaped

    @classmethod
    def prepare(cls, content_type: str, content: str, *, escape: bool) -> _EncodedPart:
        pieces = _PLACEHOLDER.split(content)
        chunks = tuple(p if i % 2 else _qp(p) for i, p in enumerate(pieces))
        header = (
            f"Content-Type: {content_type}; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        return cls(header=header, chunks=chunks, escape=escape)

    def fill(self, values: dict[str, str]) -> str:
        out = [self.header]
        for i, chunk in enumerate(self.chunks):
            if i % 2 == 0:
                out.append(chunk)
                continue
            value = html.escape(values[chunk]) if self.escape else values[chunk]
            out.append(f"{_SOFT_BREAK}{_qp(value)}{_SOFT_BREAK}")
        return "".join(out)


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """What every subscriber's message of one issue shares, encoded once."""

    head: str  # From, Reply-To, Subject, List-Id, MIME-Version, Content-Type lines
    boundary: str
    text: _EncodedPart
    html: _EncodedPart

    @classmethod
    def prepare(
        cls, rendered: MessageContent, *, sender: str, reply_to: str, list_id: str, list_name: str
    ) -> MessageTemplate:
        boundary = "=_digest_" + hashlib.sha256(rendered.html.encode()).hexdigest()[:24]
        lines = [
            f"From: {_address(sender)}",
            *([f"Reply-To: {_address(reply_to)}"] if reply_to else []),
            f"Subject: {_encoded(rendered.subject, 'Subject')}",
            f"List-Id: {_encoded(list_name, 'List-Id')} <{list_id}>",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
        ]
        return cls(
            head="".join(f"{line}\r\n" for line in lines),
            boundary=boundary,
            text=_EncodedPart.prepare("text/plain", rendered.text, escape=False),
            html=_EncodedPart.prepare("text/html", rendered.html, escape=True),
        )


def build_message(template: MessageTemplate, recipient: Recipient, date: datetime) -> bytes:
    """One subscriber's complete message, ready for SMTP (CRLF line ends)."""
    values = reader_values(recipient.unsubscribe_url, recipient.name, recipient.preferences_url)
    b = template.boundary
    return "".join(
        (
            to_field(recipient.name, recipient.email),
            f"Date: {format_datetime(date)}\r\n",
            f"Message-ID: {recipient.message_id}\r\n",
            # Folded after the comma: each URL on its own line keeps lines near 78 characters.
            f"List-Unsubscribe: <{recipient.unsubscribe_url}>,\r\n",
            f" <{recipient.unsubscribe_mailto}>\r\n",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",  # RFC 8058
            template.head,
            f"\r\n--{b}\r\n",
            template.text.fill(values),
            f"\r\n--{b}\r\n",
            template.html.fill(values),
            f"\r\n--{b}--\r\n",
        )
    ).encode("utf-8")  # ASCII but for an internationalised To address (RFC 6532)


def _qp(content: str) -> str:
    encoded = binascii.b2a_qp(content.encode("utf-8"), istext=True).decode("ascii")
    return encoded.replace("\r\n", "\n").replace("\n", "\r\n")


def _encoded(value: str, name: str = "To") -> str:
    """A header value: as is when ASCII, else RFC 2047 encoded-words folded to 76 columns."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _address(value: str) -> str:
    return _format_address(*parseaddr(value))


def _format_address(name: str, address: str) -> str:
    if not name:
        return address
    return formataddr((name, address)) if name.isascii() else f"{_encoded(name)} <{address}>"


def to_field(name: str | None, address: str) -> str:
    """The whole `To:` field with its CRLF, safe whatever the store holds (issue 10, item 7):
    line breaks and other controls in a name or address become spaces (they could end the
    field and start `Bcc:`), the name is cut at NAME_MAX, a non-ASCII name is RFC 2047
    encoded, and the field is folded at spaces, so no line nears RFC 5322's 998 octets.
    An internationalised address stays UTF-8: it is only ever sent with SMTPUTF8 (RFC 6532).
    """
    address = _HEADER_BREAKERS.sub("", address)
    # split/join: runs of whitespace become one space, so no folded line is blank.
    name = " ".join(_HEADER_BREAKERS.sub(" ", name or "").split())[:NAME_MAX].rstrip()
    if not name:
        return f"To: {address}\r\n"
    return f"{_fold(f'To: {_phrase(name)} <{address}>')}\r\n"


def _phrase(name: str) -> str:
    """A display name as RFC 5322 wants it: as is, quoted when it holds specials, or
    RFC 2047 encoded-words (at most 76 characters each, folded) when it is not ASCII."""
    if not name.isascii():
        return "\r\n ".join(_encoded_words(name))
    if _SPECIALS.search(name):
        return '"' + _QUOTED_SPECIALS.sub(r"\\\g<0>", name) + '"'
    return name


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 "B" encoded-words of at most 72 characters, split between characters
    (§5: an encoded-word holds whole characters). By hand: email.header.Header took 130 µs
    per non-ASCII name, a seventh of the send loop's budget per message."""
    data = text.encode("utf-8")
    if len(data) <= _WORD_BYTES:  # the usual name: one word
        return [f"=?utf-8?b?{binascii.b2a_base64(data, newline=False).decode()}?="]
    chunks: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += encoded
    chunks.append(chunk)
    return [f"=?utf-8?b?{binascii.b2a_base64(c, newline=False).decode()}?=" for c in chunks]


_WORD_BYTES = 45  # base64 of 45 bytes is 60 characters: 72 with "=?utf-8?b?" and "?="

# What needs care in a header: ASCII controls, DEL, C1 controls (NEL), U+2028 and U+2029.
_HEADER_BREAKERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')  # RFC 5322 specials: the phrase is quoted
_QUOTED_SPECIALS = re.compile(r'[\\"]')  # escaped inside a quoted-string
_FOLD_WIDTH = 78  # RFC 5322 §2.1.1: lines SHOULD stay under 78 characters


def _fold(field: str) -> str:
    """Fold each line of a header field at its last space before _FOLD_WIDTH (RFC 5322
    §2.2.3: a fold is CRLF before whitespace, which unfolding removes)."""
    lines: list[str] = []
    for line in field.split("\r\n"):
        while len(line) > _FOLD_WIDTH:
            cut = line.rfind(" ", 4, _FOLD_WIDTH)  # past "To: ", and never at a fold’s own space
            if cut <= 0:
                break  # no space to fold at: a long word stays whole
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return "\r\n".join(lines)
