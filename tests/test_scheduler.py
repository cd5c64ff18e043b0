"""The scheduler with controlled time and a real database: cron times in the newsletter's
timezone (DST included), missed runs within and beyond grace, coalescing, the leader
lease, and a clean SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.app.status import next_fire_times
from digest.config import load_settings
from digest.scheduler import Leader, make_scheduler
from digest.store import Store, open_store

from .conftest import DOCUMENTS
from .waiting import wait_for


def write_config(tmp_path: Path, schedule: str) -> Path:
    docs = tmp_path / "documents"
    docs.mkdir(exist_ok=True)
    shutil.copy(DOCUMENTS / "004_c8bb9166e346ef4b.txt", docs)
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Test}\ntimezone: Europe/Paris\n"
        f"schedule: {schedule}\ndocuments: [documents]\n"
        "mail: {from: 'T <t@example.org>', auto_approve: true}\n",
        encoding="utf-8",
    )
    return path


def test_cron_times_follow_the_timezone_across_dst(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, "{send: '0 8 * * mon'}"), env={})
    before = next_fire_times(settings, datetime(2026, 10, 14, tzinfo=UTC))[0].next_run
    after = next_fire_times(settings, datetime(2026, 10, 21, tzinfo=UTC))[0].next_run
    assert before is not None and after is not None
    # Paris leaves summer time on Sunday 25 October 2026: 08:00 is 06:00 UTC the Monday
    # before and 07:00 UTC the Monday after.
    assert before.astimezone(UTC) == datetime(2026, 10, 19, 6, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)


def _settings(tmp_path: Path, database_url: str, schedule: str):  # type: ignore[no-untyped-def]
    return load_settings(
        write_config(tmp_path, schedule), env={"DIGEST_DATABASE_URL": database_url}
    )


def test_missed_runs_within_grace_run_once_and_beyond_are_recorded(
    tmp_path: Path, database_url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jobs read the configuration afresh, in the environment of the serving process.
    monkeypatch.setenv("DIGEST_DATABASE_URL", database_url)
    settings = _settings(tmp_path, database_url, "{ingest: '*/5 * * * *', send: '0 8 * * mon'}")
    scheduler = make_scheduler(store, settings)
    try:
        now = datetime.now(UTC)
        # ingest missed three slots within its grace: coalesced into one run on start.
        scheduler.modify_job("ingest", next_run_time=now - timedelta(minutes=14))
        # send missed its slot by three hours, beyond its one-hour grace: skipped.
        scheduler.modify_job("send", next_run_time=now - timedelta(hours=3))
        Leader(store, scheduler).beat()
        wait_for(lambda: any(r.job == "ingest" and r.outcome == "ok" for r in store.job_runs()))
        wait_for(lambda: any(r.job == "send" and r.outcome == "missed" for r in store.job_runs()))
        # The pass that ran ingest hands it every run time at once (coalesced or not), then
        # moves its next run past now: from then on only the executor may still be running
        # repeats, and shutdown(wait=True) below waits for them.
        wait_for(
            lambda: scheduler.get_job("ingest").next_run_time > datetime.now(UTC),
            what="the scheduler's pass moving ingest to its next slot",
        )
    finally:
        scheduler.shutdown(wait=True)
    runs = store.job_runs(limit=50)
    assert [r.job for r in runs if r.job == "ingest"] == ["ingest"]  # once, not three times
    missed = [r for r in runs if r.job == "send"]
    assert [r.outcome for r in missed] == ["missed"] and "grace" in (missed[0].error or "")
    ingest = next(r for r in runs if r.job == "ingest")
    assert ingest.counts["new_items"] == 1 and ingest.finished_at is not None


def test_a_run_due_at_shutdown_is_kept_for_the_next_start(
    tmp_path: Path, database_url: str, store: Store
) -> None:
    settings = _settings(tmp_path, database_url, "{ingest: '0 * * * *'}")
    scheduler = make_scheduler(store, settings)  # paused: standing by, or just resigned
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    scheduler.modify_job("ingest", next_run_time=due)
    scheduler.shutdown(wait=True)  # its loop wakes once more as it stops
    store.close()
    again = open_store(database_url)
    restarted = make_scheduler(again, settings)
    try:
        # Not consumed: the restarted service runs it (it is within the job's grace).
        assert restarted.get_job("ingest").next_run_time == due
    finally:
        restarted.shutdown(wait=False)
        again.close()


def test_only_one_leader_runs_jobs(store: Store, tmp_path: Path, database_url: str) -> None:
    settings = _settings(tmp_path, database_url, "{ingest: '0 * * * *'}")
    first, second = make_scheduler(store, settings), make_scheduler(store, settings)
    clock = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    a = Leader(store, first, clock=lambda: clock, owner="host:1")
    b = Leader(store, second, clock=lambda: clock, owner="host:2")
    try:
        assert a.beat() and not b.beat()
        later = clock + timedelta(seconds=60)  # a stopped heartbeating: its lease ran out
        b.clock = lambda: later
        assert b.beat() and store.lease_owner("scheduler", later) == "host:2"
        a.clock = lambda: later
        assert not a.beat() and not a.leading
        b.resign()
        assert store.lease_owner("scheduler", later) is None
    finally:
        first.shutdown(wait=False)
        second.shutdown(wait=False)


def test_a_dead_holder_on_this_host_loses_the_lease_at_once(
    store: Store, tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url, "{ingest: '0 * * * *'}")
    scheduler = make_scheduler(store, settings)
    clock = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    gone = _reaped_pid()
    here = socket.gethostname()
    try:
        for holder, taken in (
            (f"{here}:{gone}", True),  # its process is gone: no need to wait for expiry
            (f"{here}:{os.getpid()}", False),  # alive (this very process)
            (f"elsewhere:{gone}", False),  # another host: judged by expiry alone
        ):
            store.release_lease("scheduler", store.lease_owner("scheduler", clock) or "")
            assert Leader(store, scheduler, clock=lambda: clock, owner=holder).beat()
            successor = Leader(store, scheduler, clock=lambda: clock, owner=f"{here}:0")
            assert successor.beat() is taken, holder
            successor.resign()
    finally:
        scheduler.shutdown(wait=False)


def _reaped_pid() -> int:
    """The pid of a process that ran here and is gone (exited and reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_sigterm_stops_serve_cleanly(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, "{ingest: '0 * * * *'}")
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "digest"), "--config", str(config), "serve", "--no-web"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stderr.readline() if process.stderr else ""
        assert "job ingest" in line and "next run" in line
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - started < 30
    finally:
        if process.poll() is None:
            process.kill()
    from digest.store import open_store

    after = open_store(database_url)
    assert after.lease_owner("scheduler", datetime.now(UTC)) is None  # released
    after.close()


@pytest.fixture(autouse=True)
def _quiet_scheduler_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="apscheduler")
