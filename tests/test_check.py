"""`digest check` (issue 13, item 5): what production needs and what is missing, with a real
SMTP connection (aiosmtpd on loopback, a closed port), a real DKIM key (openssl), and the
shipped configuration, which is not ready to go live."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.mail.dkim import dns_record
from digest.settings import DkimSettings

from .conftest import REPO
from .needs import missing_tool
from .smtpserver import SmtpServer, free_port

KEY = "a-real-secret-key-of-32-characters!"


def dkim_key(tmp_path: Path, bits: int = 2048) -> tuple[Path, str]:
    """A private key and its public half as openssl writes it (DER, base64)."""
    if shutil.which("openssl") is None:
        missing_tool("openssl is missing: apt-get install openssl")
    private = tmp_path / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), str(bits)], check=True, capture_output=True
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, base64.b64encode(der).decode()


def live_config(tmp_path: Path, mail: str = "") -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Le Fil IA, base_url: 'https://lettre.fil-ia.fr'}\n"
        "web: {trusted_proxies: [127.0.0.1]}\n"
        "mail: {from: 'Le Fil IA <lettre@fil-ia.fr>', auto_approve: false"
        f"{mail}}}\n",
        encoding="utf-8",
    )
    return path


def check(config: Path, env: dict[str, str]) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["--config", str(config), "check", "--json"], env=env)
    return result.exit_code, json.loads(result.stdout), result.stderr


def levels(report: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {c["id"]: c["level"] for c in report["checks"]}


def test_a_complete_set_up_is_ready_and_gets_its_dns_records(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    _private, public = dkim_key(tmp_path)
    config = live_config(
        tmp_path, ", dkim: {domain: fil-ia.fr, selector: digest, key_file: dkim.pem}"
    )
    env = {"DIGEST_SECRET_KEY": KEY, "DIGEST_SMTP_URL": smtp_server.url}
    code, report, err = check(config, env)
    assert code == 0, (report, err)
    assert report["ready"] is True
    assert not [c for c in report["checks"] if c["level"] in ("fail", "warn")], report
    assert levels(report)["smtp"] == "ok" and levels(report)["dkim"] == "ok"
    records = {r["name"]: r["value"] for r in report["dns_records"]}
    assert records["digest._domainkey.fil-ia.fr"] == f"v=DKIM1; k=rsa; p={public}"
    assert records["fil-ia.fr"].startswith("v=spf1 ")
    assert records["_dmarc.fil-ia.fr"].startswith("v=DMARC1; p=none;")
    human = CliRunner().invoke(main, ["--config", str(config), "check"], env=env)
    assert human.exit_code == 0 and "ready to go live" in human.stdout
    assert f'digest._domainkey.fil-ia.fr TXT "v=DKIM1; k=rsa; p={public}"' in human.stdout


def test_the_shipped_configuration_is_not_ready_and_says_why(tmp_path: Path) -> None:
    shutil.copy(REPO / "feeds.yaml", tmp_path / "feeds.yaml")
    (tmp_path / "documents").mkdir()
    code, report, _ = check(tmp_path / "feeds.yaml", {"DIGEST_SECRET_KEY": ""})
    assert code == 1 and report["ready"] is False
    found = levels(report)
    for required in ("base_url", "secret_key", "transport", "from", "dkim"):
        assert found[required] == "fail", (required, report)
    assert found["auto_approve"] == "ok"  # the shipped default: drafts wait for an editor
    hints = {c["id"]: c["hint"] for c in report["checks"]}
    assert "DIGEST_SMTP_URL" in hints["transport"] and "openssl genrsa" in hints["dkim"]
    human = CliRunner().invoke(main, ["--config", str(tmp_path / "feeds.yaml"), "check"])
    assert human.exit_code == 1 and "not ready: 5 to fix" in human.stdout


def test_an_smtp_server_that_does_not_answer_fails_quickly(tmp_path: Path) -> None:
    _private, _ = dkim_key(tmp_path)
    config = live_config(
        tmp_path, ", dkim: {domain: fil-ia.fr, selector: digest, key_file: dkim.pem}"
    )
    env = {
        "DIGEST_SECRET_KEY": KEY,
        "DIGEST_SMTP_URL": f"smtp://127.0.0.1:{free_port()}?tls=none",
    }
    started = time.monotonic()
    code, report, _ = check(config, env)
    assert time.monotonic() - started < 10
    assert code == 1 and levels(report)["smtp"] == "fail"
    smtp = next(c for c in report["checks"] if c["id"] == "smtp")
    assert "cannot connect" in smtp["message"]


def test_the_configured_security_is_what_is_tried(tmp_path: Path, smtp_server: SmtpServer) -> None:
    # aiosmtpd here offers no STARTTLS: a configuration asking for it must not pass.
    config = live_config(tmp_path)
    url = f"smtp://127.0.0.1:{smtp_server.port}?tls=starttls"
    code, report, _ = check(config, {"DIGEST_SECRET_KEY": KEY, "DIGEST_SMTP_URL": url})
    assert code == 1
    smtp = next(c for c in report["checks"] if c["id"] == "smtp")
    assert smtp["level"] == "fail" and "does not offer STARTTLS" in smtp["message"]


def test_a_remote_server_with_a_login_and_no_tls_fails(tmp_path: Path) -> None:
    config = live_config(tmp_path)
    url = "smtp://me:secret@192.0.2.1:25?tls=none"  # TEST-NET-1: nothing answers there
    env = {"DIGEST_SECRET_KEY": KEY, "DIGEST_SMTP_URL": url}
    code, report, _ = check(config, env)
    assert code == 1 and levels(report)["smtp_security"] == "fail"


@pytest.mark.parametrize(
    ("dkim_domain", "bits", "level", "words"),
    [
        ("other.org", 2048, "fail", "DMARC needs them aligned"),
        ("fil-ia.fr", 1024, "warn", "1024-bit"),
    ],
)
def test_a_misaligned_or_short_dkim_key_is_reported(
    tmp_path: Path, smtp_server: SmtpServer, dkim_domain: str, bits: int, level: str, words: str
) -> None:
    dkim_key(tmp_path, bits)
    config = live_config(
        tmp_path, f", dkim: {{domain: {dkim_domain}, selector: s1, key_file: dkim.pem}}"
    )
    env = {"DIGEST_SECRET_KEY": KEY, "DIGEST_SMTP_URL": smtp_server.url}
    _code, report, _ = check(config, env)
    dkim = next(c for c in report["checks"] if c["id"] == "dkim")
    assert dkim["level"] == level and words in dkim["message"], dkim


def test_a_key_file_that_is_not_a_key_is_a_clear_failure(tmp_path: Path) -> None:
    bad = tmp_path / "dkim.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
    from digest.errors import SendError

    with pytest.raises(SendError, match="not a PEM RSA private key"):
        dns_record(DkimSettings(domain="fil-ia.fr", selector="s1", key_file=bad))
