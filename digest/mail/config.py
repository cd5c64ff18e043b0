"""The `mail:` block of feeds.yaml and the mail environment variables, validated.

Secrets never come from the file: the SMTP password from DIGEST_SMTP_PASSWORD or
DIGEST_SMTP_URL (which also selects the smtp transport and overrides the file's server,
as DIGEST_DATABASE_URL does for the store), the signing key from DIGEST_SECRET_KEY.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from digest.settings import DkimSettings, MailSettings, SmtpSettings
from digest.validation import MAX_NUMBER, Checker

MAX_PORT = 65535

_MAIL_KEYS = (
    "transport",
    "outbox_dir",
    "from",
    "reply_to",
    "smtp",
    "max_attempts",
    "retry_base_seconds",
    "auto_approve",
    "demo_subscriber",
    "dkim",
)
_SMTP_KEYS = (
    "host",
    "port",
    "security",
    "username",
    "connections",
    "rate_per_second",
    "window_messages",
    "window_seconds",
    "timeout_seconds",
)
_SECURITY = ("starttls", "tls", "none")


def check_mail(value: Any, base: Path, env: Mapping[str, str], check: Checker) -> MailSettings:
    raw = check.mapping(value, "mail", _MAIL_KEYS)
    transport = check.text(raw.get("transport"), "mail.transport", "outbox") or "outbox"
    smtp = _smtp(raw.get("smtp"), env, check)
    if env.get("DIGEST_SMTP_URL"):
        transport = "smtp"
        smtp = _smtp_from_url(env["DIGEST_SMTP_URL"], smtp, check)
    if transport not in {"outbox", "smtp"}:
        check.add("mail.transport", f"'{transport}' is not a transport (use outbox or smtp)")
    outbox = check.text(raw.get("outbox_dir"), "mail.outbox_dir", "outbox") or "outbox"
    outbox_dir = (base / outbox).resolve()
    if outbox_dir.exists() and not outbox_dir.is_dir():
        check.add("mail.outbox_dir", f"'{outbox}' is a file, not a folder (point it at a folder)")
    default = MailSettings()
    return MailSettings(
        transport=transport,
        outbox_dir=outbox_dir,
        sender=check.text(raw.get("from"), "mail.from", "") or "",
        reply_to=check.text(raw.get("reply_to"), "mail.reply_to", "") or "",
        smtp=smtp,
        max_attempts=int(
            check.number(raw.get("max_attempts"), "mail.max_attempts", default.max_attempts)
        ),
        retry_base_seconds=check.number(
            raw.get("retry_base_seconds"), "mail.retry_base_seconds", default.retry_base_seconds
        ),
        auto_approve=check.flag(raw.get("auto_approve"), "mail.auto_approve", False),
        demo_subscriber=check.text(raw.get("demo_subscriber"), "mail.demo_subscriber"),
        dkim=_dkim(raw.get("dkim"), base, check),
        secret_key=env.get("DIGEST_SECRET_KEY") or None,
    )


def _smtp(value: Any, env: Mapping[str, str], check: Checker) -> SmtpSettings:
    raw = check.mapping(value, "mail.smtp", _SMTP_KEYS)
    default = SmtpSettings()
    security = check.text(raw.get("security"), "mail.smtp.security", default.security)
    if security not in _SECURITY:
        check.add("mail.smtp.security", f"'{security}' is not one of {', '.join(_SECURITY)}")

    def number(key: str, minimum: float = 0.0, maximum: float = MAX_NUMBER) -> float:
        value = raw.get(key)
        return check.number(value, f"mail.smtp.{key}", getattr(default, key), minimum, maximum)

    return SmtpSettings(
        host=check.text(raw.get("host"), "mail.smtp.host", default.host) or default.host,
        port=int(number("port", maximum=MAX_PORT)),
        security=security or default.security,
        username=check.text(raw.get("username"), "mail.smtp.username"),
        password=env.get("DIGEST_SMTP_PASSWORD") or None,
        connections=int(number("connections")),
        rate_per_second=number("rate_per_second", minimum=-1),
        window_messages=int(number("window_messages", minimum=-1)),
        window_seconds=number("window_seconds"),
        timeout_seconds=number("timeout_seconds"),
    )


def _smtp_from_url(url: str, base: SmtpSettings, check: Checker) -> SmtpSettings:
    """smtp://user:pass@host:587?tls=starttls (or smtps://… for implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        check.add("DIGEST_SMTP_URL", "use smtp://user:pass@host:587?tls=starttls or smtps://…")
        return base
    query = parse_qs(parts.query)
    security = query.get("tls", ["tls" if parts.scheme == "smtps" else "starttls"])[0]
    if security not in _SECURITY:
        check.add("DIGEST_SMTP_URL", f"tls={security} is not one of {', '.join(_SECURITY)}")
    try:
        port = parts.port or (465 if security == "tls" else 587)
    except ValueError:
        check.add("DIGEST_SMTP_URL", "the port is not a number")
        port = base.port
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else base.username,
        password=unquote(parts.password) if parts.password else base.password,
        connections=base.connections,
        rate_per_second=base.rate_per_second,
        window_messages=base.window_messages,
        window_seconds=base.window_seconds,
        timeout_seconds=base.timeout_seconds,
    )


def _dkim(value: Any, base: Path, check: Checker) -> DkimSettings | None:
    if value is None:
        return None
    raw = check.mapping(value, "mail.dkim", ("domain", "selector", "key_file"))
    domain = check.text(raw.get("domain"), "mail.dkim.domain")
    selector = check.text(raw.get("selector"), "mail.dkim.selector")
    key_file = check.text(raw.get("key_file"), "mail.dkim.key_file")
    if not (domain and selector and key_file):
        check.add("mail.dkim", "give domain:, selector: and key_file: (a PEM private key)")
        return None
    path = (base / key_file).resolve()
    if not path.is_file():
        check.add("mail.dkim.key_file", f"'{key_file}' is not a file (relative to {base})")
    return DkimSettings(domain=domain, selector=selector, key_file=path)
