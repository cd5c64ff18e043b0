"""Use case: read the bounce and unsubscribe mailbox (`mail.mailbox`, issue 14 item 5).

Each unseen message is read (digest.mail.bounces) and, when authentic, applied:
- a delivery report whose recipient failed for good (Action: failed, Status 5.x.x)
  marks that subscriber bounced, but only when the returned issue's List-Unsubscribe
  carries a token we signed for that very address: a forged report naming a subscriber
  bounces no one. A 4.x.x (delayed) is counted and changes nothing, as is a report for
  an address we never had;
- an unsubscribe request (the `mailto:` of List-Unsubscribe, subject « unsubscribe
  TOKEN ») unsubscribes the subscriber the signed token names; its From: is never used.
Applied and counted messages are flagged seen; what is not understood, not authentic or
too large is moved to `unparsed_folder` for an operator. Nothing is deleted. One bad
message costs only itself; a bug leaves its message unseen, to be read once fixed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from digest.errors import UsageError
from digest.ingest.imap import open_folder
from digest.mail.bounces import (
    DeliveryReport,
    NotUnderstood,
    RecipientStatus,
    UnsubscribeRequest,
    read_returned,
)
from digest.mail.identity import require_signing_key, subscriber_for_unsubscribe_token
from digest.models import Subscriber, SubscriberStatus
from digest.settings import MailboxSettings, Settings
from digest.store import Store

log = logging.getLogger(__name__)

UNSUBSCRIBED_BY_MAIL = "unsubscribed by the person (List-Unsubscribe mailto)"


class _Then(Enum):
    SEEN = "seen"  # handled: flag it seen, leave it where it is
    FILE = "file"  # for an operator: move it to the unparsed folder
    RETRY = "retry"  # a bug: leave it unseen


@dataclass(slots=True)
class MailboxReport:
    """What one pass over the mailbox did."""

    bounced: list[str] = field(default_factory=list)  # addresses marked bounced
    unsubscribed: list[str] = field(default_factory=list)
    delayed: int = 0  # 4.x.x reports: counted, nothing changed
    unknown: int = 0  # reports for addresses we do not have
    unchanged: int = 0  # already bounced or unsubscribed
    filed: list[str] = field(default_factory=list)  # moved to the unparsed folder: why
    errors: int = 0  # bugs, left unseen

    def counts(self) -> dict[str, int]:
        return {
            "bounced": len(self.bounced),
            "unsubscribed": len(self.unsubscribed),
            "delayed": self.delayed,
            "unknown": self.unknown,
            "unchanged": self.unchanged,
            "filed": len(self.filed),
            "errors": self.errors,
        }


def configured_mailbox(settings: Settings) -> MailboxSettings:
    if settings.mail.mailbox is None:
        raise UsageError(
            "mail.mailbox is not configured",
            hint="add mail.mailbox: {host, user} to the config and set DIGEST_MAILBOX_PASSWORD",
        )
    return settings.mail.mailbox


def read_mailbox(store: Store, settings: Settings, now: datetime) -> MailboxReport:
    """One pass over the unseen messages (at most `max_messages`)."""
    mailbox = configured_mailbox(settings)
    secret = require_signing_key(settings, "reading the mailbox (it checks signed tokens)")
    report = MailboxReport()
    with open_folder(mailbox, mailbox.password, "mailbox", mailbox.timeout_seconds) as folder:
        for fetched in folder.fetch(folder.unseen(mailbox.max_messages), mailbox.max_message_bytes):
            if fetched.raw is None:
                then = _file(report, f"message {fetched.uid}: {fetched.size // 1024} KB, unread")
            else:
                then = _handle_guarded(store, secret, fetched.raw, now, report)
            if then is _Then.SEEN:
                folder.mark_seen(fetched.uid)
            elif then is _Then.FILE:
                folder.move(fetched.uid, mailbox.unparsed_folder)
    log.info("mailbox: %s", report.counts())
    return report


def _handle_guarded(
    store: Store, secret: str, raw: bytes, now: datetime, report: MailboxReport
) -> _Then:
    try:
        return _handle(store, secret, raw, now, report)
    except Exception:
        log.exception("mailbox: bug while handling a message; left unseen")
        report.errors += 1
        return _Then.RETRY


def _handle(store: Store, secret: str, raw: bytes, now: datetime, report: MailboxReport) -> _Then:
    returned = read_returned(raw)
    if isinstance(returned, NotUnderstood):
        return _file(report, returned.reason)
    if isinstance(returned, UnsubscribeRequest):
        return _unsubscribe(store, secret, returned, now, report)
    return _bounce(store, secret, returned, now, report)


def _unsubscribe(
    store: Store, secret: str, request: UnsubscribeRequest, now: datetime, report: MailboxReport
) -> _Then:
    subscriber = subscriber_for_unsubscribe_token(store, secret, request.token)
    if subscriber is None:
        log.warning("mailbox: unsubscribe request from %s with a bad token", request.sender)
        return _file(
            report, f"an unsubscribe request with a forged or stale token ({request.sender})"
        )
    if subscriber.status is SubscriberStatus.UNSUBSCRIBED:
        report.unchanged += 1
    else:
        store.set_subscriber_status(
            subscriber.id, SubscriberStatus.UNSUBSCRIBED, now, reason=UNSUBSCRIBED_BY_MAIL
        )
        report.unsubscribed.append(subscriber.email)
        log.info("mailbox: subscriber %d unsubscribed by mail", subscriber.id)
    return _Then.SEEN


def _bounce(
    store: Store, secret: str, dsn: DeliveryReport, now: datetime, report: MailboxReport
) -> _Then:
    signed = [
        s for s in (subscriber_for_unsubscribe_token(store, secret, t) for t in dsn.tokens) if s
    ]
    known = store.find_subscribers([r.recipient for r in dsn.recipients])
    then = _Then.SEEN
    for recipient in dsn.recipients:
        if not recipient.permanent:
            report.delayed += recipient.transient
            continue
        subscriber = _signed_for(recipient, signed)
        if subscriber is None:
            if recipient.recipient not in known and recipient.original not in known:
                report.unknown += 1  # never ours: nothing to apply, nothing to look at
                continue
            # Ours, but the report does not prove it is about our mail to them.
            then = _file(report, f"a bounce for {recipient.recipient} without our signed token")
            continue
        if subscriber.status is SubscriberStatus.BOUNCED:
            report.unchanged += 1
            continue
        store.set_subscriber_status(
            subscriber.id,
            SubscriberStatus.BOUNCED,
            now,
            reason=f"bounce report: {recipient.action} {recipient.status}",
        )
        report.bounced.append(subscriber.email)
        log.info("mailbox: subscriber %d bounced (%s)", subscriber.id, recipient.status)
    return then


def _signed_for(recipient: RecipientStatus, signed: list[Subscriber]) -> Subscriber | None:
    """The subscriber a signed token in the returned issue names, when it is the address
    that failed (its Final- or Original-Recipient)."""
    addresses = {recipient.recipient, recipient.original}
    return next((s for s in signed if s.email.lower() in addresses), None)


def _file(report: MailboxReport, why: str) -> _Then:
    report.filed.append(why)
    return _Then.FILE
