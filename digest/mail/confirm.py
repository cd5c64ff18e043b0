"""Double opt-in: a signed, expiring confirmation link mailed to whoever subscribes."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from digest.mail.identity import (
    CONFIRM_SALT,
    TokenClaim,
    sender_address,
    sender_domain,
    token_claim,
)
from digest.models import Subscriber, SubscriberStatus
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)

CONFIRM_MAX_AGE = 2 * 24 * 3600  # seconds a confirmation link stays valid


def confirm_token(secret: str, subscriber_id: int, nonce: str) -> str:
    """Bound to the row's token nonce as well as its id: it dies with the row."""
    from itsdangerous import URLSafeTimedSerializer

    return str(URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps([subscriber_id, nonce]))


def read_confirm_token(
    secret: str, token: str, max_age: int = CONFIRM_MAX_AGE
) -> TokenClaim | None:
    """What the token claims, or None when forged, altered or older than `max_age` seconds."""
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    try:
        value = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return token_claim(value)


def subscriber_for_confirm_token(
    store: Store, secret: str, token: str, max_age: int = CONFIRM_MAX_AGE
) -> Subscriber | None:
    """The subscriber a confirmation link is for; None when forged, expired or their row
    is gone (a token signed for a removed row never confirms whoever comes next)."""
    claim = read_confirm_token(secret, token, max_age)
    return None if claim is None else store.subscriber_by_token(claim.subscriber_id, claim.nonce)


def request_subscription(
    store: Store, settings: Settings, secret: str, raw_email: str, name: str | None, now: datetime
) -> None:
    """Record a pending subscriber (or re-arm one) and mail the confirmation link. An active
    subscriber gets nothing: asking twice must not mail anyone twice."""
    from digest.mail.subscribers import normalise_address

    email = normalise_address(raw_email)
    existing = store.find_subscribers([email]).get(email.lower())
    if existing is None:
        subscriber = store.add_subscribers([(email, name)], SubscriberStatus.PENDING, now)[0]
    elif existing.status is SubscriberStatus.ACTIVE:
        log.info("web: %d asked to subscribe again; already active", existing.id)
        return
    else:  # pending (asked again), unsubscribed or bounced: this person asks again
        store.set_subscriber_status(existing.id, SubscriberStatus.PENDING, now)
        subscriber = existing
    token = confirm_token(secret, subscriber.id, subscriber.token_nonce)
    _mail_confirmation(settings, subscriber.id, email, token, now)


def _mail_confirmation(
    settings: Settings, subscriber_id: int, email: str, token: str, now: datetime
) -> None:
    from digest.mail.transport import OutboxTransport, SmtpTransport

    url = f"{settings.newsletter.base_url}/confirm/{token}"
    title = settings.newsletter.title
    message = EmailMessage()
    message["From"] = settings.mail.sender
    message["To"] = email
    message["Subject"] = f"Confirmez votre abonnement à {title}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender_domain(settings))
    message.set_content(
        f"Bonjour,\n\nPour recevoir {title}, confirmez votre adresse en ouvrant ce lien "
        f"(valable deux jours) :\n\n{url}\n\nSi vous n’avez rien demandé, ignorez ce message : "
        "sans confirmation, vous ne recevrez rien.\n"
    )
    transport = (
        OutboxTransport(settings.mail.outbox_dir / "confirmations")
        if settings.mail.transport == "outbox"
        else SmtpTransport(settings.mail.smtp)
    )
    connection = transport.connect()
    try:
        connection.send(
            sender_address(settings.mail.sender),
            email,
            message.as_bytes(),
            f"confirm-{subscriber_id:08d}",
        )
    finally:
        connection.close()
