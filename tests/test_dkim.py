"""DKIM: a signed message verifies with the public key, and the signature covers the
List-Unsubscribe headers (RFC 8058 §4: Gmail honours one-click only then)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.mail.dkim import sign
from digest.mail.message import MessageTemplate, Recipient, build_message
from digest.models import Issue, IssueStatus
from digest.render import RenderedIssue
from digest.settings import DkimSettings

from .needs import missing_tool

SOME_DAY = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, str]:
    if shutil.which("openssl") is None:
        missing_tool("openssl is missing: apt-get install openssl")
    private = tmp_path / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, base64.b64encode(der).decode()


def test_signature_verifies_and_covers_list_unsubscribe(key_pair: tuple[Path, str]) -> None:
    import dkim

    private, public = key_pair
    rendered = RenderedIssue(
        number=1,
        subject="Le Fil IA n°1 — Sécurité",
        preheader="",
        html="<p>__DIGEST_GREETING__ <a href='__DIGEST_UNSUBSCRIBE_URL__'>x</a></p>",
        text="__DIGEST_GREETING__ __DIGEST_UNSUBSCRIBE_URL__\n",
        web_url="https://lettre.example.org/issues/1",
        issue=Issue(1, IssueStatus.DRAFT, SOME_DAY, SOME_DAY, SOME_DAY, ()),
    )
    template = MessageTemplate.prepare(
        rendered,
        sender="Le Fil IA <lettre@example.org>",
        reply_to="",
        list_id="le-fil-ia.example.org",
        list_name="Le Fil IA",
    )
    recipient = Recipient(
        "ada@example.org",
        "Ada",
        "https://lettre.example.org/u/tok",
        "mailto:lettre@example.org?subject=unsubscribe",
        "<1@example.org>",
        "https://lettre.example.org/preferences/tok",
    )
    message = sign(
        build_message(template, recipient, datetime.now(UTC)),
        DkimSettings(domain="example.org", selector="digest", key_file=private),
    )
    header = message.split(b"\r\n\r\n", 1)[0].decode()
    signed = re.search(r"\bh=([^;]+)", header.replace("\r\n", "").replace(" ", "")).group(1)
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} <= {
        h.strip().lower() for h in signed.split(":")
    }

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"digest._domainkey.example.org."
        return f"v=DKIM1; k=rsa; p={public}".encode()

    assert dkim.verify(message, dnsfunc=dns)
    tampered = message.replace(b"https://lettre.example.org/u/tok", b"https://evil.example/u/x", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)
