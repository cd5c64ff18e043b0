"""Use case: `digest stats` (issue 14, item 4): how the list is doing. Subscribers by
status at the end of each week (the newsletter's timezone, weeks from Monday), replayed
from `subscriber_event`; and per issue: messages sent, failed and skipped (from the
ledger), and the bounces and unsubscribes between its send and the next issue's.

The history is exact from migration 0016 on; before it, it is what the subscriber rows'
dates tell (their last subscription, unsubscription and bounce), see that migration.
Nothing here counts opens or clicks: digest records neither.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from digest.localtime import local
from digest.models import DeliveryStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.store.events import ERASED, PAUSED, IssueDeliveries, SubscriberEvent

STATUSES = ("active", "pending", "paused", "unsubscribed", "bounced")
MAX_WEEKS = 520


@dataclass(frozen=True, slots=True)
class WeekCounts:
    start: date  # the Monday the week starts on, in the newsletter's timezone
    counts: dict[str, int]  # each of STATUSES at the end of the week (or now, this week)


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    number: int
    subject: str | None
    started_at: datetime | None
    sent: int
    failed: int
    skipped: int
    bounced: int  # subscribers who bounced from its send to the next issue's
    unsubscribed: int  # subscribers who unsubscribed from its send to the next issue's


@dataclass(frozen=True, slots=True)
class Stats:
    weeks: list[WeekCounts]
    issues: list[IssueOutcome]


def gather_stats(store: Store, settings: Settings, now: datetime, weeks: int = 12) -> Stats:
    """The last `weeks` weeks (this one included) and every issue whose send started."""
    history = store.subscriber_events()
    ends = _week_ends(now, settings.timezone, min(max(weeks, 1), MAX_WEEKS))
    counted = [WeekCounts(start, counts) for start, counts in _replay(history, ends)]
    return Stats(counted, _outcomes(store.issue_deliveries(), history, now))


def _week_ends(now: datetime, zone: str, weeks: int) -> list[tuple[date, datetime]]:
    """(Monday, the moment the week's counts are taken) for each week, oldest first."""
    today = local(now, zone)
    monday = today.date() - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    tz = today.tzinfo
    return [(s, min(datetime.combine(s + timedelta(weeks=1), time(), tz), now)) for s in starts]


def _replay(
    history: list[SubscriberEvent], ends: list[tuple[date, datetime]]
) -> list[tuple[date, dict[str, int]]]:
    """Each subscriber's state at each week's end: their last event before it (a pause
    past its end counts as active)."""
    last: dict[int, SubscriberEvent] = {}
    result = []
    position = 0
    for start, end in ends:
        while position < len(history) and history[position].at < end:
            event = history[position]
            last[event.subscriber_id] = event
            position += 1
        tally = Counter(_state(event, end) for event in last.values())
        result.append((start, {status: tally.get(status, 0) for status in STATUSES}))
    return result


def _state(event: SubscriberEvent, at: datetime) -> str:
    if event.status == PAUSED:
        return PAUSED if event.ends_at is not None and event.ends_at > at else "active"
    return "" if event.status == ERASED else event.status


def _outcomes(
    issues: list[IssueDeliveries], history: list[SubscriberEvent], now: datetime
) -> list[IssueOutcome]:
    starts = sorted(i.started_at for i in issues if i.started_at is not None)
    bounces = [e for e in history if e.status == SubscriberStatus.BOUNCED.value]
    leaves = [e for e in history if e.status == SubscriberStatus.UNSUBSCRIBED.value]
    outcomes = []
    for issue in issues:
        begin = issue.started_at
        end = min((t for t in starts if begin is not None and t > begin), default=now)
        counts = issue.counts
        outcomes.append(
            IssueOutcome(
                number=issue.number,
                subject=issue.subject,
                started_at=begin,
                sent=counts.get(DeliveryStatus.SENT.value, 0),
                failed=counts.get(DeliveryStatus.FAILED.value, 0),
                skipped=counts.get(DeliveryStatus.SKIPPED.value, 0),
                bounced=_people(bounces, begin, end),
                unsubscribed=_people(leaves, begin, end),
            )
        )
    return outcomes


def _people(events: list[SubscriberEvent], since: datetime | None, until: datetime) -> int:
    """How many subscribers `events` name in [since, until): none before a first message."""
    if since is None:
        return 0
    return len({e.subscriber_id for e in events if since <= e.at < until})
