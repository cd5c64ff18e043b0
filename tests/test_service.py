"""`digest serve` as operators run it: real processes on one database. Two serves run each
job once; a run missed while the service was down runs on start; a serve killed during a
send and restarted finishes the send with no duplicates; SIGTERM during an ingest exits
cleanly and leaves the history consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.models import IssueStatus, SubscriberStatus
from digest.pipeline import run_build
from digest.scheduler import make_scheduler
from digest.store import Store, open_store

from .conftest import DOCUMENTS
from .feedserver import FeedServer, Route
from .smtpserver import SmtpServer

DIGEST = str(Path(sys.executable).parent / "digest")


def write_config(tmp_path: Path, schedule: str, extra: str = "") -> Path:
    docs = tmp_path / "documents"
    docs.mkdir(exist_ok=True)
    (docs / "004.txt").write_bytes((DOCUMENTS / "004_c8bb9166e346ef4b.txt").read_bytes())
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "newsletter: {title: Test, base_url: 'https://lettre.example.org'}\n"
        f"timezone: Europe/Paris\nschedule: {schedule}\ndocuments: [documents]\n"
        "mail: {from: 'Test <t@example.org>', auto_approve: true, smtp: {connections: 2}}\n"
        + extra,
        encoding="utf-8",
    )
    return config


def due_now(store: Store, config: Path, env: dict[str, str], job: str) -> None:
    """Store the schedule with `job` due now, as if the service had been down at its slot.
    The job store is edited directly: a scheduler's own final pass at shutdown would
    consume the due run (APScheduler processes due jobs once more when stopping)."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    make_scheduler(store, load_settings(config, env=env)).shutdown(wait=False)
    jobstore = SQLAlchemyJobStore(engine=store.engine)
    jobstore.start(BackgroundScheduler(), "default")
    stored = jobstore.lookup_job(job)
    stored.next_run_time = datetime.now(UTC) - timedelta(seconds=1)
    jobstore.update_job(stored)


def serve(config: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [DIGEST, "--config", str(config), "serve", "--no-web"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def test_two_serve_processes_run_a_job_once(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, "{ingest: '0 3 * * *'}")
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url}
    store = open_store(database_url)
    due_now(store, config, env, "ingest")
    first, second = serve(config, env), serve(config, env)
    try:
        wait_for(lambda: any(r.outcome == "ok" for r in store.job_runs(job="ingest")))
        time.sleep(3)  # room for a second run, if the lease failed
    finally:
        codes = [stop(first), stop(second)]
    assert codes == [0, 0]
    runs = store.job_runs(job="ingest")
    assert [r.outcome for r in runs] == ["ok"]  # once, by one of the two
    assert runs[0].counts["new_items"] == 1
    store.close()


def test_a_killed_serve_finishes_the_send_on_restart(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> None:
    config = write_config(tmp_path, "{send: '0 8 * * mon'}")
    env = {
        **os.environ,
        "DIGEST_DATABASE_URL": database_url,
        "DIGEST_SMTP_URL": smtp_server.url,
        "DIGEST_SECRET_KEY": "service-test",
    }
    store = open_store(database_url)
    now = datetime.now(UTC)
    ingest_documents(store, [tmp_path / "documents" / "004.txt"], now - timedelta(minutes=5))
    issue = run_build(store, load_settings(config, env=env), now).issue
    assert issue is not None
    people = [(f"reader{i:04d}@example.org", None) for i in range(1500)]
    store.add_subscribers(people, SubscriberStatus.ACTIVE, now)
    due_now(store, config, env, "send")
    process = serve(config, env)
    wait_for(lambda: len(smtp_server.handler.received) >= 100)
    process.send_signal(signal.SIGKILL)  # mid-send, no chance to finish or clean up
    process.wait()
    assert store.get_issue(issue.number).status is IssueStatus.SENDING
    restarted = serve(config, env)
    try:
        wait_for(lambda: store.get_issue(issue.number).status is IssueStatus.SENT, 120)
    finally:
        assert stop(restarted) == 0
    counts = Counter(r.recipient for r in smtp_server.handler.received)
    assert set(counts) == {address for address, _ in people}
    assert sum(n - 1 for n in counts.values()) <= 2  # at most one per open connection
    store.close()


def test_sigterm_during_an_ingest_exits_cleanly(
    tmp_path: Path, database_url: str, feed_server: FeedServer
) -> None:
    slow = feed_server.add("/slow.xml", Route(body=b"<rss></rss>", delay=4.0))
    config = write_config(
        tmp_path,
        "{ingest: '0 3 * * *'}",
        f"feeds: [{{name: slow, url: '{slow}'}}]\nfetch: {{timeout_seconds: 8}}\n",
    )
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url}
    store = open_store(database_url)
    due_now(store, config, env, "ingest")
    process = serve(config, env)
    wait_for(lambda: any(r.outcome == "running" for r in store.job_runs(job="ingest")))
    started = time.monotonic()
    assert stop(process) == 0
    assert time.monotonic() - started < 30  # the running ingest finished, bounded by its timeout
    (run,) = store.job_runs(job="ingest")
    assert run.outcome == "ok" and run.finished_at is not None  # nothing left half-recorded
    assert store.lease_owner("scheduler", datetime.now(UTC)) is None
    store.close()
