"""Use cases: subscribers. The operator's (add, import, list, unsubscribe, reactivate,
remove, issue 10 item 4), the public double opt-in (a signup queues a confirmation, the
person's click confirms, a signed link unsubscribes) and the mailing of the queued
confirmations.

A suppressed address (unsubscribed, bounced, or erased after either) is never made active
again by `add` or `import`: it is skipped with the reason. The explicit ways back are the
person's own confirmation and the operator's `reactivate`.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from digest.errors import DigestError, SubscriberError
from digest.mail import confirm
from digest.mail.confirm import ADDRESS_WINDOWS, ConfirmReport, confirm_token
from digest.mail.identity import subscriber_for_unsubscribe_token, unsubscribe_token
from digest.mail.subscribers import Problem, normalise_address, read_people
from digest.mail.transport import Transport
from digest.models import Subscriber, SubscriberStatus, validate_name
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: list[Subscriber]
    skipped: list[Problem]  # already known or suppressed: left exactly as they were


# -- the operator's -------------------------------------------------------------------------


def add_subscriber(
    store: Store, raw: str, name: str | None, status: SubscriberStatus, now: datetime
) -> Subscriber:
    """Add one person; SubscriberError for a bad address or name, a known address, or a
    suppressed one (with the reason, and reactivate as the way back)."""
    try:
        email = normalise_address(raw)
    except ValueError as exc:
        raise SubscriberError(f"{raw!r} is not a valid address: {exc}") from exc
    name = validate_name(name)
    refusal = skip_reasons(store, [email]).get(email.lower())
    if refusal is not None:
        raise SubscriberError(
            f"{email}: {refusal}",
            hint="digest subscribers list shows who is there; someone unsubscribed or bounced "
            f"who asked to come back: digest subscribers reactivate {email}",
        )
    return store.add_subscribers([(email, name)], status, now)[0]


def import_subscribers(store: Store, path: Path, now: datetime) -> ImportReport:
    """Import a CSV (a header row with an `email` column, optional `name`; `,` or `;`):
    every line valid, or nothing imported and every problem listed. Addresses already
    known or suppressed are skipped, each with its reason."""
    people, problems = read_people(path)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        raise DigestError(
            f"{path}: {len(problems)} bad line(s), nothing imported:\n{listed}",
            hint="fix or remove those lines and import again",
        )
    reasons = skip_reasons(store, [p.email for p in people])
    known = [p for p in people if p.email.lower() in reasons]
    skipped = [Problem(p.line, p.given, reasons[p.email.lower()]) for p in known]
    fresh = [(p.email, p.name) for p in people if p.email.lower() not in reasons]
    added = store.add_subscribers(fresh, SubscriberStatus.ACTIVE, now) if fresh else []
    return ImportReport(added=added, skipped=skipped)


def skip_reasons(store: Store, emails: Sequence[str]) -> dict[str, str]:
    """Why each known or suppressed address among `emails` cannot be added, by lowercased
    address; addresses absent from the result are new."""
    reasons = {
        key: f"erased after being {why}: never re-added by an import or add"
        for key, why in store.suppressions(emails).items()
    }
    for key, person in store.find_subscribers(emails).items():
        reasons[key] = _refusal(person)
    return reasons


def _refusal(person: Subscriber) -> str:
    if not person.suppressed:
        return f"already subscribed ({person.status.value})"
    when = person.unsubscribed_at or person.bounced_at
    on = f" on {when:%Y-%m-%d}" if when else ""
    why = f" ({person.status_reason})" if person.status_reason else ""
    return f"{person.status.value}{on}{why}: never re-added by an import or add"


def list_subscribers(store: Store, status: SubscriberStatus | None = None) -> list[Subscriber]:
    """Everyone, or everyone with that status."""
    return store.list_subscribers(status)


def operator() -> str:
    """Who runs the command, for the subscriber's record and the log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without an /etc/passwd entry)
        return "unknown"


def unsubscribe(store: Store, raw: str, now: datetime, by: str) -> Subscriber:
    """Unsubscribe someone for them (a request by mail, a complaint): the row stays, as
    the record that they must not be mailed, with when and why."""
    person = store.unsubscribe_subscriber(_key(raw), now, f"unsubscribed by the operator {by}")
    log.info("subscriber %d unsubscribed by the operator %s at %s", person.id, by, now)
    return person


def reactivate(store: Store, raw: str, now: datetime, by: str) -> Subscriber | None:
    """Undo a wrong bounce or unsubscribe (pending people are refused: only they can
    confirm). For an erased address, lifts its suppression and returns None."""
    email = _key(raw)
    before = store.find_subscribers([email]).get(email.lower())
    if before is None and store.lift_suppression(email):
        log.info("suppression of an erased address lifted by the operator %s at %s", by, now)
        return None
    person = store.reactivate_subscriber(email, now, f"reactivated by the operator {by}")
    log.info(
        "subscriber %d reactivated by the operator %s at %s (was %s)",
        person.id,
        by,
        now,
        before.status.value if before else "?",
    )
    return person


def remove(store: Store, raw: str, now: datetime) -> Subscriber:
    """Erase someone (their right to erasure): their row and delivery history go; if they
    had unsubscribed or bounced, only a hash of the address stays (see store.suppression)."""
    email = _key(raw)
    person = store.find_subscribers([email]).get(email.lower())
    if person is None or not store.remove_subscriber(email, now):
        raise SubscriberError(f"no subscriber {raw}", hint="digest subscribers list")
    return person


def _key(raw: str) -> str:
    """The address to look up: normalised like stored ones, or as given if invalid (a
    row inserted by hand must still be reachable by the operator)."""
    try:
        return normalise_address(raw)
    except ValueError:
        return raw.strip()


# -- the public double opt-in ---------------------------------------------------------------


# Who changed a status, recorded on the subscriber (status_reason).
CONFIRMED = "confirmed by the person (web link)"
UNSUBSCRIBED_BY_LINK = "unsubscribed by the person (web link)"
# Pending people, and people who unsubscribed, become active by their own click; a bounced
# address stays bounced until an operator reactivates it.
COMES_BACK_BY_CONFIRMING = (SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED)


class Requested(StrEnum):
    """What a subscribe request did; for logs and tests only: the visitor sees one answer
    whatever it is, so the form tells no stranger who is subscribed."""

    QUEUED = "queued"
    CAPPED = "capped"  # this address had its confirmation(s) for the window
    ALREADY_ACTIVE = "already active"
    BOUNCED = "bounced"  # the address bounced: an operator reactivates it, not the form


def request_subscription(
    store: Store, secret: str, raw_email: str, name: str | None, now: datetime
) -> Requested:
    """Queue a confirmation for this address (a new one is recorded as pending). ValueError
    when the address is not one. Never changes an existing subscriber's status."""
    email = normalise_address(raw_email)
    subscriber = store.subscribe_pending(email, name, now).subscriber
    if subscriber.status is SubscriberStatus.ACTIVE:
        outcome = Requested.ALREADY_ACTIVE
    elif subscriber.status is SubscriberStatus.BOUNCED:
        outcome = Requested.BOUNCED
    else:  # pending (asked again) or unsubscribed (may come back, by their own click)
        token = confirm_token(secret, subscriber.id, subscriber.token_nonce)
        queued = store.queue_confirmation(subscriber.id, email.lower(), token, now, ADDRESS_WINDOWS)
        outcome = Requested.QUEUED if queued else Requested.CAPPED
    log.info("web: subscribe request for subscriber %d: %s", subscriber.id, outcome)
    return outcome


def send_confirmations(
    store: Store, settings: Settings, now: datetime, transport: Transport | None = None
) -> ConfirmReport:
    """Mail the queued confirmations that are due (the service's worker, or
    `digest send-confirmations`)."""
    return confirm.send_confirmations(store, settings, now, transport)


def subscriber_for_confirm_link(store: Store, secret: str, token: str) -> Subscriber | None:
    """Whom a confirmation link is for; None when forged, expired or their row is gone."""
    return confirm.subscriber_for_confirm_token(store, secret, token)


def confirm_by_link(
    store: Store, secret: str, token: str, now: datetime, *, welcome: bool
) -> Subscriber | None:
    """The person's own click: the only way back in after an unsubscribe; with `welcome`
    (`mail.welcome`), their welcome mail is queued with it, once: a second click confirms
    nothing and queues nothing. The subscriber as they were, or None for a bad link."""
    subscriber = subscriber_for_confirm_link(store, secret, token)
    if subscriber is not None and subscriber.status in COMES_BACK_BY_CONFIRMING:
        # Their links in the welcome, signed like an issue's: the worker only sends it.
        links = unsubscribe_token(secret, subscriber.id, subscriber.token_nonce)
        if store.confirm_subscriber(subscriber.id, now, CONFIRMED, links if welcome else None):
            log.info("web: subscriber %d confirmed (welcome %s)", subscriber.id, welcome)
    return subscriber


def subscriber_for_unsubscribe_link(store: Store, secret: str, token: str) -> Subscriber | None:
    """Whom an unsubscribe link is for; None when forged or their row is gone."""
    return subscriber_for_unsubscribe_token(store, secret, token)


def unsubscribe_by_link(
    store: Store, secret: str, token: str, now: datetime, reason: str = UNSUBSCRIBED_BY_LINK
) -> Subscriber | None:
    """An unsubscribe link used (RFC 8058 one-click, or the preferences page): idempotent.
    The subscriber as they were, or None for a bad link."""
    subscriber = subscriber_for_unsubscribe_link(store, secret, token)
    if subscriber is not None and subscriber.status is not SubscriberStatus.UNSUBSCRIBED:
        store.set_subscriber_status(
            subscriber.id, SubscriberStatus.UNSUBSCRIBED, now, reason=reason
        )
        log.info("web: subscriber %d unsubscribed", subscriber.id)
    return subscriber
