"""Use case: what `digest status` shows: sources, the schedule, the last job runs, the
current issue and its delivery progress, gathered in one snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from digest.models import DeliveryStatus, Issue, SourceState
from digest.settings import Settings
from digest.store import StoreReader
from digest.store.reader import JobRun


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """A configured job and when it runs next (None: never); the scheduler reports the
    same, read from its job store."""

    job: str
    cron: str
    next_run: datetime | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    sources: list[SourceState]
    schedule: list[ScheduledJob]
    runs: list[JobRun]
    issue: Issue | None
    deliveries: dict[DeliveryStatus, int]
    scheduler_leader: str | None


def snapshot(store: StoreReader, settings: Settings, now: datetime) -> Snapshot:
    issue = store.latest_issue()  # not every issue, with its sections and entries
    return Snapshot(
        sources=store.list_sources(),
        schedule=next_fire_times(settings, now),
        runs=store.job_runs(limit=10),
        issue=issue,
        deliveries=store.delivery_counts(issue.number) if issue else {},
        scheduler_leader=store.lease_owner("scheduler", now),
    )


def next_fire_times(settings: Settings, now: datetime) -> list[ScheduledJob]:
    """When each configured job runs next, computed from its cron expression."""
    zone = ZoneInfo(settings.timezone)
    jobs = []
    for job, cron in settings.schedule.items():
        trigger = CronTrigger.from_crontab(cron, timezone=zone)
        jobs.append(ScheduledJob(job, cron, trigger.get_next_fire_time(None, now.astimezone(zone))))
    return jobs
