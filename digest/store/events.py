"""Subscribers' status history and what the welcome and the preferences page change
(issue 14, item 4). Mixed into Store.

Every status change is written with its time in `subscriber_event` by the query that
makes it, in the same transaction, so the history `digest stats` replays cannot miss one.
A pause is no status of its own in `subscriber`: the person stays active with a
`paused_until`, which every send compares with its own time, so the pause ends by itself;
the history records it as `paused` with its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Subquery,
    case,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from digest.models import IssueStatus, Subscriber, SubscriberStatus
from digest.store.confirmations import WELCOME
from digest.store.convert import from_row, to_subscriber
from digest.store.schema import (
    ConfirmationRow,
    DeliveryRow,
    IssueRow,
    SubscriberEventRow,
    SubscriberRow,
)
from digest.store.session import StoreCore
from digest.store.tables import UTCDateTime, status_reason

PAUSED = "paused"  # a status of the history only (see the module's docstring)
ERASED = "erased"  # the row was removed: the history ends


@dataclass(frozen=True, slots=True)
class SubscriberEvent:
    subscriber_id: int
    status: str  # a SubscriberStatus value, PAUSED or ERASED
    at: datetime
    ends_at: datetime | None  # the end of a pause


def record_event(
    s: Session, subscriber_id: int, status: str, at: datetime, ends_at: datetime | None = None
) -> None:
    s.add(SubscriberEventRow(subscriber_id=subscriber_id, status=status, at=at, ends_at=ends_at))


def record_events(s: Session, subscriber_ids: Iterable[int], status: str, at: datetime) -> None:
    """The same change for many rows (an import), in one statement."""
    rows = [{"subscriber_id": i, "status": status, "at": at} for i in subscriber_ids]
    if rows:
        s.execute(insert(SubscriberEventRow), rows)


# The statuses a person's own confirmation click makes active (pending, or unsubscribed and
# back by their own will); a bounced address stays bounced until an operator reactivates it.
CONFIRMABLE = (SubscriberStatus.PENDING.value, SubscriberStatus.UNSUBSCRIBED.value)


class EventQueries:
    """Mixed into Store."""

    def confirm_subscriber(
        self: StoreCore, subscriber_id: int, now: datetime, reason: str, welcome_token: str | None
    ) -> bool:
        """Make a pending (or unsubscribed) subscriber active by their own click and, with a
        `welcome_token`, queue their welcome mail in the same transaction. True when it did;
        a second click finds them active and changes nothing, so no second welcome."""
        with self.write_lock, self.session() as s:
            changed = s.execute(
                update(SubscriberRow)
                .where(SubscriberRow.id == subscriber_id, SubscriberRow.status.in_(CONFIRMABLE))
                .values(
                    status=SubscriberStatus.ACTIVE.value,
                    status_reason=status_reason(reason),
                    confirmed_at=now,
                    updated_at=now,
                    paused_until=None,
                )
            ).rowcount  # type: ignore[attr-defined]
            if not changed:  # the check is in the UPDATE: two racing clicks, one winner
                return False
            record_event(s, subscriber_id, SubscriberStatus.ACTIVE.value, now)
            if welcome_token is not None:
                email_key = s.scalar(
                    select(SubscriberRow.email_key).where(SubscriberRow.id == subscriber_id)
                )
                s.add(
                    ConfirmationRow(
                        kind=WELCOME,
                        subscriber_id=subscriber_id,
                        email_key=email_key,
                        token=welcome_token,
                        created_at=now,
                        attempts=0,
                    )
                )
            return True

    def pause_subscriber(
        self: StoreCore, subscriber_id: int, until: datetime, now: datetime
    ) -> Subscriber | None:
        """Pause an active subscriber until `until` (a new pause replaces the old one: the
        same request twice does not add up). None when they are not active."""
        return _set_pause(self, subscriber_id, until, now)

    def resume_subscriber(self: StoreCore, subscriber_id: int, now: datetime) -> Subscriber | None:
        """End an active subscriber's pause now (nothing to do without one). None when they
        are not active."""
        return _set_pause(self, subscriber_id, None, now)

    def subscriber_events(self: StoreCore) -> list[SubscriberEvent]:
        """The whole history, oldest first."""
        with self.session() as s:
            rows = s.execute(
                select(
                    SubscriberEventRow.subscriber_id,
                    SubscriberEventRow.status,
                    SubscriberEventRow.at,
                    SubscriberEventRow.ends_at,
                ).order_by(SubscriberEventRow.at, SubscriberEventRow.id)
            )
            return [from_row(SubscriberEvent, row) for row in rows]


def _set_pause(
    store: StoreCore, subscriber_id: int, until: datetime | None, now: datetime
) -> Subscriber | None:
    with store.write_lock, store.session() as s:
        row = s.scalar(
            select(SubscriberRow).where(SubscriberRow.id == subscriber_id).with_for_update()
        )
        if row is None or row.status != SubscriberStatus.ACTIVE.value:
            return None
        was_paused = row.paused_until is not None and row.paused_until > now
        if until is not None and until != row.paused_until:
            row.paused_until, row.updated_at = until, now
            record_event(s, row.id, PAUSED, now, ends_at=until)
        elif until is None and row.paused_until is not None:
            row.paused_until, row.updated_at = None, now
            if was_paused:  # a pause already over ended by itself: nothing happens now
                record_event(s, row.id, SubscriberStatus.ACTIVE.value, now)
        return to_subscriber(row)


@dataclass(frozen=True, slots=True)
class IssueDeliveries:
    """An issue's ledger, summed: when its first message went, and its rows by status."""

    number: int
    subject: str | None
    started_at: datetime | None  # the first message accepted (None: none yet)
    counts: dict[str, int]


class IssueOutcomeQueries:
    """Mixed into Store: what `digest stats` reads of the ledger and of the history, summed
    by the database (a year of a large list's history is 200,000 rows and more)."""

    def issue_deliveries(self: StoreCore) -> list[IssueDeliveries]:
        """Every issue whose send started, oldest first."""
        with self.session() as s:
            issues = s.execute(
                select(IssueRow.id, IssueRow.number, IssueRow.subject, IssueRow.sent_at)
                .where(IssueRow.status.in_((IssueStatus.SENDING.value, IssueStatus.SENT.value)))
                .order_by(IssueRow.number)
            ).all()
            counts: dict[int, dict[str, int]] = {}
            # min() keeps the column's type (UTCDateTime): aware on both backends.
            first: dict[int, datetime] = {}
            for issue_id, status, n, started in s.execute(
                select(
                    DeliveryRow.issue_id,
                    DeliveryRow.status,
                    func.count(),
                    func.min(DeliveryRow.sent_at),
                ).group_by(DeliveryRow.issue_id, DeliveryRow.status)
            ):
                counts.setdefault(issue_id, {})[status] = int(n)
                if started is not None:
                    first[issue_id] = min(first.get(issue_id, started), started)
            return [
                IssueDeliveries(
                    number=number,
                    subject=subject,
                    started_at=first.get(issue_id) or sent_at,
                    counts=counts.get(issue_id, {}),
                )
                for issue_id, number, subject, sent_at in issues
            ]

    def statuses_at(self: StoreCore, moments: Sequence[datetime]) -> list[StatusCount]:
        """How many subscribers stood at each status at each of `moments` (aware UTC): the
        status of their last event before it; a pause told apart as still running then or
        over. Summed by the database: each event's span runs to the subscriber's next
        event, and the query returns how many spans start and end at each moment's rank,
        not the events (a year of a large list's history is 200,000 rows and more)."""
        if not moments:
            return []
        order = sorted(range(len(moments)), key=moments.__getitem__)
        ranked = [moments[i] for i in order]
        spans = _spans()
        # A span holds the k-th moment from `first` (the moments at or before its event)
        # up to `last` (those at or before the next event); a pause runs until `over`.
        first = _rank(spans.c.at, ranked).label("first")
        last = _rank(spans.c.next_at, ranked).label("last")
        over = case(
            (spans.c.status == PAUSED, _rank(spans.c.ends_at, ranked, strictly=True)), else_=None
        ).label("over")
        held = or_(spans.c.next_at.is_(None), spans.c.next_at >= literal(ranked[0], UTCDateTime))
        with self.session() as s:
            rows = s.execute(
                select(spans.c.status, first, last, over, func.count())
                .where(held)  # a span over before the first moment counts at none
                .group_by(spans.c.status, first, last, over)  # by label: one expression each
            ).all()
        return _counts_at(rows, order)

    def people_in_periods(
        self: StoreCore, statuses: Sequence[str], bounds: Sequence[datetime]
    ) -> dict[tuple[str, int], int]:
        """How many subscribers have an event of each of `statuses` in each period between
        consecutive `bounds` (sorted): (status, i) for [bounds[i], bounds[i + 1]); the
        pairs with none are left out. One pass over the events in the whole span."""
        if len(bounds) < 2:
            return {}
        event = SubscriberEventRow
        period = _rank(event.at, bounds).label("period")  # i + 1 for [bounds[i], bounds[i+1])
        with self.session() as s:
            rows = s.execute(
                select(event.status, period, func.count(distinct(event.subscriber_id)))
                .where(
                    event.status.in_(statuses),
                    event.at >= literal(bounds[0], UTCDateTime),
                    event.at < literal(bounds[-1], UTCDateTime),
                )
                .group_by(event.status, period)
            )
            return {(status, rank - 1): int(n) for status, rank, n in rows}


@dataclass(frozen=True, slots=True)
class StatusCount:
    """`count` subscribers stood at `status` at moment number `position`; for a pause,
    `running` tells one still running then from one over (its person is active again)."""

    position: int
    status: str
    running: bool
    count: int


def _spans() -> Subquery:
    """Each event with the time of the subscriber's next one (None for their last)."""
    event = SubscriberEventRow
    following = func.lead(event.at).over(
        partition_by=event.subscriber_id, order_by=(event.at, event.id)
    )
    return select(event.status, event.at, event.ends_at, following.label("next_at")).subquery(
        "span"
    )


def _rank(
    value: ColumnElement[Any] | InstrumentedAttribute[datetime],
    ranked: Sequence[datetime],
    *,
    strictly: bool = False,
) -> ColumnElement[int]:
    """How many of `ranked` (sorted) are at or before `value` (strictly before, with
    `strictly`); all of them for NULL. A binary search written as nested CASEs, so a
    row costs log2(len(ranked)) comparisons, not one a moment (520 weeks at most)."""

    def search(low: int, high: int) -> ColumnElement[int]:
        if low == high:
            return literal(low, Integer)
        middle = (low + high) // 2
        bound = literal(ranked[middle], UTCDateTime)
        below = value <= bound if strictly else value < bound
        return case((below, search(low, middle)), else_=search(middle + 1, high))

    return search(0, len(ranked))


def _counts_at(rows: Iterable[Sequence[Any]], order: Sequence[int]) -> list[StatusCount]:
    """The counts at each moment from the spans' (status, first, last, over, count): a
    span counts at the ranks first..last-1, a pause as running up to over-1."""
    size = len(order) + 1
    changes: dict[tuple[str, bool], list[int]] = {}
    for status, first, last, over, count in rows:
        ends = [(False, last)] if status != PAUSED else [(True, min(last, over)), (False, last)]
        start = first
        for running, end in ends:  # a pause: running, then over until the next event
            if end > start:
                change = changes.setdefault((status, running), [0] * size)
                change[start] += count
                change[end] -= count
                start = end
    counts = []
    for (status, running), change in changes.items():
        for rank, total in enumerate(accumulate(change[:-1])):
            if total:
                counts.append(StatusCount(order[rank], status, running, total))
    return counts
