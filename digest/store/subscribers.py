"""Subscriber lifecycle queries: public sign-up, operator unsubscribe and reactivate, and
the token check. Mixed into Store; the plain listing and adding queries are in ledger.py.

Rule (issue 10, items 4 and 8): an existing subscriber's status changes only by their own
action (confirming, unsubscribing) or by an operator's explicit command, never because
someone asked to subscribe an address.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest.errors import SubscriberError
from digest.models import Signup, Subscriber, SubscriberStatus, validate_name
from digest.store.convert import to_subscriber as _subscriber
from digest.store.events import record_event
from digest.store.schema import SubscriberRow, SuppressionRow
from digest.store.session import StoreCore
from digest.store.suppression import email_hash, suppressed_hashes
from digest.store.tables import LEGACY_NONCE_PREFIX, status_reason


class SubscriberQueries:
    """Mixed into Store: the subscriber lifecycle."""

    def subscribe_pending(self: StoreCore, email: str, name: str | None, now: datetime) -> Signup:
        """The public sign-up: insert `email` as pending if it is new; an existing row,
        whatever its status, is returned untouched (created=False). Safe when two requests
        race on PostgreSQL: the loser gets the winner's row. `email` must be normalised."""
        name = validate_name(name)
        key = email.lower()
        try:
            with self.session() as s:
                row = s.scalar(select(SubscriberRow).where(SubscriberRow.email_key == key))
                if row is not None:
                    return Signup(_subscriber(row), created=False)
                row = SubscriberRow(
                    email=email,
                    email_key=key,
                    name=name,
                    status=SubscriberStatus.PENDING.value,
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
                s.flush()
                record_event(s, row.id, SubscriberStatus.PENDING.value, now)
                return Signup(_subscriber(row), created=True)
        except IntegrityError:
            with self.session() as s:  # another request inserted it between our two steps
                row = s.scalar(select(SubscriberRow).where(SubscriberRow.email_key == key))
                if row is None:
                    raise
                return Signup(_subscriber(row), created=False)

    def unsubscribe_subscriber(
        self: StoreCore, email: str, now: datetime, reason: str
    ) -> Subscriber:
        """Unsubscribe by address, keeping the row as the suppression record (when, why).
        Already unsubscribed: unchanged. SubscriberError when there is no such subscriber."""
        with self.session() as s:
            row = _locked_row(s, email)
            if row.status != SubscriberStatus.UNSUBSCRIBED.value:
                row.status = SubscriberStatus.UNSUBSCRIBED.value
                row.status_reason = status_reason(reason)
                row.unsubscribed_at = row.updated_at = now
                row.paused_until = None
                record_event(s, row.id, row.status, now)
            return _subscriber(row)

    def reactivate_subscriber(
        self: StoreCore, email: str, now: datetime, reason: str
    ) -> Subscriber:
        """Make an unsubscribed or bounced subscriber active again (an operator's fix for a
        wrong bounce or unsubscribe). A pending one is refused: only their own confirmation
        may activate them. Already active: unchanged. The token nonce is kept, so the
        unsubscribe links of the mails they already have keep working."""
        with self.session() as s:
            row = _locked_row(s, email)
            if row.status == SubscriberStatus.PENDING.value:
                raise SubscriberError(
                    f"{row.email} is pending: they have not confirmed their address",
                    hint="only their own click on the confirmation link makes them active",
                )
            if row.status != SubscriberStatus.ACTIVE.value:
                row.status = SubscriberStatus.ACTIVE.value
                row.status_reason = status_reason(reason)
                row.updated_at = now
                record_event(s, row.id, row.status, now)
            return _subscriber(row)

    def subscriber_by_token(
        self: StoreCore, subscriber_id: int, nonce: str | None
    ) -> Subscriber | None:
        """The subscriber a signed token names, if the token's nonce is theirs: a token
        signed for a removed row (or a row whose id was reused) finds no one. `nonce` None
        is an old id-only token, honoured only for rows that existed before nonces."""
        with self.session() as s:
            row = s.get(SubscriberRow, subscriber_id)
            if row is None:
                return None
            if nonce is None:
                matches = row.token_nonce.startswith(LEGACY_NONCE_PREFIX)
            else:
                matches = hmac.compare_digest(row.token_nonce.encode(), nonce.encode())
            return _subscriber(row) if matches else None

    def suppressions(self: StoreCore, emails: Iterable[str]) -> dict[str, str]:
        """Erased-but-suppressed addresses among `emails`: lowercased address -> reason."""
        with self.session() as s:
            return suppressed_hashes(s, emails)

    def lift_suppression(self: StoreCore, email: str) -> bool:
        """Forget an erased address's suppression (an operator's explicit decision)."""
        with self.session() as s:
            gone = s.execute(
                delete(SuppressionRow).where(SuppressionRow.email_hash == email_hash(email))
            )
            return bool(gone.rowcount)  # type: ignore[attr-defined]


def _locked_row(s: Session, email: str) -> SubscriberRow:
    row = s.scalar(
        select(SubscriberRow).where(SubscriberRow.email_key == email.lower()).with_for_update()
    )
    if row is None:
        raise SubscriberError(f"no subscriber {email}", hint="digest subscribers list")
    return row
