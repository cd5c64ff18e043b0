"""What comes back to the sender's mailbox: delivery reports and `mailto:` unsubscribes.

Takes a message's raw bytes; gives what it is: a `DeliveryReport` (an RFC 3464 DSN:
multipart/report; report-type=delivery-status, one Final-Recipient / Action / Status block
per recipient, and the returned message's headers), an `UnsubscribeRequest` (the
List-Unsubscribe `mailto:` we put in every issue: subject « unsubscribe TOKEN »), or
`NotUnderstood`. No I/O and no trust: the app layer (digest.app.mailbox) checks the
signed tokens before anything is applied. Neither kind is believed for its From: header,
which anyone can forge: an unsubscribe needs its signed token, a bounce the token of the
returned issue's own List-Unsubscribe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import parseaddr
from urllib.parse import unquote

# itsdangerous URL-safe tokens: base64url segments joined by dots.
_TOKEN = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+"
_SUBJECT_REQUEST = re.compile(rf"^\s*(?:(?:re|tr|fwd?)\s*:\s*)*unsubscribe\s+({_TOKEN})\s*$", re.I)
# In a returned issue's List-Unsubscribe: the web link /u/TOKEN or the mailto's subject.
_HEADER_TOKEN = re.compile(rf"/u/({_TOKEN})|subject=unsubscribe(?:%20|\+|\s)({_TOKEN})", re.I)
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
MAX_RECIPIENTS = 100  # per report: a DSN for more is no DSN of ours (we mail one per message)


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient's block of a DSN."""

    recipient: str  # Final-Recipient's address, lowercased
    original: str | None  # Original-Recipient's, when given
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # the enhanced status code, 5.1.1

    @property
    def permanent(self) -> bool:
        """A hard bounce: this address will not take mail (Action: failed, Status 5.x.x)."""
        return self.action == "failed" and self.status.startswith("5.")

    @property
    def transient(self) -> bool:
        return self.status.startswith("4.") or self.action == "delayed"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    recipients: tuple[RecipientStatus, ...]
    tokens: tuple[str, ...]  # unsubscribe tokens in the returned message's headers


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    token: str
    sender: str  # as claimed, for the log only


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    reason: str


Returned = DeliveryReport | UnsubscribeRequest | NotUnderstood


def read_returned(raw: bytes) -> Returned:
    """What a message in the sender's mailbox is; never raises on a malformed one."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return _classify(message)
    except (ValueError, TypeError, LookupError, IndexError, AttributeError) as exc:
        # The email package raises these on some malformed headers and parts.
        return NotUnderstood(f"malformed message: {type(exc).__name__}: {exc}")
    except RecursionError:  # parts nested thousands deep: the parser recurses per level
        return NotUnderstood("malformed message: MIME parts nested too deep")


def _classify(message: Message) -> Returned:
    if message.get_content_type() == "multipart/report":
        report_type = str(message.get_param("report-type") or "")
        if report_type.lower() != "delivery-status":
            return NotUnderstood(f"a report of type {report_type[:40]!r}")
        return _delivery_report(message)
    subject = " ".join(str(message.get("Subject", "")).split())
    request = _SUBJECT_REQUEST.match(unquote(subject))
    if request:
        return UnsubscribeRequest(request[1], parseaddr(str(message.get("From", "")))[1])
    return NotUnderstood(f"neither a delivery report nor an unsubscribe: {subject[:80]!r}")


def _delivery_report(message: Message) -> Returned:
    status_part = returned_part = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and status_part is None:
            status_part = part
        elif kind in {"text/rfc822-headers", "message/rfc822"} and returned_part is None:
            returned_part = part
    if status_part is None:
        return NotUnderstood("a delivery report without its message/delivery-status part")
    recipients = _recipients(status_part)
    if not recipients:
        return NotUnderstood("a delivery report naming no recipient")
    return DeliveryReport(tuple(recipients), _returned_tokens(returned_part))


def _recipients(part: Message) -> list[RecipientStatus]:
    """The per-recipient blocks (the first block is the per-message one: it has no
    Final-Recipient, and is skipped like any block without one)."""
    found = []
    for block in _field_blocks(part)[: MAX_RECIPIENTS + 1]:
        final = _address(block.get("Final-Recipient"))
        status = str(block.get("Status", "")).split(" ")[0].strip()
        if not final or not _STATUS.match(status):
            continue
        found.append(
            RecipientStatus(
                recipient=final,
                original=_address(block.get("Original-Recipient")),
                action=str(block.get("Action", "")).strip().lower(),
                status=status,
            )
        )
    return found


def _field_blocks(part: Message) -> list[Message]:
    """The blocks of a message/delivery-status body, each as a header set. The parser
    gives them as sub-messages; a body it left as text is split at its blank lines."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    parser = HeaderParser()
    return [parser.parsestr(block) for block in re.split(r"\r?\n\s*\r?\n", text) if block]


def _address(value: object) -> str | None:
    """The address of `rfc822; someone@example.org`, lowercased; None for other types."""
    if value is None:
        return None
    kind, _, address = str(value).partition(";")
    if kind.strip().lower() != "rfc822" or "@" not in address:
        return None
    return parseaddr(address.strip())[1].lower() or None


def _returned_tokens(part: Message | None) -> tuple[str, ...]:
    if part is None:
        return ()
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        headers: Message | EmailMessage = payload[0]  # message/rfc822: the issue itself
    else:  # text/rfc822-headers, maybe transfer-encoded
        data = part.get_payload(decode=True)
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else ""
        headers = HeaderParser().parsestr(text, headersonly=True)
    value = " ".join(str(v) for v in headers.get_all("List-Unsubscribe", []))
    return tuple(dict.fromkeys(a or b for a, b in _HEADER_TOKEN.findall(value)))
