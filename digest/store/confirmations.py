"""The confirmation queue: double opt-in mails the web requests and the worker sends.

The web side only writes a row (fast, whatever the SMTP server does); the rows are also what
the per-address caps count, so 20 POSTs for one victim make one mail. A subscriber row is
locked (FOR UPDATE on PostgreSQL, the store's write lock on SQLite) while its caps are
checked, so concurrent requests for one address cannot all pass the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select, update

from digest.models import SubscriberStatus
from digest.store.convert import from_row
from digest.store.schema import ConfirmationRow, SubscriberRow
from digest.store.session import StoreCore


@dataclass(frozen=True, slots=True)
class Window:
    """At most `most` confirmations per address within `span`."""

    span: timedelta
    most: int


CONFIRM = "confirm"  # the kinds of mail in the queue
WELCOME = "welcome"


@dataclass(frozen=True, slots=True)
class QueuedConfirmation:
    id: int
    subscriber_id: int
    email: str  # the subscriber's address as stored
    token: str  # a confirmation's signed link; a welcome's unsubscribe token
    attempts: int
    kind: str = CONFIRM
    name: str | None = None  # the subscriber's, for a welcome's greeting


@dataclass(frozen=True, slots=True)
class ConfirmationState:
    id: int
    subscriber_id: int
    email_key: str
    created_at: datetime
    attempts: int
    sent_at: datetime | None
    last_error: str | None
    kind: str


class ConfirmationQueries:
    """Mixed into Store."""

    def queue_confirmation(
        self: StoreCore,
        subscriber_id: int,
        email_key: str,
        token: str,
        now: datetime,
        windows: Sequence[Window],
    ) -> bool:
        """Queue one confirmation unless a window's cap is reached; True when queued."""
        with self.write_lock, self.session() as s:
            s.execute(
                select(SubscriberRow.id).where(SubscriberRow.id == subscriber_id).with_for_update()
            )
            for window in windows:
                recent = s.scalar(
                    select(func.count())
                    .select_from(ConfirmationRow)
                    .where(
                        ConfirmationRow.email_key == email_key,
                        ConfirmationRow.kind == CONFIRM,  # a welcome is no request
                        ConfirmationRow.created_at > now - window.span,
                    )
                )
                if (recent or 0) >= window.most:
                    return False
            s.add(
                ConfirmationRow(
                    subscriber_id=subscriber_id,
                    email_key=email_key,
                    token=token,
                    created_at=now,
                    attempts=0,
                )
            )
            return True

    def claim_confirmations(
        self: StoreCore,
        now: datetime,
        until: datetime,
        *,
        limit: int,
        max_attempts: int,
        not_before: datetime,
        kind: str = CONFIRM,
    ) -> list[QueuedConfirmation]:
        """Claim up to `limit` unsent mails of `kind` due now, until `until` (a worker that
        dies mid-batch frees them by the claim's expiry). Older than `not_before`: their
        link has expired (a welcome that late is pointless), so they are not sent at all.
        A welcome waits only while its subscriber is active: unsubscribed since, never."""
        claimable = or_(
            ConfirmationRow.claimed_until.is_(None), ConfirmationRow.claimed_until < now
        )
        with self.write_lock, self.session() as s:
            candidates = s.scalars(
                select(ConfirmationRow.id)
                .where(
                    ConfirmationRow.kind == kind,
                    _still_wanted(),
                    ConfirmationRow.sent_at.is_(None),
                    ConfirmationRow.attempts < max_attempts,
                    ConfirmationRow.created_at > not_before,
                    or_(
                        ConfirmationRow.next_attempt_at.is_(None),
                        ConfirmationRow.next_attempt_at <= now,
                    ),
                    claimable,
                )
                .order_by(ConfirmationRow.id)
                .limit(limit)
            ).all()
            claimed = [
                row_id
                for row_id in candidates
                # Re-checked row by row: another worker may have claimed it since the select.
                if s.execute(
                    update(ConfirmationRow)
                    .where(ConfirmationRow.id == row_id, claimable)
                    .values(claimed_until=until)
                ).rowcount  # type: ignore[attr-defined]
            ]
            rows = s.execute(
                select(ConfirmationRow, SubscriberRow.email, SubscriberRow.name)
                .join(SubscriberRow, SubscriberRow.id == ConfirmationRow.subscriber_id)
                .where(ConfirmationRow.id.in_(claimed))
                .order_by(ConfirmationRow.id)
            ).all()
            return [
                from_row(QueuedConfirmation, row, email=email, name=name)
                for row, email, name in rows
            ]

    def confirmation_sent(self: StoreCore, confirmation_id: int, now: datetime) -> None:
        _mark(
            self,
            confirmation_id,
            sent_at=now,
            attempts=ConfirmationRow.attempts + 1,
            claimed_until=None,
            last_error=None,
        )

    def confirmation_failed(
        self: StoreCore, confirmation_id: int, error: str, retry_at: datetime
    ) -> None:
        _mark(
            self,
            confirmation_id,
            attempts=ConfirmationRow.attempts + 1,
            last_error=error[:1000],
            next_attempt_at=retry_at,
            claimed_until=None,
        )

    def confirmation_backlog(
        self: StoreCore, max_attempts: int, not_before: datetime
    ) -> dict[str, int]:
        """Unsent confirmations: still to try, and given up (after `max_attempts`, or made
        before `not_before`: their link has expired)."""
        given_up = or_(
            ConfirmationRow.attempts >= max_attempts,
            ConfirmationRow.created_at <= not_before,
            ~_still_wanted(),
        )
        with self.session() as s:
            rows = s.execute(
                select(given_up, func.count())
                .where(ConfirmationRow.sent_at.is_(None))
                .group_by(given_up)
            ).all()
        counts = {bool(flag): int(n) for flag, n in rows}
        return {"waiting": counts.get(False, 0), "given_up": counts.get(True, 0)}

    def list_confirmations(self: StoreCore) -> list[ConfirmationState]:
        with self.session() as s:
            rows = s.scalars(select(ConfirmationRow).order_by(ConfirmationRow.id))
            return [from_row(ConfirmationState, row) for row in rows]


def _still_wanted() -> Any:
    """A confirmation always; a welcome while its subscriber is active."""
    return or_(
        ConfirmationRow.kind == CONFIRM,
        exists().where(
            SubscriberRow.id == ConfirmationRow.subscriber_id,
            SubscriberRow.status == SubscriberStatus.ACTIVE.value,
        ),
    )


def _mark(store: StoreCore, confirmation_id: int, **values: Any) -> None:
    with store.write_lock, store.session() as s:
        s.execute(
            update(ConfirmationRow).where(ConfirmationRow.id == confirmation_id).values(**values)
        )
