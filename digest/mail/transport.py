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
from typing import Protocol

from digest.errors import SendError
from digest.settings import Settings, SmtpSettings

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """A 4xx answer: try this recipient again later."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


class PermanentFailure(Exception):
    """A 5xx answer: do not try again. A hard bounce means the address does not exist."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        # 550/551/553 with an enhanced status 5.1.x: "no such user" / "bad address"
        # (RFC 3463). Mailbox full (5.2.2) or a policy refusal (5.7.x) is not a bounce.
        self.hard_bounce = code in (550, 551, 553) and bool(
            re.search(r"\b5\.1\.\d\b", message) or not re.search(r"\b5\.\d\.\d\b", message)
        )


class ConnectionLost(Exception):
    """The connection dropped mid-message: reconnect, then retry the same recipient."""


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
        self.folder.mkdir(parents=True, exist_ok=True)
        return OutboxConnection(self.folder)


class OutboxConnection:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        path = self.folder / f"{key}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(message)
        temporary.replace(path)

    def close(self) -> None:
        pass


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def connect(self) -> SmtpConnection:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_seconds, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(
                f"SMTP login failed for {s.username}@{where}: {exc.smtp_code}",
                hint="check DIGEST_SMTP_PASSWORD or DIGEST_SMTP_URL",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(
                f"{where} does not offer STARTTLS", hint="set mail.smtp.security to tls or none"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(
                f"cannot connect to SMTP server {where}: {exc}",
                hint="is the server up? a re-run resumes where it stopped",
            ) from exc
        return SmtpConnection(smtp)


class SmtpConnection:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> None:
        try:
            refused = self.smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients[recipient]
            raise _failure(code, answer) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _failure(exc.smtp_code, exc.smtp_error) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        except smtplib.SMTPResponseException as exc:
            raise _failure(exc.smtp_code, exc.smtp_error) from exc
        if refused:  # only possible with several recipients; kept for completeness
            code, answer = refused[recipient]
            raise _failure(code, answer)

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


def _failure(code: int, answer: bytes | str) -> Exception:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    if 400 <= code < 500:
        return TemporaryFailure(code, text)
    if code >= 500:
        return PermanentFailure(code, text)
    return ConnectionLost(f"unexpected answer {code} {text}")


def transport_for(settings: Settings, number: int, dry_run: bool = False) -> Transport:
    """The configured transport; the outbox (one folder per issue) for a dry run."""
    if dry_run or settings.mail.transport == "outbox":
        return OutboxTransport(outbox_folder(settings, number, dry_run))
    return SmtpTransport(settings.mail.smtp)


def outbox_folder(settings: Settings, number: int, dry_run: bool = False) -> Path:
    folder = settings.mail.outbox_dir / f"issue-{number}"
    return folder / "dry-run" if dry_run else folder
