"""Double opt-in: a signed, expiring confirmation link mailed to whoever subscribes.

A request only queues the mail (digest.app.subscribe); the service's worker sends the
queue (`send_confirmations`, an APScheduler interval job in `digest serve`, or
`digest send-confirmations`). A hanging SMTP server then delays a confirmation, never a
web page. Caps per address (issue 10, item 8): one per 10 minutes, three per day, so the
form cannot be used to mail-bomb someone; a stranger's request never changes anyone's
status, only the person's own click on the link does.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from itsdangerous import BadSignature, URLSafeTimedSerializer

from digest.mail.identity import (
    CONFIRM_SALT,
    TokenClaim,
    sender_address,
    sender_domain,
    token_claim,
)
from digest.mail.transport import ConnectionLost, Transport, configured_transport
from digest.mail.welcome import welcome_message, welcome_template
from digest.models import Subscriber
from digest.settings import Settings
from digest.store import Store
from digest.store.confirmations import CONFIRM, WELCOME, QueuedConfirmation, Window
from digest.typography import french, title_forms, wrap_lines

log = logging.getLogger(__name__)

CONFIRM_MAX_AGE = 2 * 24 * 3600  # seconds a confirmation link stays valid
ADDRESS_WINDOWS = (Window(timedelta(minutes=10), 1), Window(timedelta(days=1), 3))
MAX_ATTEMPTS = 5  # a confirmation the server keeps refusing is given up after these
RETRY_BASE = timedelta(minutes=1)  # doubled at each failed attempt
CLAIM = timedelta(minutes=5)  # how long a worker owns the rows of its batch
BATCH = 50


def confirm_token(secret: str, subscriber_id: int, nonce: str) -> str:
    """Bound to the row's token nonce as well as its id: it dies with the row."""
    return str(URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps([subscriber_id, nonce]))


def read_confirm_token(
    secret: str, token: str, max_age: int = CONFIRM_MAX_AGE
) -> TokenClaim | None:
    """What the token claims, or None when forged, altered or older than `max_age` seconds."""
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


@dataclass
class ConfirmReport:
    sent: int = 0  # confirmations and welcomes
    failed: list[str] = field(default_factory=list)  # "subscriber 12: <why>"


def send_confirmations(
    store: Store, settings: Settings, now: datetime, transport: Transport | None = None
) -> ConfirmReport:
    """Send every queued confirmation that is due, batch by batch; safe to run concurrently
    (rows are claimed). A failed one waits its retry time, so each runs once here."""
    report = ConfirmReport()
    for kind in (CONFIRM, WELCOME):  # a welcome queued before `mail.welcome: false` still goes
        while True:
            batch = store.claim_confirmations(
                now,
                now + CLAIM,
                limit=BATCH,
                max_attempts=MAX_ATTEMPTS,
                not_before=now - timedelta(seconds=CONFIRM_MAX_AGE),
                kind=kind,
            )
            if batch:
                build = _builder(settings, kind, now)
                _send_batch(store, settings, now, transport, batch, build, report)
            if len(batch) < BATCH:
                break
    return report


def _builder(settings: Settings, kind: str, now: datetime) -> Callable[[QueuedConfirmation], bytes]:
    """How each queued mail of `kind` is made (the welcome's shared parts once a batch)."""
    if kind == WELCOME:
        # Rendered at the first message, so a failure (a broken template) is that row's.
        template = functools.cache(lambda: welcome_template(settings))
        return lambda queued: welcome_message(settings, template(), queued, now)
    return lambda queued: confirmation_message(settings, queued.email, queued.token, now).as_bytes()


def _send_batch(
    store: Store,
    settings: Settings,
    now: datetime,
    transport: Transport | None,
    batch: list[QueuedConfirmation],
    build: Callable[[QueuedConfirmation], bytes],
    report: ConfirmReport,
) -> None:
    try:
        connection = (transport or confirmation_transport(settings, batch[0].kind)).connect()
    except Exception as exc:  # the server is down: every row of the batch waits its retry
        for queued in batch:
            _failed(store, report, queued, f"cannot connect: {exc}", now)
        return
    try:
        for position, queued in enumerate(batch):
            try:  # building too: an address the message cannot carry fails alone
                connection.send(
                    sender_address(settings.mail.sender),
                    queued.email,
                    build(queued),
                    f"{queued.kind}-{queued.id:08d}",
                )
            except ConnectionLost as exc:  # the rest of the batch waits for the next run
                for left in batch[position:]:
                    _failed(store, report, left, f"connection lost: {exc}", now)
                break
            except Exception as exc:  # this recipient fails alone, recorded on its row
                _failed(store, report, queued, str(exc) or type(exc).__name__, now)
            else:
                store.confirmation_sent(queued.id, now)
                report.sent += 1
    finally:
        connection.close()


def _failed(
    store: Store, report: ConfirmReport, queued: QueuedConfirmation, error: str, now: datetime
) -> None:
    retry_at = now + RETRY_BASE * 2**queued.attempts
    store.confirmation_failed(queued.id, error, retry_at)
    report.failed.append(f"subscriber {queued.subscriber_id}: {error}")
    log.warning("%s mail for subscriber %d failed: %s", queued.kind, queued.subscriber_id, error)


def confirmation_transport(settings: Settings, kind: str = CONFIRM) -> Transport:
    """The configured transport; with the outbox, confirmations/ or welcome/."""
    folder = "confirmations" if kind == CONFIRM else kind
    return configured_transport(settings, settings.mail.outbox_dir / folder)


def confirmation_message(settings: Settings, email: str, token: str, now: datetime) -> EmailMessage:
    url = f"{settings.newsletter.base_url}/confirm/{token}"
    title = title_forms(settings.newsletter.title, settings.newsletter.title_article)
    message = EmailMessage()
    message["From"] = settings.mail.sender
    message["To"] = email
    message["Subject"] = f"Confirmez votre abonnement {title.to}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender_domain(settings))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    body = (
        f"Bonjour,\n\nPour recevoir {title.name}, confirmez votre adresse en ouvrant ce lien "
        f"(valable deux jours) :\n\n{url}\n\nSi vous n’avez rien demandé, ignorez ce "
        "message : sans confirmation, vous ne recevrez rien.\n"
    )
    # French typography, then lines of 72 columns (the link alone on its line, whole).
    message.set_content(wrap_lines(french(body), 72))
    return message
