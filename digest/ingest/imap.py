"""A small IMAP client over TLS: list unseen messages, fetch them capped, flag, file.

Used by the newsletter inboxes (digest.ingest.inboxes) and the bounce mailbox
(digest.app.mailbox). Always TLS (implicit, or STARTTLS before the login), the server's
certificate checked against the system's authorities or the configured `ca_file`. Nothing
here deletes a message: reading uses BODY.PEEK (the \\Seen flag is set only once the
message is handled) and filing uses MOVE, or COPY where the server has no MOVE.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from digest.errors import MailboxError
from digest.settings import ImapConnection

log = logging.getLogger(__name__)

_SIZE = re.compile(rb"UID (\d+).*?RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*?UID (\d+)")
_HINT = "check the host, port, user, security and ca_file of this mailbox in the config"


@dataclass(frozen=True, slots=True)
class Fetched:
    """One message as fetched: its UID, its size, and its bytes (None when over the cap)."""

    uid: int
    size: int
    raw: bytes | None


def address(server: ImapConnection) -> str:
    """The mailbox as a URL for logs and `digest status` (no password)."""
    return f"imaps://{server.user}@{server.host}:{server.port}/{server.folder}"


@contextmanager
def open_folder(
    server: ImapConnection, password: str | None, label: str, timeout: float
) -> Iterator[Folder]:
    """A logged-in connection with the folder selected read-write, each exchange within
    `timeout` seconds; MailboxError when the server cannot be reached, refuses TLS, the
    certificate or the login."""
    if not password:
        raise MailboxError(f"{label}: no password", hint="set its password variable")
    try:
        client = _connect(server, timeout)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailboxError(f"{label}: cannot connect to {address(server)}: {exc}", _HINT) from exc
    try:
        try:
            client.login(server.user, password)
            _refresh_capabilities(client)
            status, data = client.select(_quoted(server.folder))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{label}: {address(server)} refused: {exc}", _HINT) from exc
        if status != "OK":
            raise MailboxError(f"{label}: no folder {server.folder}: {_said(data)}", _HINT)
        yield Folder(client, label)
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _refresh_capabilities(client: imaplib.IMAP4) -> None:
    """imaplib keeps the capabilities the server announced before the login; servers
    announce more after it (Dovecot's MOVE, UIDPLUS)."""
    status, data = client.capability()
    if status == "OK" and data and isinstance(data[-1], bytes):
        client.capabilities = tuple(data[-1].decode("ascii", errors="replace").upper().split())


def _connect(server: ImapConnection, timeout: float) -> imaplib.IMAP4:
    context = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    if server.security == "starttls":
        client = imaplib.IMAP4(server.host, server.port, timeout=timeout)
        client.starttls(ssl_context=context)
        return client
    return imaplib.IMAP4_SSL(server.host, server.port, ssl_context=context, timeout=timeout)


class Folder:
    """The selected folder of one connection."""

    def __init__(self, client: imaplib.IMAP4, label: str) -> None:
        self.client, self.label = client, label

    def unseen(self, limit: int) -> list[int]:
        """UIDs of the messages without \\Seen, oldest first, at most `limit`."""
        data = self._ok(self.client.uid("SEARCH", "UNSEEN"), "search")
        words = b" ".join(d for d in data if isinstance(d, bytes)).split()
        uids = sorted(int(u) for u in words if u.isdigit())
        return uids[:limit]

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        if not uids:
            return {}
        data = self._ok(self.client.uid("FETCH", _set(uids), "(RFC822.SIZE)"), "fetch sizes")
        sizes = {}
        for line in data:
            match = _SIZE.search(line if isinstance(line, bytes) else bytes(line[0]))
            if match:
                uid, size = match[1] or match[4], match[2] or match[3]
                sizes[int(uid)] = int(size)
        return sizes

    def fetch(self, uids: Sequence[int], max_bytes: int) -> Iterator[Fetched]:
        """Each message's bytes without setting \\Seen; one over `max_bytes` is not
        downloaded (raw None): a 50 MB attachment costs one line."""
        sizes = self.sizes(uids)
        for uid in uids:
            size = sizes.get(uid, 0)
            if size > max_bytes:
                yield Fetched(uid, size, None)
                continue
            data = self._ok(self.client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "fetch")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is not None:
                yield Fetched(uid, size or len(raw), bytes(raw))

    def mark_seen(self, uid: int) -> None:
        self._ok(self.client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "flag")

    def move(self, uid: int, folder: str) -> None:
        """File the message in `folder` (made when missing), marked seen."""
        self.mark_seen(uid)
        status, data = self.client.create(_quoted(folder))
        if status != "OK" and b"exist" not in b" ".join(d for d in data if isinstance(d, bytes)):
            raise MailboxError(f"{self.label}: cannot make folder {folder}: {_said(data)}")
        if "MOVE" in self.client.capabilities:
            self._ok(self.client.uid("MOVE", str(uid), _quoted(folder)), "move")
        else:  # no MOVE: a copy, the original left seen (never deleted)
            self._ok(self.client.uid("COPY", str(uid), _quoted(folder)), "copy")

    def _ok(self, answer: tuple[str, list[Any]], what: str) -> list[Any]:
        """The answer's data (bytes lines, and (header, literal) pairs for a FETCH)."""
        status, data = answer
        if status != "OK":
            raise MailboxError(f"{self.label}: {what} refused: {_said(data)}")
        return data


def _set(uids: Sequence[int]) -> str:
    return ",".join(str(u) for u in uids)


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (names may hold spaces)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(data: Sequence[object]) -> str:
    return " ".join(d.decode(errors="replace") for d in data if isinstance(d, bytes))[:200]
