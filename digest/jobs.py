"""The scheduled jobs: ingest, build, send, mailbox — each one use case of digest.app,
recorded.

APScheduler stores jobs by reference ("digest.jobs:ingest") with the configuration path
as their only argument, so a job survives restarts and reads the configuration afresh.
Each run is recorded in `job_run` (start, end, outcome, counts, error). Errors are
caught here, recorded and logged with their traceback: the scheduler keeps going.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from digest.app.build import run_build
from digest.app.ingest import ingest_sources
from digest.app.mailbox import read_mailbox
from digest.app.send import scheduled_send
from digest.app.subscribe import send_confirmations
from digest.config import load_settings
from digest.settings import Settings
from digest.store import Store, open_store, utcnow

log = logging.getLogger(__name__)

JOB_NAMES = ("ingest", "build", "send")


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def ingest(config_path: str) -> None:
    _run("ingest", config_path, _ingest)


def build(config_path: str) -> None:
    _run("build", config_path, _build)


def send(config_path: str) -> None:
    _run("send", config_path, _send)


def mailbox(config_path: str) -> None:
    """Read the bounce and unsubscribe mailbox (mail.mailbox), every few minutes."""
    _run("mailbox", config_path, _mailbox)


def confirmations(config_path: str) -> None:
    """Mail the queued subscription confirmations. Runs every few seconds, so it logs
    instead of adding a `job_run` row each time (the history would be nothing else)."""
    settings = load_settings(Path(config_path))
    store = open_store(settings.database_url, migrate=False)  # serve migrated at start
    try:
        report = send_confirmations(store, settings, utcnow())
    except Exception:
        log.exception("job confirmations: failed")
    else:
        if report.sent or report.failed:
            log.info("job confirmations: %d sent, %d failed", report.sent, len(report.failed))
    finally:
        store.close()


def _run(
    job: str, config_path: str, body: Callable[[Store, Settings, datetime], dict[str, int]]
) -> None:
    settings = load_settings(Path(config_path))
    store = open_store(settings.database_url)
    run_id = store.start_job_run(job, runner_name(), utcnow())
    log.info("job %s: started (run %d)", job, run_id)
    try:
        counts = body(store, settings, utcnow())
    except Exception as exc:
        store.finish_job_run(run_id, utcnow(), "failed", {}, f"{type(exc).__name__}: {exc}")
        log.exception("job %s: failed (run %d)", job, run_id)
    else:
        store.finish_job_run(run_id, utcnow(), "ok", counts)
        log.info("job %s: done (run %d) %s", job, run_id, counts)
    finally:
        store.close()


def _ingest(store: Store, settings: Settings, now: datetime) -> dict[str, int]:
    report = ingest_sources(store, settings, now)
    return {
        "sources": len(report.sources),
        "new_items": report.new_items,
        "failed_sources": len(report.failed),
    }


def _mailbox(store: Store, settings: Settings, now: datetime) -> dict[str, int]:
    return read_mailbox(store, settings, now).counts()


def _build(store: Store, settings: Settings, now: datetime) -> dict[str, int]:
    result = run_build(store, settings, now)
    if result.issue is None:
        return {"issue": 0, "entries": 0}
    return {"issue": result.issue.number, "entries": len(result.issue.entries)}


def _send(store: Store, settings: Settings, now: datetime) -> dict[str, int]:
    report = scheduled_send(store, settings, clock=utcnow)
    if report is None:
        return {"issue": 0, "sent": 0}
    if report.stopped:
        raise RuntimeError(f"send of issue {report.issue} stopped: {report.stopped}")
    return {
        "issue": report.issue,
        "sent": report.sent,
        "failed": len(report.failed),
        "skipped": len(report.skipped),
        "waiting": report.waiting,
    }
