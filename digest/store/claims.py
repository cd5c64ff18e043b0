"""Claiming and marking delivery rows: the send loop's hot path on the ledger.

`LedgerQueries.claim_deliveries` takes rows with these pieces; each send worker then
records every message's outcome with its own `DeliveryMarks`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Update,
    and_,
    bindparam,
    case,
    exists,
    or_,
    select,
    update,
)

from digest.models import Delivery, DeliveryStatus, SubscriberStatus
from digest.store.schema import DeliveryRow, SubscriberRow


def not_paused(now: datetime) -> Any:
    """No pause, or one that has ended: whom an issue goes to (issue 14, the preferences
    page). A pause is a time, not a status, so it ends without anyone changing a row."""
    return or_(SubscriberRow.paused_until.is_(None), SubscriberRow.paused_until <= now)


def subscriber_sendable(now: datetime) -> Any:
    """In the claim's UPDATE itself, so the status is checked in the statement that takes
    the row (on SQLite another process may have written between the claim's SELECT and
    UPDATE): active, and not on a pause."""
    return exists().where(
        SubscriberRow.id == DeliveryRow.subscriber_id,
        SubscriberRow.status == SubscriberStatus.ACTIVE.value,
        not_paused(now),
    )


def claim_status(now: datetime) -> Any:
    """The subscriber's status as a claim sees it: `paused` for an active one on a pause,
    so their row is skipped with that reason (never failed), like an unsubscriber's."""
    return case(
        (
            and_(SubscriberRow.status == SubscriberStatus.ACTIVE.value, ~not_paused(now)),
            "paused",
        ),
        else_=SubscriberRow.status,
    )


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim took: the rows to send, and (email, reason) of the rows skipped."""

    deliveries: list[Delivery] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def claimable(now: datetime, stale_before: datetime, dead_claims: Sequence[str]) -> Any:
    """Rows to send now: pending, retries that are due, and claims of dead workers."""
    return or_(
        DeliveryRow.status == DeliveryStatus.PENDING.value,
        and_(DeliveryRow.status == DeliveryStatus.RETRY.value, DeliveryRow.next_attempt_at <= now),
        and_(
            DeliveryRow.status == DeliveryStatus.SENDING.value,
            or_(
                DeliveryRow.claimed_at < stale_before,
                DeliveryRow.claimed_by.in_(list(dead_claims)),
            ),
        ),
    )


def skip_gone(
    c: Connection, gone: list[tuple[int, str]], claimable: Any, now: datetime
) -> list[tuple[str, str]]:
    """Close the rows of subscribers no longer active as skipped, with the reason."""
    by_status: dict[str, list[int]] = defaultdict(list)
    for delivery_id, status in gone:
        by_status[status].append(delivery_id)
    for status, ids in by_status.items():
        c.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(ids), claimable, ~subscriber_sendable(now))
            .values(
                status=DeliveryStatus.SKIPPED.value,
                last_error=f"{status} at claim time",
                claimed_by=None,
                claimed_at=None,
            )
        )
    rows = c.execute(
        select(SubscriberRow.email, DeliveryRow.last_error)
        .join(SubscriberRow, DeliveryRow.subscriber_id == SubscriberRow.id)
        .where(
            DeliveryRow.id.in_([i for i, _ in gone]),
            DeliveryRow.status == DeliveryStatus.SKIPPED.value,
        )
        .order_by(DeliveryRow.id)
    )
    return [(email, reason or "") for email, reason in rows]


class DeliveryMarks:
    """A send worker's record of each message's outcome, one commit per message.

    The commit per message is the send loop's crash-safety: a crash leaves at most the
    message in flight unmarked. So this is its hot path, and it is kept lean: one Core
    UPDATE built once per set of columns (building it and its cache key per call cost
    more than SQLite's commit), on one connection held for the worker's life (a pool
    checkout per message, with PostgreSQL's pre-ping, was a second round trip).
    """

    def __init__(self, engine: Engine, write_lock: AbstractContextManager[Any]) -> None:
        self._connection = engine.connect()
        self._write_lock = write_lock

    def sent(self, delivery_id: int, message_id: str, now: datetime) -> None:
        self._mark(
            delivery_id,
            status=DeliveryStatus.SENT.value,
            message_id=message_id,
            sent_at=now,
            last_error=None,
        )

    def retry(self, delivery_id: int, error: str, when: datetime) -> None:
        self._mark(
            delivery_id, status=DeliveryStatus.RETRY.value, last_error=error, next_attempt_at=when
        )

    def failed(self, delivery_id: int, error: str) -> None:
        self._mark(delivery_id, status=DeliveryStatus.FAILED.value, last_error=error)

    def close(self) -> None:
        self._connection.close()

    def _mark(self, delivery_id: int, **values: object) -> None:
        statement = _mark_statement(tuple(sorted(values)))
        parameters = {f"new_{name}": value for name, value in values.items()}
        with self._write_lock, self._connection.begin():
            self._connection.execute(statement, {"delivery_id": delivery_id, **parameters})


@functools.cache
def _mark_statement(columns: tuple[str, ...]) -> Update:
    return (
        update(DeliveryRow)
        .where(DeliveryRow.id == bindparam("delivery_id"))
        .values(
            claimed_by=None,
            claimed_at=None,
            attempts=DeliveryRow.attempts + 1,
            # "new_": a bind parameter may not share its column's name in a SET clause.
            **{name: bindparam(f"new_{name}") for name in columns},
        )
    )
