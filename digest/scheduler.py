"""`digest serve`: APScheduler 3.x wiring and the process around it (no business logic).

- Jobs come from the `schedule:` block (cron expressions in the newsletter's timezone) and
  live in a persistent job store on the same database, so a restart keeps their state.
- Missed runs are coalesced into one, run on start if missed by less than the job's grace
  time; beyond it a run is skipped and recorded as "missed" (a Monday 08:00 send is not
  sent hours late — listmonk #1801). One instance per job at a time.
- Several `serve` processes may point at one database: only the holder of the
  "scheduler" lease runs jobs; the others stand by and take over if it dies.
- SIGTERM / SIGINT: stop taking jobs, let the running one finish, release the lease, exit 0.
"""

from __future__ import annotations

import errno
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from waitress.server import create_server

from digest.app.send import send_interrupted
from digest.app.status import ScheduledJob
from digest.errors import UsageError
from digest.jobs import JOB_NAMES, runner_name
from digest.liveness import is_gone
from digest.settings import Settings, WebSettings
from digest.store import Store, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0
# How late a missed run may still start. An hourly ingest late by 50 minutes is still
# useful; a weekly build or send hours late is not.
GRACE = {"ingest": timedelta(minutes=50), "build": timedelta(hours=2), "send": timedelta(hours=1)}


def make_scheduler(store: Store, settings: Settings) -> BackgroundScheduler:
    """A paused BackgroundScheduler on the store's database, with the configured jobs."""

    class StoppingScheduler(BackgroundScheduler):  # type: ignore[misc]
        """shutdown() wakes APScheduler 3's loop for one last pass over the due jobs, with
        the executors already shut down: a job due at that instant failed to submit, yet
        its run was marked done in the job store, so the slot was lost. No pass once
        stopping; the job is still due when the service starts again."""

        def _process_jobs(self) -> float | None:
            if self.state == STATE_STOPPED:
                return None
            return super()._process_jobs()  # type: ignore[no-any-return]

    scheduler = StoppingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine)},
        # The cron jobs, the confirmation worker and the mailbox reader.
        executors={"default": ThreadPoolExecutor(max_workers=len(JOB_NAMES) + 2)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(settings.timezone),
    )

    def missed(event: Any) -> None:
        log.warning(
            "job %s: missed its %s run by more than its grace time; skipped",
            event.job_id,
            event.scheduled_run_time,
        )
        store.record_missed_run(event.job_id, runner_name(), event.scheduled_run_time, utcnow())

    scheduler.add_listener(missed, EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    sync_jobs(scheduler, settings)
    add_confirmation_worker(scheduler, settings)
    sync_mailbox_reader(scheduler, settings)
    return scheduler


def sync_mailbox_reader(scheduler: BackgroundScheduler, settings: Settings) -> None:
    """Read the bounce and unsubscribe mailbox every `every_minutes` when `mail.mailbox` is
    configured; a job left from a configuration that had one is removed."""
    mailbox = settings.mail.mailbox
    if mailbox is None:
        if scheduler.get_job("mailbox"):
            scheduler.remove_job("mailbox")
        return
    scheduler.add_job(
        "digest.jobs:mailbox",
        trigger="interval",
        seconds=mailbox.every_minutes * 60,
        id="mailbox",
        name="mailbox",
        kwargs={"config_path": str(settings.config_path.resolve())},
        replace_existing=True,
        misfire_grace_time=None,  # late is fine: the mail waits in the mailbox
    )


def add_confirmation_worker(scheduler: BackgroundScheduler, settings: Settings) -> None:
    """The worker that mails queued confirmations: the web only queues them (issue 10,
    item 8). Run by the leader like every job, however late (a confirmation is awaited)."""
    scheduler.add_job(
        "digest.jobs:confirmations",
        trigger="interval",
        seconds=settings.web.confirm_every_seconds,
        id="confirmations",
        name="confirmations",
        kwargs={"config_path": str(settings.config_path.resolve())},
        replace_existing=True,
        misfire_grace_time=None,
    )


def sync_jobs(scheduler: BackgroundScheduler, settings: Settings) -> list[ScheduledJob]:
    """Make the job store match the configuration (a changed cron applies on restart)."""
    timezone = ZoneInfo(settings.timezone)
    for job in JOB_NAMES:
        cron = settings.schedule.get(job)
        existing = scheduler.get_job(job)
        if cron is None:
            if existing:
                scheduler.remove_job(job)
            continue
        trigger = CronTrigger.from_crontab(cron, timezone=timezone)
        kwargs = {"config_path": str(settings.config_path.resolve())}
        if existing and str(existing.trigger) == str(trigger) and existing.kwargs == kwargs:
            # Unchanged: keep the stored job and its next run time. Replacing it would
            # recompute that time from now and silently drop a run missed while the
            # service was down (which must run on start when within grace).
            continue
        scheduler.add_job(
            f"digest.jobs:{job}",
            trigger=trigger,
            id=job,
            name=job,
            kwargs=kwargs,
            replace_existing=True,
            misfire_grace_time=int(GRACE[job].total_seconds()),
        )
    return next_runs(scheduler, settings)


def next_runs(scheduler: BackgroundScheduler, settings: Settings) -> list[ScheduledJob]:
    runs = []
    for job in JOB_NAMES:
        if job in settings.schedule:
            entry = scheduler.get_job(job)
            runs.append(
                ScheduledJob(job, settings.schedule[job], entry.next_run_time if entry else None)
            )
    return runs


def resume_interrupted_send(store: Store, scheduler: BackgroundScheduler) -> bool:
    """An issue left half-sent (a killed serve, a crash) is finished now, not at the next
    weekly slot: the ledger makes the resumed send skip everyone already mailed."""
    if not send_interrupted(store):
        return False
    send_job = scheduler.get_job("send")
    if send_job is None:
        return False
    log.info("scheduler: issue left half-sent; resuming the send now")
    scheduler.add_job(
        send_job.func,
        trigger="date",
        id="send-resume",
        name="send",
        kwargs=send_job.kwargs,
        replace_existing=True,
        misfire_grace_time=None,
    )
    return True


class Leader:
    """Holds the scheduler lease while alive; the scheduler runs only while it does."""

    def __init__(
        self,
        store: Store,
        scheduler: BackgroundScheduler,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.store, self.scheduler, self.clock = store, scheduler, clock
        self.owner = owner or runner_name()
        self.leading = False
        self.beaten = False  # the first beat says whether this process stands by

    def beat(self) -> bool:
        """Take or renew the lease; start or pause the scheduler to match."""
        now = self.clock()
        held = self._acquire(now) or self._take_from_dead_holder(now)
        if held and not self.leading:
            log.info("scheduler: %s leads; jobs run here", self.owner)
            resume_interrupted_send(self.store, self.scheduler)
            self.scheduler.resume()
        elif not held and self.leading:
            log.warning("scheduler: %s lost the lease; standing by", self.owner)
            self.scheduler.pause()
        elif not held and not self.beaten:
            log.info("scheduler: %s stands by; jobs run elsewhere", self.owner)
        self.leading, self.beaten = held, True
        return held

    def _acquire(self, now: datetime, dead_holders: Sequence[str] = ()) -> bool:
        until = now + timedelta(seconds=LEASE_SECONDS)
        return self.store.acquire_lease(LEASE_NAME, self.owner, now, until, dead_holders)

    def _take_from_dead_holder(self, now: datetime) -> bool:
        """A holder on this host whose process is gone (killed, crashed) cannot renew: its
        lease is taken now, not once it expires, as a send's dead claims are."""
        holder = self.store.lease_owner(LEASE_NAME, now)
        return holder is not None and is_gone(holder) and self._acquire(now, [holder])

    def resign(self) -> None:
        self.scheduler.pause()
        if self.leading:
            self.store.release_lease(LEASE_NAME, self.owner)
        self.leading = False


def serve(
    store: Store,
    settings: Settings,
    *,
    host: str,
    port: int,
    app: Callable[..., Any] | None,
    announce: Callable[[str], None],
) -> None:
    """Run the scheduler (when leading) and the web endpoints until SIGTERM or SIGINT."""
    # Bind first: a port in use is an operator's mistake to report before anything starts.
    web = bind_web(app, host, port, settings.web) if app is not None else None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    scheduler = make_scheduler(store, settings)
    for run in next_runs(scheduler, settings):
        when = run.next_run.isoformat() if run.next_run else "never"
        announce(f"job {run.job} ({run.cron}, {settings.timezone}): next run {when}")
    if web is not None:
        _run_web(web, host, announce)
    leader = Leader(store, scheduler)
    try:
        while not stop.is_set():
            leader.beat()
            stop.wait(HEARTBEAT_SECONDS)
    finally:
        announce("stopping: the running job, if any, finishes first")
        if web is not None:
            web.close()
        leader.resign()
        scheduler.shutdown(wait=True)
        store.close()


def bind_web(app: Callable[..., Any], host: str, port: int, limits: WebSettings) -> Any:
    """A waitress server listening on host:port with the configured limits (not yet
    serving); UsageError when the address cannot be taken."""
    try:
        return create_server(
            app,
            host=host,
            port=port,
            threads=limits.threads,
            connection_limit=limits.connection_limit,
            channel_timeout=limits.channel_timeout_seconds,
            max_request_body_size=limits.max_request_body_bytes,
            max_request_header_size=limits.max_request_header_bytes,
            ident="digest",  # the Server header: no version for a scanner to match
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is in use; pick another with --port",
                hint="another program (or another digest serve) listens there",
            ) from exc
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="check --host (an address of this machine) and --port (1024 or above "
            "unless run as root)",
        ) from exc


def _run_web(server: Any, host: str, announce: Callable[[str], None]) -> None:
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    announce(f"web: http://{host}:{server.effective_port}/")
