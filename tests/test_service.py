"""`digest serve` as operators run it: real processes on one database. Two serves run each
job once; a run missed while the service was down runs on start; a serve killed during a
send and restarted finishes the send with no duplicates; SIGTERM during an ingest exits
cleanly and leaves the history consistent."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from digest.app.build import run_build
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.mail.identity import unsubscribe_token
from digest.models import IssueStatus, SubscriberStatus
from digest.scheduler import LEASE_SECONDS, make_scheduler
from digest.store import Store, open_store

from .conftest import DOCUMENTS
from .feedserver import FeedServer, Route
from .smtpserver import Handler, SmtpServer, free_port
from .waiting import logged, wait_for

DIGEST = str(Path(sys.executable).parent / "digest")
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


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


def serve(config: Path, env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """A real `digest serve --no-web`; its stderr goes to `log` when given."""
    with (log or Path(os.devnull)).open("wb") as stderr:  # the child keeps its own copy
        return subprocess.Popen(
            [DIGEST, "--config", str(config), "serve", "--no-web"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def holder(process: subprocess.Popen[bytes]) -> str:
    """The name a serve process holds the scheduler lease under."""
    return f"{socket.gethostname()}:{process.pid}"


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def test_two_serve_processes_run_a_job_once(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, "{ingest: '0 3 * * *'}")
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url, "DIGEST_LOG_LEVEL": "INFO"}
    store = open_store(database_url)
    due_now(store, config, env, "ingest")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first, second = serve(config, env, logs[0]), serve(config, env, logs[1])
    try:
        wait_for(lambda: any(r.outcome == "ok" for r in store.job_runs(job="ingest")))
        # Each process decides at its first heartbeat, before any job can run there: once
        # both have, only a leader can run anything until one of them stops.
        wait_for(
            lambda: all(logged(log, " leads; ") or logged(log, " stands by; ") for log in logs),
            what="both serves' first heartbeat",
        )
        leaders = [log.name for log in logs if logged(log, " leads; ")]
    finally:
        codes = [stop(first), stop(second)]
    assert codes == [0, 0]
    assert len(leaders) == 1, leaders  # the other stood by
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
        "DIGEST_SECRET_KEY": "service-test-key-0123456789",
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


def test_a_killed_serve_is_replaced_at_once(tmp_path: Path, database_url: str) -> None:
    """The lease of a serve killed on this host is taken by the next one at its first
    heartbeat, not once the dead holder's lease expires (LEASE_SECONDS later)."""
    config = write_config(tmp_path, "{ingest: '0 3 * * *'}")
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url}
    store = open_store(database_url)
    started = datetime.now(UTC)  # the killed serve's lease runs until after started + LEASE
    killed = serve(config, env)
    try:
        wait_for(lambda: store.lease_owner("scheduler", datetime.now(UTC)) == holder(killed))
    finally:
        killed.send_signal(signal.SIGKILL)  # no chance to release the lease
        killed.wait()
    replacement = serve(config, env)
    try:
        wait_for(
            lambda: store.lease_owner("scheduler", datetime.now(UTC)) == holder(replacement),
            LEASE_SECONDS,
            what="the replacement taking the lease",
        )
        assert datetime.now(UTC) < started + timedelta(seconds=LEASE_SECONDS)  # not expired
    finally:
        assert stop(replacement) == 0
    store.close()


def test_sigterm_during_an_ingest_exits_cleanly(
    tmp_path: Path, database_url: str, feed_server: FeedServer
) -> None:
    # The feed answers once the service is stopping (6 s at most, within the fetch timeout).
    answer = threading.Event()
    slow = feed_server.add("/slow.xml", Route(body=b"<rss></rss>", delay=6.0, release=answer))
    config = write_config(
        tmp_path,
        "{ingest: '0 3 * * *'}",
        f"feeds: [{{name: slow, url: '{slow}'}}]\nfetch: {{timeout_seconds: 8}}\n",
    )
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url}
    store = open_store(database_url)
    due_now(store, config, env, "ingest")
    log = tmp_path / "serve.log"
    process = serve(config, env, log)
    wait_for(lambda: any(r.outcome == "running" for r in store.job_runs(job="ingest")))
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    wait_for(lambda: logged(log, "stopping: the running job"), what="the service stopping")
    assert [r.outcome for r in store.job_runs(job="ingest")] == ["running"]  # still fetching
    answer.set()
    assert process.wait(timeout=60) == 0
    assert time.monotonic() - started < 30  # the running ingest finished, bounded by its timeout
    (run,) = store.job_runs(job="ingest")
    assert run.outcome == "ok" and run.finished_at is not None  # nothing left half-recorded
    assert store.lease_owner("scheduler", datetime.now(UTC)) is None
    store.close()


REAL_KEY = "a-real-secret-key-for-tests-0123456789"


def digest(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DIGEST, "--config", str(config), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def without_key(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DIGEST_DATABASE_URL": database_url}
    env.pop("DIGEST_SECRET_KEY", None)
    return {**env, **extra}


def test_serve_refuses_the_sample_or_a_short_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "{}")
    database = f"sqlite:///{tmp_path / 'digest.db'}"
    for env in (
        without_key(database),
        without_key(database, DIGEST_SECRET_KEY="sample-only-not-a-secret"),
        without_key(database, DIGEST_SECRET_KEY="short"),
    ):
        result = digest(config, env, "serve", "--port", "0")
        assert result.returncode == 2, result.stderr
        assert "DIGEST_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
        assert "secrets.token_urlsafe(32)" in result.stderr  # the fix, ready to paste


def test_an_smtp_send_refuses_to_start_without_a_key(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    config = write_config(tmp_path, "{}")
    env = without_key(f"sqlite:///{tmp_path / 'digest.db'}", DIGEST_SMTP_URL=smtp_server.url)
    for command in (["send", "1"], ["run"], ["serve", "--no-web"]):
        result = digest(config, env, *command)
        assert result.returncode == 2, (command, result.stderr)
        assert "needs DIGEST_SECRET_KEY" in result.stderr and "over SMTP" in result.stderr
    assert smtp_server.handler.received == []


def test_the_outbox_and_the_preview_still_work_with_the_sample_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "{}", "")
    text = config.read_text().replace(
        "auto_approve: true", "auto_approve: true, demo_subscriber: 'ed@example.org'"
    )
    config.write_text(text)
    env = without_key(f"sqlite:///{tmp_path / 'digest.db'}", DIGEST_OFFLINE="1")
    result = digest(config, env, "run")
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "outbox").rglob("*.eml"))  # signed with the sample key, offline
    preview = subprocess.Popen(
        [DIGEST, "--config", str(config), "preview", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert preview.stderr is not None
        line = preview.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        assert httpx.get(url.group(0), timeout=10).status_code == 200
    finally:
        preview.send_signal(signal.SIGINT)
        preview.wait(timeout=30)


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path, "{}")
    env = without_key(f"sqlite:///{tmp_path / 'digest.db'}", DIGEST_SECRET_KEY=REAL_KEY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = digest(config, env, "serve", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use; pick another with --port" in result.stderr
    assert "Traceback" not in result.stderr


def serve_web(config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A real `digest serve` with its web endpoints, once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [DIGEST, "--config", str(config), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return process.poll() is not None  # exited: stop waiting, the test will say

    wait_for(answers)
    return process, base


def test_public_responses_are_hardened(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, "{}")
    env = without_key(database_url, DIGEST_SECRET_KEY=REAL_KEY)
    process, base = serve_web(config, env)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            pages = {
                path: client.get(path)
                for path in ("/", "/subscribe", "/feed.xml", "/nope", "/u/forged.token")
            }
            huge = [client.get(f"/issues/{n}") for n in ("9" * 30, "2147483648", "0")]
            odd = [client.get(f"/issues/{n}") for n in ("-1", "abc", "1e9")]
            wrong_method = client.delete("/subscribe")
            # A body far past web.max_request_body_bytes (64 KiB) is refused by waitress
            # before any of it reaches the app, and the server goes on answering.
            bomb = client.post(
                "/subscribe",
                content=b"email=" + b"a" * (2 * 1024 * 1024),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            after_bomb = client.get("/healthz")
    finally:
        assert stop(process) == 0
    assert bomb.status_code == 413 and after_bomb.status_code == 200
    for response in [*pages.values(), *huge, *odd, wrong_method]:
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert "script-src" not in policy  # no script may run on a public page
        assert "unsafe-inline" not in policy  # nor any style but /site.css (issue 14)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert [r.status_code for r in huge + odd] == [404] * 6
    assert all("Numéro introuvable" in r.text or "Page introuvable" in r.text for r in huge)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, HEAD, POST"


@dataclass
class SlowHandler(Handler):
    """Holds the DATA of one recipient until released, `delay` seconds at most: a hanging
    SMTP server."""

    slow: str = ""
    delay: float = 0.0
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.slow in envelope.rcpt_tos:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, self.delay)
        return await super().handle_DATA(server, session, envelope)


def timed_post(url: str, data: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    response = httpx.post(url, data=data, timeout=60)
    return response.status_code, time.monotonic() - started


def test_a_hanging_smtp_server_no_longer_delays_the_web(tmp_path: Path, database_url: str) -> None:
    handler = SlowHandler(slow="slow@example.org", delay=30.0)
    smtp = SmtpServer()
    smtp.handler = smtp.controller.handler = handler
    smtp.start()
    config = write_config(tmp_path, "{}", "web: {confirm_every_seconds: 1}\n")
    env = without_key(database_url, DIGEST_SECRET_KEY=REAL_KEY, DIGEST_SMTP_URL=smtp.url)
    store = open_store(database_url)
    (reader,) = store.add_subscribers([("reader@example.org", None)], SubscriberStatus.ACTIVE, NOW)
    process, base = serve_web(config, env)
    try:
        first = timed_post(f"{base}/subscribe", {"email": "slow@example.org"})
        assert handler.holding.wait(30), "the worker never picked up the confirmation"
        # The worker is stuck in DATA: the web must not be.
        second = timed_post(f"{base}/subscribe", {"email": "fast@example.org"})
        token = unsubscribe_token(REAL_KEY, reader.id, reader.token_nonce)
        third = timed_post(f"{base}/u/{token}", {"List-Unsubscribe": "One-Click"})
        # Held until here (each POST must take < 3 s, far below `delay`): the worker goes on.
        handler.released.set()
        wait_for(lambda: len(handler.to("fast@example.org")) == 1, 60)  # next tick
    finally:
        handler.released.set()
        assert stop(process) == 0
        smtp.stop()
    print("POST timings with SMTP holding DATA:", first, second, third)
    for status, seconds in (first, second, third):
        # Before: each POST waited for the server (up to the SMTP timeout; DATA is held here
        # until all three are answered).
        # The margin is for a loaded test machine (first requests import modules).
        assert status == 200 and seconds < 3.0, (status, seconds)
    assert store.get_subscriber(reader.id).status is SubscriberStatus.UNSUBSCRIBED
    (mail,) = handler.to("fast@example.org")
    assert "/confirm/" in mail.message.get_content()
    assert store.find_subscribers(["slow@example.org"])["slow@example.org"].status is (
        SubscriberStatus.PENDING  # until the person clicks
    )
    store.close()


def test_twenty_posts_for_one_victim_mail_one_confirmation(
    tmp_path: Path, database_url: str
) -> None:
    config = write_config(
        tmp_path, "{}", "web: {confirm_every_seconds: 1, subscribes_per_client_per_hour: 30}\n"
    )
    env = without_key(database_url, DIGEST_SECRET_KEY=REAL_KEY)  # the outbox transport
    store = open_store(database_url)
    process, base = serve_web(config, env)
    outbox = tmp_path / "outbox" / "confirmations"
    try:
        answers = {
            (r.status_code, r.text)
            for r in (
                httpx.post(f"{base}/subscribe", data={"email": "victim@example.org"}, timeout=30)
                for _ in range(20)
            )
        }
        # Every queued confirmation sent: no further mail can come (the POSTs are answered).
        wait_for(
            lambda: (
                (queued := store.list_confirmations())
                and all(c.sent_at is not None for c in queued)
            ),
            what="the confirmation queue emptied",
        )
    finally:
        assert stop(process) == 0
    assert len(answers) == 1 and next(iter(answers))[0] == 200  # one answer for all
    assert len(store.list_confirmations()) == 1  # one queued for twenty requests
    assert len(list(outbox.glob("*.eml"))) == 1
    store.close()
