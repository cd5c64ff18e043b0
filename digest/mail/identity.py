"""Who a message says it is from: List-Id, Message-IDs, unsubscribe links and tokens.

Tokens are signed with itsdangerous (HMAC-SHA256 with the key of DIGEST_SECRET_KEY): a
forged or altered token fails verification. Unsubscribe tokens never expire (a reader
unsubscribing from a two-year-old issue must succeed); confirmation tokens do.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from email.utils import parseaddr

from itsdangerous import BadSignature, URLSafeSerializer

from digest.errors import ConfigError, UsageError
from digest.mail.message import MessageContent, MessageTemplate, Recipient
from digest.models import Subscriber
from digest.settings import Settings
from digest.store import Store

SAMPLE_KEY = "sample-only-not-a-secret"  # for sample.eml when no key is configured
MIN_KEY_LENGTH = 16  # shorter keys are guessable offline from one signed link
KEY_HINT = (
    "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
    "and export it as DIGEST_SECRET_KEY (keep it: links already sent depend on it)"
)
UNSUBSCRIBE_SALT = "digest.unsubscribe"
CONFIRM_SALT = "digest.confirm"


@functools.lru_cache(maxsize=16)
def sender_address(sender: str) -> str:
    """The bare address of mail.from. Cached: the send loop asks for it three times per
    message, and parseaddr was 7% of the send time."""
    return parseaddr(sender)[1]


def require_signing_key(settings: Settings, purpose: str) -> str:
    """The real key for links strangers can use (`serve` with web, an SMTP send), or
    UsageError: with the public sample key anyone could forge unsubscribe and confirm links
    (issue 10, item 5). The sample key stays for the outbox and the 127.0.0.1 preview."""
    key = settings.mail.secret_key
    if not key or key == SAMPLE_KEY:
        raise UsageError(
            f"{purpose} needs DIGEST_SECRET_KEY: it is not set, and the public sample key "
            "would let anyone forge unsubscribe and confirmation links",
            hint=KEY_HINT,
        )
    if len(key) < MIN_KEY_LENGTH:
        raise UsageError(
            f"DIGEST_SECRET_KEY is too short ({len(key)} characters; at least "
            f"{MIN_KEY_LENGTH}) for {purpose}",
            hint=KEY_HINT,
        )
    return key


def require_key_to_send(settings: Settings, command: str) -> None:
    """An SMTP send mails links to real people: refuse to start without a real key. The
    outbox (offline, a dry run) may sign with the sample key."""
    if settings.mail.transport != "outbox":
        require_signing_key(settings, f"{command} over SMTP")


def sender_domain(settings: Settings) -> str:
    address = sender_address(settings.mail.sender)
    if "@" not in address:
        raise ConfigError(
            str(settings.config_path),
            ["mail.from: missing or not an address (e.g. Lettre <lettre@example.org>)"],
        )
    return address.rsplit("@", 1)[1].lower()


def list_id(settings: Settings) -> str:
    """RFC 2919 List-Id: a dot-atom naming the list within the sender's domain."""
    slug = re.sub(r"[^a-z0-9]+", "-", settings.newsletter.title.lower()).strip("-") or "digest"
    return f"{slug}.{sender_domain(settings)}"


def message_id(settings: Settings, issue: int, key: str) -> str:
    """Deterministic per (issue, subscriber): a resend after a crash reuses the same id,
    so a receiving server or client can recognise the duplicate."""
    return f"<digest.{issue}.{key}@{sender_domain(settings)}>"


def unsubscribe_mailto(settings: Settings, token: str) -> str:
    address = sender_address(settings.mail.sender)
    return f"mailto:{address}?subject=unsubscribe%20{token}"


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{settings.newsletter.base_url}/u/{token}"


def preferences_url(settings: Settings, token: str) -> str:
    """The preferences page, behind the very token of the unsubscribe link: whoever may
    unsubscribe may pause, and no second secret travels in the mail."""
    return f"{settings.newsletter.base_url}/preferences/{token}"


@dataclass(frozen=True, slots=True)
class TokenClaim:
    """What a correctly signed token says: a subscriber id and that row's token nonce."""

    subscriber_id: int
    nonce: str | None  # None: an id-only token signed before tokens carried a nonce


def unsubscribe_token(secret: str, subscriber_id: int, nonce: str) -> str:
    """Bound to the row's nonce as well as its id: it dies with the row (issue 10, item 6)."""
    return str(_unsubscribe_serializer(secret).dumps([subscriber_id, nonce]))


def read_unsubscribe_token(secret: str, token: str) -> TokenClaim | None:
    """What the token claims, or None for a forged, altered or foreign token."""
    try:
        value = _unsubscribe_serializer(secret).loads(token)
    except BadSignature:
        return None
    return token_claim(value)


def token_claim(value: object) -> TokenClaim | None:
    """A signed payload read back: `[id, nonce]`, or a bare id from before nonces."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str):
        claim = token_claim(value[0])
        return None if claim is None else TokenClaim(claim.subscriber_id, value[1])
    if isinstance(value, int) and not isinstance(value, bool):
        return TokenClaim(value, None)
    return None


def subscriber_for_unsubscribe_token(store: Store, secret: str, token: str) -> Subscriber | None:
    """The subscriber an unsubscribe link is for; None when forged or their row is gone."""
    claim = read_unsubscribe_token(secret, token)
    return None if claim is None else store.subscriber_by_token(claim.subscriber_id, claim.nonce)


def recipient(
    settings: Settings,
    secret: str,
    issue: int,
    subscriber_id: int,
    email: str,
    name: str | None,
    message_key: str | None = None,
    *,
    nonce: str,
) -> Recipient:
    """One reader's values for the message template: their signed unsubscribe links (bound
    to their row's token `nonce`) and the issue's Message-ID for them (keyed by subscriber
    unless `message_key` is given)."""
    token = unsubscribe_token(secret, subscriber_id, nonce)
    key = message_key or f"s{subscriber_id}"
    return reader(settings, token, email, name, message_id(settings, issue, key))


def reader(settings: Settings, token: str, email: str, name: str | None, msgid: str) -> Recipient:
    """A recipient whose links carry the unsubscribe `token`: an issue's reader, or a
    newcomer's welcome."""
    return Recipient(
        email=email,
        name=name,
        unsubscribe_url=unsubscribe_url(settings, token),
        unsubscribe_mailto=unsubscribe_mailto(settings, token),
        message_id=msgid,
        preferences_url=preferences_url(settings, token),
    )


@functools.lru_cache(maxsize=4)
def _unsubscribe_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT)


def message_template(rendered: MessageContent, settings: Settings) -> MessageTemplate:
    """The shared message parts of an issue (or of the welcome), with this newsletter's
    sender and list identity."""
    return MessageTemplate.prepare(
        rendered,
        sender=settings.mail.sender,
        reply_to=settings.mail.reply_to,
        list_id=list_id(settings),
        list_name=settings.newsletter.title,
    )
