"""The send loop: deliver one issue to every active subscriber, from the ledger.

Rows are created for every active subscriber before the first message (one transaction);
then one worker per connection (digest.mail.worker) claims batches, skipping whoever is
no longer active, sends, and marks each row the moment the server accepted it. 4xx
answers are retried later with a growing delay; 5xx answers fail the row (a 5.1.x also
marks the subscriber bounced); anything else wrong with one message fails it alone. A
server that cannot be reached, keeps closing, or refuses the same content several times
in a row stops the run cleanly, handing claimed rows back. A re-run resumes: only rows
not yet sent are sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from digest.errors import DigestError
from digest.liveness import gone_holders
from digest.mail.identity import SAMPLE_KEY, recipient, sender_address
from digest.mail.message import MessageTemplate, build_message
from digest.mail.transport import OutboxTransport, Transport
from digest.mail.worker import RateLimiter, Run, SendReport, work
from digest.models import DeliveryStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)


def deliver(
    store: Store,
    settings: Settings,
    number: int,
    template: MessageTemplate,
    transport: Transport,
    *,
    secret: str,
    clock: Callable[[], datetime],
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    connections: int | None = None,
) -> SendReport:
    """Deliver issue `number`'s rendered `template` to every active subscriber, from the
    ledger; safe to re-run. The caller (digest.app.send) checked the issue may be sent."""
    store.open_deliveries(number, clock())
    counts = store.delivery_counts(number)
    report = SendReport(issue=number, total=sum(counts.values()))
    if on_total:
        on_total(
            sum(
                n
                for status, n in counts.items()
                if status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRY)
            )
        )
    smtp = settings.mail.smtp
    run = Run(
        store,
        settings,
        number,
        template,
        transport,
        RateLimiter(smtp.rate_per_second, smtp.window_messages, smtp.window_seconds),
        clock,
        report,
        secret,
        _envelope_of(settings),
        on_progress or (lambda n: None),
    )
    workers = connections or (smtp.connections if transport.name == "smtp" else 1)
    dead = gone_holders(store.claims_in_progress(number))
    threads = [
        threading.Thread(target=work, args=(run, dead), name=f"send-{i}")
        for i in range(max(1, workers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.waiting = store.delivery_counts(number).get(DeliveryStatus.RETRY, 0)
    if store.close_issue_if_done(number, clock()):
        log.info("issue %d: sent to everyone", number)
    return report


def signing_secret(settings: Settings) -> str:
    """The key unsubscribe links are signed with: DIGEST_SECRET_KEY, or the public sample
    key for the outbox only; DigestError for a real transport without a key."""
    if settings.mail.secret_key:
        return settings.mail.secret_key
    if settings.mail.transport != "outbox":
        raise DigestError(
            "DIGEST_SECRET_KEY is not set: unsubscribe links cannot be signed",
            hint="export DIGEST_SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')",
        )
    log.warning("DIGEST_SECRET_KEY is not set: outbox messages are signed with a sample key")
    return SAMPLE_KEY


@dataclass
class DryRun:
    written: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (email, why)


def write_messages(
    store: Store,
    settings: Settings,
    number: int,
    template: MessageTemplate,
    secret: str,
    folder: Path,
) -> DryRun:
    """The dry run's messages: every active subscriber's message written to `folder` as it
    would be sent, except for the DKIM signature (a dry run needs no private key), with no
    ledger row created or changed. A message that cannot be built is reported, as the send
    would record it, and the others are written."""
    connection = OutboxTransport(folder).connect()
    result = DryRun()
    now = datetime.now(UTC)
    for person in store.list_subscribers(SubscriberStatus.ACTIVE):
        if person.paused(now):  # as the send: no message until their pause ends
            continue
        try:
            reader = recipient(
                settings,
                secret,
                number,
                person.id,
                person.email,
                person.name,
                nonce=person.token_nonce,
            )
            message = build_message(template, reader, now)
        except Exception as exc:  # this one's address or name: reported, the others written
            result.failed.append((person.email, f"{type(exc).__name__}: {exc}"))
            continue
        connection.send(
            _envelope_of(settings), person.email, message, f"{number:04d}-{person.id:08d}"
        )
        result.written += 1
    return result


def _envelope_of(settings: Settings) -> str:
    return sender_address(settings.mail.sender)
