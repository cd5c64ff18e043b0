"""Subscribers and the delivery ledger: the queries that make sending resumable.

A delivery row exists for every (issue, subscriber) before the first message goes out; a
worker claims rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so several `digest send`
processes share one issue), sends, and marks each row as soon as the server accepted the
message. A crash leaves at most the in-flight row of each connection claimed but
unmarked: that is the bound on duplicates.

A claim re-checks each subscriber's status in the same transaction (issue 10): someone who
unsubscribed after the rows were made (a one-click POST during a send, or between a failed
run and its resume) has their row closed as `skipped` with the reason, never sent. What
remains is the window between a row's claim and its message: at most one batch per
connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from digest.errors import DigestError, IssueStatusError
from digest.models import (
    Delivery,
    DeliveryStatus,
    IssueStatus,
    Subscriber,
    SubscriberStatus,
    validate_name,
)
from digest.store.claims import (
    Claim,
    DeliveryMarks,
    claim_status,
    claimable,
    not_paused,
    skip_gone,
    subscriber_sendable,
)
from digest.store.convert import from_row, unknown_issue
from digest.store.convert import to_subscriber as _subscriber
from digest.store.events import ERASED, record_event, record_events
from digest.store.release import record_sent_stories
from digest.store.schema import DeliveryRow, IssueRow, SubscriberRow
from digest.store.session import StoreCore
from digest.store.suppression import SUPPRESSED as _SUPPRESSED
from digest.store.suppression import keep_suppressed
from digest.store.tables import status_reason


class LedgerQueries:
    """Mixed into Store: subscribers, issue approval, deliveries."""

    # -- subscribers -----------------------------------------------------------------

    def add_subscribers(
        self: StoreCore,
        people: Sequence[tuple[str, str | None]],
        status: SubscriberStatus,
        now: datetime,
    ) -> list[Subscriber]:
        """Insert all of them in one transaction, or none (a duplicate raises DigestError,
        a name with a control character SubscriberError: nothing gets past validate_name)."""
        people = [(email, validate_name(name)) for email, name in people]
        keys = [email.lower() for email, _ in people]
        with self.session() as s:
            taken = set(
                s.scalars(select(SubscriberRow.email_key).where(SubscriberRow.email_key.in_(keys)))
            )
            if taken:
                raise DigestError(
                    f"already subscribed: {', '.join(sorted(taken))}",
                    hint="digest subscribers list shows who is there",
                )
            rows = [
                SubscriberRow(
                    email=email,
                    email_key=email.lower(),
                    name=name,
                    status=status.value,
                    created_at=now,
                    updated_at=now,
                    confirmed_at=now if status is SubscriberStatus.ACTIVE else None,
                )
                for email, name in people
            ]
            s.add_all(rows)
            s.flush()
            record_events(s, [row.id for row in rows], status.value, now)
            return [_subscriber(row) for row in rows]

    def find_subscribers(self: StoreCore, emails: Iterable[str]) -> dict[str, Subscriber]:
        """Known subscribers by lowercased address."""
        keys = [e.lower() for e in emails]
        with self.session() as s:
            rows = s.scalars(select(SubscriberRow).where(SubscriberRow.email_key.in_(keys)))
            return {row.email_key: _subscriber(row) for row in rows}

    def get_subscriber(self: StoreCore, subscriber_id: int) -> Subscriber | None:
        with self.session() as s:
            row = s.get(SubscriberRow, subscriber_id)
            return None if row is None else _subscriber(row)

    def list_subscribers(
        self: StoreCore, status: SubscriberStatus | None = None
    ) -> list[Subscriber]:
        with self.session() as s:
            query = select(SubscriberRow).order_by(SubscriberRow.id)
            if status is not None:
                query = query.where(SubscriberRow.status == status.value)
            return [_subscriber(row) for row in s.scalars(query)]

    def set_subscriber_status(
        self: StoreCore,
        subscriber_id: int,
        status: SubscriberStatus,
        now: datetime,
        reason: str | None = None,
    ) -> Subscriber | None:
        """Idempotent: setting the status a subscriber already has changes nothing.
        `reason` is kept on the row for an operator (why it is unsubscribed, bounced…)."""
        with self.session() as s:
            row = s.get(SubscriberRow, subscriber_id)
            if row is None:
                return None
            if row.status != status.value:
                row.status, row.updated_at = status.value, now
                row.status_reason = status_reason(reason)
                row.paused_until = None  # a pause belongs to an active subscription
                record_event(s, row.id, status.value, now)
                stamp = {
                    SubscriberStatus.ACTIVE: "confirmed_at",
                    SubscriberStatus.UNSUBSCRIBED: "unsubscribed_at",
                    SubscriberStatus.BOUNCED: "bounced_at",
                }.get(status)
                if stamp:
                    setattr(row, stamp, now)
            return _subscriber(row)

    def remove_subscriber(self: StoreCore, email: str, now: datetime) -> bool:
        """Erase a subscriber and their delivery rows (a removal request, not an unsubscribe).
        An unsubscribed or bounced address leaves only its hash in `suppression`, so no
        import brings it back; an active or pending one leaves nothing."""
        with self.session() as s:
            row = s.scalar(select(SubscriberRow).where(SubscriberRow.email_key == email.lower()))
            if row is None:
                return False
            if row.status in _SUPPRESSED:
                keep_suppressed(s, row.email_key, row.status, now)
            s.execute(delete(DeliveryRow).where(DeliveryRow.subscriber_id == row.id))
            record_event(s, row.id, ERASED, now)
            s.delete(row)
            return True

    # -- issues ------------------------------------------------------------------------

    def approve_issue(self: StoreCore, number: int, now: datetime) -> None:
        with self.session() as s:
            row = _issue_row(s, number)
            if row.status == IssueStatus.APPROVED.value:
                return
            if row.status != IssueStatus.DRAFT.value:
                raise IssueStatusError(
                    f"issue {number} is {row.status}; only a draft can be approved",
                    hint="it has gone out; digest build makes the next issue",
                )
            row.status, row.approved_at = IssueStatus.APPROVED.value, now

    def open_deliveries(self: StoreCore, number: int, now: datetime) -> int:
        """When the send starts, create a delivery row for every active subscriber and mark
        the issue as sending, in one transaction. Returns how many rows were added.

        The audience is fixed at that moment: a re-run of an issue already sending or sent
        (a resume after a crash, an operator's second `digest send`) adds nobody, so whoever
        confirmed or resumed a pause since then never receives an old issue."""
        with self.session() as s:
            # FOR UPDATE (PostgreSQL): two send processes starting at once see the issue one
            # after the other, and the second finds it sending.
            issue = _issue_row(s, number, lock=True)
            if issue.status not in (IssueStatus.APPROVED.value, IssueStatus.DRAFT.value):
                return 0
            # Only this transition makes delivery rows, and a sending issue never goes back to
            # approved (unapprove refuses it): an approved issue has none yet to leave out.
            wanted = select(SubscriberRow.id).where(
                SubscriberRow.status == SubscriberStatus.ACTIVE.value,
                not_paused(now),  # no row at all for a pause: neither failed nor skipped
            )
            ids = list(s.scalars(wanted))
            # In chunks: one statement with 100k parameter sets held every row's dict and
            # its compiled values at once (bench/send.py's peak memory).
            for start in range(0, len(ids), INSERT_CHUNK):
                s.execute(
                    insert(DeliveryRow),
                    [
                        {
                            "issue_id": issue.id,
                            "subscriber_id": i,
                            "status": "pending",
                            "attempts": 0,
                        }
                        for i in ids[start : start + INSERT_CHUNK]
                    ],
                )
            issue.status = IssueStatus.SENDING.value
            # Its stories are out from now on: no later build repeats them (issue 13).
            record_sent_stories(s, issue.id)
            return len(ids)

    def close_issue_if_done(self: StoreCore, number: int, now: datetime) -> bool:
        """Mark the issue sent when no row is left to send (failed rows count as done)."""
        with self.session() as s:
            issue = _issue_row(s, number)
            left = s.scalar(
                select(func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.issue_id == issue.id, DeliveryRow.status.in_(_OPEN))
            )
            if left:
                return False
            issue.status, issue.sent_at = IssueStatus.SENT.value, issue.sent_at or now
            return True

    # -- deliveries -----------------------------------------------------------------

    def claim_deliveries(
        self: StoreCore,
        number: int,
        token: str,
        now: datetime,
        limit: int,
        stale_before: datetime,
        dead_claims: Sequence[str] = (),
    ) -> Claim:
        """Claim up to `limit` rows to send now: pending ones, retries that are due, and
        rows left in `sending` by a worker that died or whose lease ran out. Rows whose
        subscriber is no longer active are closed as skipped instead, in the same
        transaction."""
        takeable = claimable(now, stale_before, dead_claims)
        # Core, not the ORM: building ORM objects for every claimed row was a tenth of
        # the send loop's time, and the rows are read once.
        with self.write_lock, self.engine.begin() as c:
            issue_id = _issue_id(c, number)
            candidates = c.execute(
                select(DeliveryRow.id, claim_status(now))
                .join(SubscriberRow, DeliveryRow.subscriber_id == SubscriberRow.id)
                .where(DeliveryRow.issue_id == issue_id, takeable)
                .order_by(DeliveryRow.id)
                .limit(limit)
                # PostgreSQL: workers never wait on each other, and the subscriber rows are
                # locked too, so an unsubscribe in flight is either seen or waits for this.
                .with_for_update(skip_locked=True)
            ).all()
            if not candidates:
                return Claim()
            active = [i for i, status in candidates if status == SubscriberStatus.ACTIVE.value]
            gone = [(i, s) for i, s in candidates if s != SubscriberStatus.ACTIVE.value]
            skipped = skip_gone(c, gone, takeable, now) if gone else []
            return Claim(_take(c, number, token, now, active, takeable), skipped)

    def claims_in_progress(self: StoreCore, number: int) -> list[str]:
        with self.session() as s:
            issue = _issue_row(s, number)
            return list(
                s.scalars(
                    select(DeliveryRow.claimed_by)
                    .distinct()
                    .where(
                        DeliveryRow.issue_id == issue.id,
                        DeliveryRow.status == DeliveryStatus.SENDING.value,
                    )
                )
            )

    @contextmanager
    def delivery_marks(self: StoreCore) -> Iterator[DeliveryMarks]:
        """Marks for one send worker, on a database connection it keeps until it is done."""
        marks = DeliveryMarks(self.engine, self.write_lock)
        try:
            yield marks
        finally:
            marks.close()

    def release(self: StoreCore, delivery_ids: Sequence[int]) -> None:
        """Give claimed rows back untouched (the server went away before they were tried)."""
        if not delivery_ids:
            return
        with self.session() as s:
            s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id.in_(list(delivery_ids)),
                    DeliveryRow.status == DeliveryStatus.SENDING.value,
                )
                .values(status=DeliveryStatus.PENDING.value, claimed_by=None, claimed_at=None)
            )

    def deliveries(self: StoreCore, number: int) -> list[Delivery]:
        with self.session() as s:
            rows = s.execute(_delivery_query(number).order_by(DeliveryRow.id))
            return [_delivery(number, row) for row in rows]


INSERT_CHUNK = 2000
_OPEN = (DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value, DeliveryStatus.RETRY.value)


def _take(
    c: Connection, number: int, token: str, now: datetime, ids: list[int], takeable: Any
) -> list[Delivery]:
    """Mark `ids` as being sent by `token`, and read them back with what sending needs."""
    if not ids:
        return []
    # The claim re-checks the condition: on SQLite two processes may have read the same
    # ids, but only one UPDATE can take a row out of its claimable state.
    c.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id.in_(ids), takeable, subscriber_sendable(now))
        .values(status=DeliveryStatus.SENDING.value, claimed_by=token, claimed_at=now)
    )
    rows = c.execute(
        _delivery_query(number)
        .where(DeliveryRow.claimed_by == token, DeliveryRow.id.in_(ids))
        .order_by(DeliveryRow.id)
    )
    return [_delivery(number, row) for row in rows]


def _issue_row(s: Session, number: int, *, lock: bool = False) -> IssueRow:
    query = select(IssueRow).where(IssueRow.number == number)
    row = s.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise unknown_issue(s, number)
    return row


def _issue_id(c: Connection, number: int) -> int:
    issue_id = c.scalar(select(IssueRow.id).where(IssueRow.number == number))
    if issue_id is None:
        raise unknown_issue(c, number)
    return int(issue_id)


def _delivery_query(number: int):  # type: ignore[no-untyped-def]  # Select[...] differs in 2.0 and 2.1
    return (
        select(
            DeliveryRow.id,
            DeliveryRow.subscriber_id,
            SubscriberRow.email,
            SubscriberRow.name,
            SubscriberRow.token_nonce,
            DeliveryRow.status,
            DeliveryRow.attempts,
            DeliveryRow.message_id,
            DeliveryRow.last_error,
            DeliveryRow.sent_at,
        )
        .join(SubscriberRow, DeliveryRow.subscriber_id == SubscriberRow.id)
        .join(IssueRow, DeliveryRow.issue_id == IssueRow.id)
        .where(IssueRow.number == number)
    )


def _delivery(number: int, row: Row[Any]) -> Delivery:
    return from_row(
        Delivery,
        row,
        issue_number=number,
        status=DeliveryStatus(row.status),
        subscriber_nonce=row.token_nonce,
    )
