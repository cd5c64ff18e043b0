"""Use case: `digest stats` (issue 14, item 4): how the list is doing. Subscribers by
status at the end of each week (the newsletter's timezone, weeks from Monday), replayed
from `subscriber_event` by the database (GROUP BY: a large list's history does not come
into memory, bench/stats.py); and per issue: messages sent, failed and skipped (from the
ledger), and the bounces and unsubscribes between its send and the next issue's.

The history is exact from migration 0016 on; before it, it is what the subscriber rows'
dates tell (their last subscription, unsubscription and bounce), see that migration.
Nothing here counts opens or clicks: digest records neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from digest.localtime import local
from digest.models import DeliveryStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.store.events import PAUSED, IssueDeliveries, StatusCount

STATUSES = ("active", "pending", "paused", "unsubscribed", "bounced")
LEAVING = (SubscriberStatus.BOUNCED.value, SubscriberStatus.UNSUBSCRIBED.value)
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
    ends = _week_ends(now, settings.timezone, min(max(weeks, 1), MAX_WEEKS))
    tallies = _tallies(store.statuses_at([end for _, end in ends]), len(ends))
    counted = [WeekCounts(start, tally) for (start, _), tally in zip(ends, tallies, strict=True)]
    return Stats(counted, _outcomes(store, store.issue_deliveries(), now))


def _week_ends(now: datetime, zone: str, weeks: int) -> list[tuple[date, datetime]]:
    """(Monday, the moment the week's counts are taken) for each week, oldest first."""
    today = local(now, zone)
    monday = today.date() - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    tz = today.tzinfo
    return [(s, min(datetime.combine(s + timedelta(weeks=1), time(), tz), now)) for s in starts]


def _tallies(counts: list[StatusCount], moments: int) -> list[dict[str, int]]:
    """Subscribers by STATUSES at each moment, from the store's counts of the statuses
    their last event gave them: a pause over by then counts as active, the erased not."""
    tallies = [dict.fromkeys(STATUSES, 0) for _ in range(moments)]
    for count in counts:
        state = count.status
        if state == PAUSED and not count.running:
            state = SubscriberStatus.ACTIVE.value
        if state in STATUSES:  # not ERASED: the row and its person are gone
            tallies[count.position][state] += count.count
    return tallies


def _outcomes(store: Store, issues: list[IssueDeliveries], now: datetime) -> list[IssueOutcome]:
    """Each issue's ledger, and the subscribers who bounced or unsubscribed from its send
    to the next issue's (or now); none before its first message."""
    starts = sorted({i.started_at for i in issues if i.started_at is not None})
    bounds = [*starts, max(now, *starts)] if starts else []
    people = store.people_in_periods(LEAVING, bounds)
    period_of = {start: i for i, start in enumerate(starts)}
    outcomes = []
    for issue in issues:
        period = -1 if issue.started_at is None else period_of[issue.started_at]  # -1: none
        outcomes.append(
            IssueOutcome(
                number=issue.number,
                subject=issue.subject,
                started_at=issue.started_at,
                sent=issue.counts.get(DeliveryStatus.SENT.value, 0),
                failed=issue.counts.get(DeliveryStatus.FAILED.value, 0),
                skipped=issue.counts.get(DeliveryStatus.SKIPPED.value, 0),
                bounced=people.get((SubscriberStatus.BOUNCED.value, period), 0),
                unsubscribed=people.get((SubscriberStatus.UNSUBSCRIBED.value, period), 0),
            )
        )
    return outcomes
