"""Optional DKIM signatures (dkimpy), and the DNS record their key needs. The signed
headers include List-Unsubscribe and List-Unsubscribe-Post: Gmail honours one-click
unsubscribe only when the signature covers them (RFC 8058 §4)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class DkimRecord:
    """What DNS must publish for the signatures to verify."""

    name: str  # selector._domainkey.domain
    value: str  # v=DKIM1; k=rsa; p=…
    bits: int  # the key's modulus length


def dns_record(settings: DkimSettings) -> DkimRecord:
    """The TXT record of the configured key (RFC 6376 §3.6.1), computed from the private
    key: its public half as a DER SubjectPublicKeyInfo, base64. SendError when the key
    cannot be read or is not an RSA key."""
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    try:
        key = parse_pem_private_key(_key(settings.key_file))
    except (UnparsableKeyError, ValueError, IndexError) as exc:
        raise SendError(
            f"the DKIM key {settings.key_file} is not a PEM RSA private key: {exc}",
            hint="make one with: openssl genrsa -out dkim.pem 2048",
        ) from exc
    modulus, exponent = int(key["modulus"]), int(key["publicExponent"])
    public = _der(0x30, _der(0x02, _unsigned(modulus)) + _der(0x02, _unsigned(exponent)))
    spki = _der(0x30, _RSA_ALGORITHM + _der(0x03, b"\x00" + public))
    return DkimRecord(
        name=f"{settings.selector}._domainkey.{settings.domain}",
        value=f"v=DKIM1; k=rsa; p={base64.b64encode(spki).decode()}",
        bits=modulus.bit_length(),
    )


# AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }, DER-encoded.
_RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length (short or long form), content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _unsigned(value: int) -> bytes:
    """A non-negative INTEGER's content: big-endian, a leading zero when the top bit is set."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")
