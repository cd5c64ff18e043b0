"""Transports: how a built message leaves. `smtp` talks to a real server; `outbox` writes
.eml files (the offline default and the dry run). The send loop sees only `Transport`
and `Connection`, and the four outcomes below.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from digest.errors import OutputError, SendError
from digest.output import make_folder, write_whole
from digest.settings import Settings, SmtpSettings

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """A 4xx answer: try this recipient again later."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


_ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")  # RFC 3463: class.subject.detail


class PermanentFailure(Exception):
    """A 5xx answer: do not try again. A hard bounce means the address does not exist.

    `stage` is the command answered: "mail" (the sender), "rcpt" (the address) or "data"
    (the message)."""

    def __init__(self, code: int, message: str, stage: str = "rcpt") -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.stage = stage
        self.enhanced = match.group() if (match := _ENHANCED.search(message)) else ""
        # Only a failure of the address itself is a bounce: enhanced status 5.1.x
        # ("addressing status", RFC 3463: no such user, bad address), at RCPT or, for
        # this recipient, at DATA. A bare "550 Message content rejected" at DATA once
        # marked a whole list bounced (issue 10); mailbox full (5.2.2), a policy or
        # content refusal (5.7.x) and a 5xx without an enhanced status are not bounces.
        self.hard_bounce = stage != "mail" and self.enhanced.startswith("5.1.")


class ConnectionLost(Exception):
    """The connection dropped mid-message, or the server closed it (421): reconnect, then
    retry the same recipient."""


class ServerUnavailable(SendError):
    """No connection can be made: the run stops cleanly and a re-run resumes."""


class Connection(Protocol):
    def send(self, sender: str, recipient: str, message: bytes, key: str) -> None: ...
    def close(self) -> None: ...


class Transport(Protocol):
    name: str

    def connect(self) -> Connection: ...


class OutboxTransport:
    """Writes each message to FOLDER/KEY.eml, whole or not at all."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def connect(self) -> OutboxConnection:
        try:
            make_folder(self.folder, "mail.outbox_dir")
        except OutputError as exc:  # the run stops cleanly; a re-run resumes
            raise ServerUnavailable(exc.message, exc.hint) from exc
        return OutboxConnection(self.folder)


class OutboxConnection:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        try:
            write_whole({self.folder / f"{key}.eml": message}, "mail.outbox_dir")
        except OutputError as exc:  # a full disk: the run stops cleanly; a re-run resumes
            raise ServerUnavailable(exc.message, exc.hint) from exc

    def close(self) -> None:
        pass


class _SMTP(smtplib.SMTP):
    """smtplib's DATA, with the dot-stuffing (RFC 5321 §4.5.2) done by one bytes.replace.

    smtplib stuffs with a multiline regex, `(?m)^\\.`, which tries a match at every byte:
    on a 100 KB issue that scan cost more than all the rest of sending a message
    (bench/send.py). Replacing b"\\n." stuffs exactly the lines the regex would, in C.
    """

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if not isinstance(msg, bytes):  # not ours: keep smtplib's behaviour
            return smtplib.SMTP.data(self, msg)
        self.putcmd("data")
        code, answer = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, answer)
        body = msg.replace(b"\n.", b"\n..")
        if body.startswith(b"."):
            body = b"." + body
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        return self.getreply()


class _SMTP_SSL(smtplib.SMTP_SSL):
    data = _SMTP.data  # the same method: it calls no super()


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def connect(self) -> SmtpConnection:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = _SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_seconds, context=ssl.create_default_context()
                )
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout_seconds)
            smtp.ehlo()
            if s.security == "starttls":
                _require(smtp, "starttls", where, s.security)
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                _require(smtp, "auth", where, s.security)
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"SMTP login failed for {s.username}@{where}: {exc.smtp_code}",
                hint="check DIGEST_SMTP_PASSWORD or DIGEST_SMTP_URL",
            ) from exc
        except smtplib.SMTPResponseException as exc:  # 421 at the greeting, 5xx at EHLO…
            raise ServerUnavailable(
                f"cannot connect to SMTP server {where}: {_reply(exc)}",
                hint="is the server up and accepting mail? a re-run resumes where it stopped",
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(
                f"cannot connect to SMTP server {where}: {exc}",
                hint="is the server up? a re-run resumes where it stopped",
            ) from exc
        return SmtpConnection(smtp)


def _require(smtp: smtplib.SMTP, extension: str, where: str, security: str) -> None:
    """Refuse, with the fix, a STARTTLS or login the server does not offer (smtplib
    raised SMTPNotSupportedError for both, and the login one was reported as STARTTLS)."""
    if smtp.has_extn(extension):
        return
    if extension == "starttls":
        raise SendError(
            f"{where} does not offer STARTTLS",
            hint="use smtps:// (tls, port 465) or ?tls=none in DIGEST_SMTP_URL "
            "(or mail.smtp.security: tls / none)",
        )
    plain = security == "none"
    raise SendError(
        f"{where} does not offer SMTP login (AUTH), but a username is set",
        hint=(
            "most servers offer login only over TLS: use ?tls=starttls (port 587) or "
            "smtps:// (port 465) in DIGEST_SMTP_URL; "
            if plain
            else ""
        )
        + "if this server needs no login, remove the user from DIGEST_SMTP_URL "
        "(or mail.smtp.username)",
    )


def _reply(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"{exc.smtp_code} {text}"


class SmtpConnection:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp
        self.closed_by = "the connection is closed"  # why, once it is (a 421's text)

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        """One transaction: MAIL, RCPT, DATA. Not smtplib's sendmail, which parses both
        addresses again for every message (a tenth of the send time): ours are bare."""
        smtp = self.smtp
        if smtp.sock is None:  # closed after the last answer: not smtplib's "run connect()"
            raise ConnectionLost(self.closed_by)
        options = f" SIZE={len(message)}" if smtp.has_extn("size") else ""
        # An internationalised address (josé@exemple.fr, which email-validator accepts)
        # needs SMTPUTF8 (RFC 6531). Without it, this one recipient fails, not the run.
        smtp.command_encoding = "ascii"
        if not (sender + recipient).isascii():
            if not smtp.has_extn("smtputf8"):
                raise PermanentFailure(
                    553, "5.6.7 non-ASCII address, and the server does not offer SMTPUTF8"
                )
            options += " SMTPUTF8"
            smtp.command_encoding = "utf-8"
        stage = "mail"
        try:
            for stage, argument, accepted in (
                ("mail", f"FROM:<{sender}>{options}", (250,)),
                ("rcpt", f"TO:<{recipient}>", (250, 251)),
            ):
                code, answer = smtp.docmd(stage, argument)
                if code not in accepted:
                    raise self._refused(code, answer, stage)
            stage = "data"
            code, answer = smtp.data(message)
        except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
            raise self._refused(exc.smtp_code, exc.smtp_error, stage) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        except smtplib.SMTPException:
            raise  # an unreadable answer…: this message fails alone (the send loop's catch)
        except OSError as exc:  # timeouts, resets, TLS errors (SMTPException is one too)
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        if code != 250:
            raise self._refused(code, answer, stage)

    def _refused(self, code: int, answer: bytes | str, stage: str) -> Exception:
        """The failure to raise, with the connection ready for the next message: the
        transaction reset, or the connection closed if the server is closing it (421)."""
        failure = _failure(code, answer, stage)
        try:
            if code == 421:
                self.smtp.close()
                self.closed_by = str(failure)
            else:
                self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()  # the next send finds it closed and reconnects
        return failure

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


def _failure(code: int, answer: bytes | str, stage: str) -> Exception:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    if code == 421:
        # "Service not available, closing transmission channel" (RFC 5321 §3.8): about
        # the connection, not the recipient. Reconnect and try the same one again; the
        # run stops with this text if it keeps happening.
        return ConnectionLost(f"{code} {text}")
    if 400 <= code < 500:
        return TemporaryFailure(code, text)
    if code >= 500:
        return PermanentFailure(code, text, stage)
    return ConnectionLost(f"unexpected answer {code} {text}")


def transport_for(settings: Settings, number: int, dry_run: bool = False) -> Transport:
    """The configured transport; the outbox (one folder per issue) for a dry run."""
    folder = outbox_folder(settings, number, dry_run)
    return OutboxTransport(folder) if dry_run else configured_transport(settings, folder)


def configured_transport(settings: Settings, outbox: Path) -> Transport:
    """SMTP as configured, or the outbox writing into the folder `outbox`."""
    if settings.mail.transport == "outbox":
        return OutboxTransport(outbox)
    return SmtpTransport(settings.mail.smtp)


def outbox_folder(settings: Settings, number: int, dry_run: bool = False) -> Path:
    folder = settings.mail.outbox_dir / f"issue-{number}"
    return folder / "dry-run" if dry_run else folder
