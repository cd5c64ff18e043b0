"""Use case: what production needs, and what is missing (`digest check [--json]`), in the
spirit of Django's `manage.py check`: every check has an id, a level and, when something
is wrong, the fix. `fail` is what must be fixed before going live (a public HTTPS address,
the signing key, an SMTP server that answers with the configured security, a real From
domain, a DKIM key); `warn` is what works but should not stay so; `advice` is what only
the operator can do outside digest (DNS records, the reverse proxy). The DNS records to
publish are computed from the configuration and the DKIM key."""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from digest.errors import DigestError
from digest.mail.dkim import dns_record
from digest.mail.identity import require_signing_key, sender_address
from digest.mail.transport import SmtpTransport
from digest.settings import Settings, SmtpSettings

SMTP_CHECK_TIMEOUT = 5.0  # seconds: a check answers quickly, even when the server does not
MIN_DKIM_BITS = 1024  # RFC 8301 §3.2: verifiers must not accept smaller keys
GOOD_DKIM_BITS = 2048  # what providers ask for now
# RFC 2606 / RFC 6761: names that can never receive or authenticate real mail.
_RESERVED_SUFFIXES = ("example", "invalid", "localhost", "test", "local")
_RESERVED_DOMAINS = ("example.org", "example.com", "example.net")


class Level(enum.StrEnum):
    OK = "ok"
    FAIL = "fail"
    WARN = "warn"
    ADVICE = "advice"


@dataclass(frozen=True, slots=True)
class Check:
    id: str  # stable: "base_url", "secret_key", "smtp", "from", "dkim", "spf", "dmarc"…
    level: Level
    message: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class DnsRecord:
    name: str
    type: str
    value: str
    why: str


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: tuple[Check, ...]
    records: tuple[DnsRecord, ...]

    @property
    def ready(self) -> bool:
        """Nothing required is missing."""
        return not any(c.level is Level.FAIL for c in self.checks)


SmtpProbe = Callable[[SmtpSettings], None]


def check_production(settings: Settings, probe: SmtpProbe | None = None) -> Readiness:
    """Every production check, in the order an operator fixes them. `probe` connects to
    the SMTP server (a real connection, a short timeout; the tests' own server in tests)."""
    records: list[DnsRecord] = []
    domain = _from_domain(settings)
    checks = [
        _base_url(settings),
        _secret_key(settings),
        _transport(settings),
        *_smtp(settings, probe or _connect),
        _sender(settings, domain),
        _dkim(settings, domain, records),
        *_spf_and_dmarc(settings, domain, records),
        _proxy(settings),
        _approval(settings),
    ]
    return Readiness(tuple(checks), tuple(records))


def _base_url(settings: Settings) -> Check:
    url = settings.newsletter.base_url
    parts = urlsplit(url)
    if parts.scheme != "https":
        return Check(
            "base_url",
            Level.FAIL,
            f"newsletter.base_url is {url}: unsubscribe links must be HTTPS (RFC 8058)",
            "set newsletter.base_url to the public https:// address of digest serve",
        )
    if _is_local(parts.hostname or ""):
        return Check(
            "base_url",
            Level.FAIL,
            f"newsletter.base_url is {url}: readers cannot reach this machine's loopback",
            "use the public name the reverse proxy serves",
        )
    return Check("base_url", Level.OK, f"newsletter.base_url is {url}")


def _secret_key(settings: Settings) -> Check:
    try:
        require_signing_key(settings, "going live")
    except DigestError as exc:
        return Check("secret_key", Level.FAIL, exc.message, exc.hint)
    return Check("secret_key", Level.OK, "DIGEST_SECRET_KEY is set")


def _transport(settings: Settings) -> Check:
    if settings.mail.transport != "smtp":
        return Check(
            "transport",
            Level.FAIL,
            f"mail.transport is {settings.mail.transport}: messages are written to "
            f"{settings.mail.outbox_dir}, not mailed",
            "export DIGEST_SMTP_URL=smtp://user:password@smtp.example.org:587?tls=starttls "
            "(or mail.transport: smtp and mail.smtp)",
        )
    return Check("transport", Level.OK, "mail.transport is smtp")


def _smtp(settings: Settings, probe: SmtpProbe) -> list[Check]:
    """A real connection with the configured security and login; and no password in clear."""
    smtp = settings.mail.smtp
    where = f"{smtp.host}:{smtp.port} ({smtp.security})"
    if settings.mail.transport != "smtp":
        return []
    checks = []
    if smtp.security == "none" and not _is_local(smtp.host):
        level = Level.FAIL if smtp.username else Level.WARN
        checks.append(
            Check(
                "smtp_security",
                level,
                f"SMTP to {smtp.host} without TLS"
                + (": the password would cross the network in clear" if smtp.username else ""),
                "use ?tls=starttls (port 587) or smtps:// (port 465) in DIGEST_SMTP_URL",
            )
        )
    try:
        probe(replace(smtp, timeout_seconds=min(smtp.timeout_seconds, SMTP_CHECK_TIMEOUT)))
    except DigestError as exc:
        checks.append(Check("smtp", Level.FAIL, f"SMTP {where}: {exc.message}", exc.hint))
    else:
        login = f", logged in as {smtp.username}" if smtp.username else ""
        checks.append(Check("smtp", Level.OK, f"SMTP {where} answers{login}"))
    return checks


def _connect(smtp: SmtpSettings) -> None:
    SmtpTransport(smtp).connect().close()


def _from_domain(settings: Settings) -> str:
    address = sender_address(settings.mail.sender)
    return address.rsplit("@", 1)[1].lower() if "@" in address else ""


def _sender(settings: Settings, domain: str) -> Check:
    if not domain:
        return Check(
            "from",
            Level.FAIL,
            "mail.from is not an address",
            "set mail.from: Lettre <lettre@your-domain.fr>",
        )
    if _reserved(domain):
        return Check(
            "from",
            Level.FAIL,
            f"mail.from is at {domain}, a reserved domain: no receiver accepts it",
            "set mail.from to an address of a domain you own (its DNS carries SPF, DKIM, DMARC)",
        )
    return Check("from", Level.OK, f"mail.from is {settings.mail.sender}")


def _dkim(settings: Settings, domain: str, records: list[DnsRecord]) -> Check:
    dkim = settings.mail.dkim
    if dkim is None:
        yours = domain if domain and not _reserved(domain) else "your-domain.fr"
        return Check(
            "dkim",
            Level.FAIL,
            "mail.dkim is not set: unsigned newsletters go to spam (Gmail and Yahoo require "
            "DKIM of bulk senders)",
            "openssl genrsa -out dkim.pem 2048, then mail.dkim: {domain: "
            f"{yours}, selector: digest, key_file: dkim.pem}}",
        )
    try:
        record = dns_record(dkim)
    except DigestError as exc:
        return Check("dkim", Level.FAIL, exc.message, exc.hint)
    records.append(
        DnsRecord(record.name, "TXT", record.value, "the DKIM public key of mail.dkim.key_file")
    )
    if record.bits < MIN_DKIM_BITS:
        return Check(
            "dkim",
            Level.FAIL,
            f"the DKIM key is {record.bits} bits: receivers ignore keys under {MIN_DKIM_BITS}",
            "openssl genrsa -out dkim.pem 2048",
        )
    if domain and not _aligned(domain, dkim.domain):
        return Check(
            "dkim",
            Level.FAIL,
            f"DKIM signs as d={dkim.domain} but mail.from is at {domain}: DMARC needs them aligned",
            f"set mail.dkim.domain: {domain}",
        )
    level = Level.OK if record.bits >= GOOD_DKIM_BITS else Level.WARN
    return Check(
        "dkim",
        level,
        f"DKIM signs as d={dkim.domain}, s={dkim.selector} ({record.bits}-bit RSA); publish "
        f"TXT {record.name}",
        None if level is Level.OK else "a 2048-bit key: openssl genrsa -out dkim.pem 2048",
    )


def _spf_and_dmarc(settings: Settings, domain: str, records: list[DnsRecord]) -> list[Check]:
    if not domain or _reserved(domain):
        return []
    host = settings.mail.smtp.host
    spf = "v=spf1 mx -all" if _is_local(host) else f"v=spf1 a:{host} -all"
    records.append(
        DnsRecord(
            domain,
            "TXT",
            spf,
            "SPF: who may send for the domain (a provider documents its own include:)",
        )
    )
    dmarc = f"v=DMARC1; p=none; rua=mailto:dmarc@{domain}; adkim=r; aspf=r"
    records.append(
        DnsRecord(f"_dmarc.{domain}", "TXT", dmarc, "DMARC: what receivers do on failure")
    )
    return [
        Check(
            "spf",
            Level.ADVICE,
            f"publish one SPF record on {domain} allowing the SMTP server {host}",
            f'e.g. TXT {domain} "{spf}"; check with: dig +short TXT {domain}',
        ),
        Check(
            "dmarc",
            Level.ADVICE,
            f"publish a DMARC record at _dmarc.{domain}, p=none first, then quarantine",
            f"check with: dig +short TXT _dmarc.{domain}",
        ),
    ]


def _proxy(settings: Settings) -> Check:
    host = urlsplit(settings.newsletter.base_url).hostname or ""
    host = "your public name" if not host or _is_local(host) else host
    if not settings.web.trusted_proxies:
        return Check(
            "proxy",
            Level.ADVICE,
            f"serve {host} over HTTPS with a reverse proxy (Caddy, nginx) forwarding to "
            "digest serve on 127.0.0.1:8080 (deploy/digest.service)",
            "then set web.trusted_proxies: [127.0.0.1] so the subscribe form's per-client "
            "cap sees each client, not the proxy",
        )
    proxies = ", ".join(str(p) for p in settings.web.trusted_proxies)
    return Check("proxy", Level.OK, f"X-Forwarded-For believed from {proxies}")


def _approval(settings: Settings) -> Check:
    if settings.mail.auto_approve:
        return Check(
            "auto_approve",
            Level.WARN,
            "mail.auto_approve is true: every draft goes out without an editor's review",
            "set mail.auto_approve: false; editors release each issue with digest approve",
        )
    return Check("auto_approve", Level.OK, "drafts wait for digest approve")


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reserved(domain: str) -> bool:
    return domain.rsplit(".", 1)[-1] in _RESERVED_SUFFIXES or any(
        domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS
    )


def _aligned(from_domain: str, signing_domain: str) -> bool:
    """Relaxed DMARC alignment (RFC 7489 §3.1.1), approximated without the public suffix
    list: the same domain, or one a subdomain of the other."""
    a, b = from_domain.lower(), signing_domain.lower()
    return a == b or a.endswith("." + b) or b.endswith("." + a)
