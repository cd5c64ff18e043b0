"""Optional DKIM signatures (dkimpy). The signed headers include List-Unsubscribe and
List-Unsubscribe-Post: Gmail honours one-click unsubscribe only when the signature covers
them (RFC 8058 §4)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from digest.errors import SendError
from digest.settings import DkimSettings

SIGNED_HEADERS = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"Reply-To",
    b"List-Id",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"MIME-Version",
    b"Content-Type",
)


@cache
def _key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SendError(
            f"cannot read the DKIM key {path}: {exc.strerror}", hint="check mail.dkim.key_file"
        ) from exc


def sign(message: bytes, settings: DkimSettings) -> bytes:
    """The message with a DKIM-Signature header in front."""
    import dkim

    signature = dkim.sign(
        message,
        settings.selector.encode(),
        settings.domain.encode(),
        _key(settings.key_file),
        include_headers=list(SIGNED_HEADERS),
        linesep=b"\r\n",
    )
    return bytes(signature) + message
