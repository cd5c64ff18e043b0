"""Crash test: `digest send` to 2,000 subscribers is killed (SIGKILL) at random moments
several times, then re-run until done. The real SMTP server's log must show every
subscriber, with at most one duplicate per open connection per kill."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.app.build import run_build
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.models import DeliveryStatus, IssueStatus, SubscriberStatus
from digest.store import open_store

from .conftest import DOCUMENTS
from .smtpserver import SmtpServer
from .waiting import wait_for

SUBSCRIBERS = 2000
CONNECTIONS = 2
KILLS = 3


def test_killed_sends_resume_without_losing_or_repeating(
    tmp_path: Path, database_url: str, smtp_server: SmtpServer
) -> None:
    config = tmp_path / "feeds.yaml"
    docs = tmp_path / "documents"
    docs.mkdir()
    shutil.copy(DOCUMENTS / "004_c8bb9166e346ef4b.txt", docs)
    config.write_text(
        "newsletter: {title: Test, base_url: 'https://lettre.example.org'}\n"
        "documents: [documents]\n"
        f"mail: {{from: 'Test <t@example.org>', auto_approve: true, smtp: {{connections: "
        f"{CONNECTIONS}}}}}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DIGEST_DATABASE_URL": database_url,
        "DIGEST_SMTP_URL": smtp_server.url,
        "DIGEST_SECRET_KEY": "crash-test-key-0123456789",
    }
    settings = load_settings(config, env=env)
    store = open_store(database_url)
    now = datetime.now(UTC)
    ingest_documents(store, [docs / "004_c8bb9166e346ef4b.txt"], now - timedelta(minutes=5))
    issue = run_build(store, settings, now).issue
    assert issue is not None
    people = [(f"reader{i:04d}@example.org", None) for i in range(SUBSCRIBERS)]
    store.add_subscribers(people, SubscriberStatus.ACTIVE, now)

    command = [
        str(Path(sys.executable).parent / "digest"),
        "--config",
        str(config),
        "send",
        str(issue.number),
    ]
    # Kill at random points of the send, chosen by how many messages the server has
    # received (a timer is no good: how far a send gets in N seconds depends on the host).
    rng = random.Random(2026)
    targets = sorted(rng.sample(range(100, SUBSCRIBERS - 100), KILLS))
    kills = 0
    for target in targets:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(
            lambda target=target, process=process: (
                len(smtp_server.handler.received) >= target or process.poll() is not None
            ),
            120,
            what=f"the send reaching {target} messages",
            interval=0.005,  # the kill lands close to its target
        )
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills == KILLS
    for _ in range(3):  # then let it finish (a run may end early only on a server error)
        if subprocess.run(command, env=env, capture_output=True, timeout=300).returncode == 0:
            break

    counts = Counter(r.recipient for r in smtp_server.handler.received)
    assert set(counts) == {address for address, _ in people}  # nobody lost
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= kills * CONNECTIONS, (duplicates, kills)
    assert store.get_issue(issue.number).status is IssueStatus.SENT
    store.close()


def test_several_send_processes_share_one_issue_on_postgresql(
    tmp_path: Path, postgresql_database_url: str, smtp_server: SmtpServer
) -> None:
    # PostgreSQL only: FOR UPDATE SKIP LOCKED lets several processes share an issue;
    # SQLite has one writer, and its claims are tested by the crash test above.
    database_url = postgresql_database_url
    config = tmp_path / "feeds.yaml"
    docs = tmp_path / "documents"
    docs.mkdir()
    shutil.copy(DOCUMENTS / "004_c8bb9166e346ef4b.txt", docs)
    config.write_text(
        "newsletter: {title: Test, base_url: 'https://lettre.example.org'}\n"
        "documents: [documents]\n"
        "mail: {from: 'Test <t@example.org>', auto_approve: true, smtp: {connections: 2}}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DIGEST_DATABASE_URL": database_url,
        "DIGEST_SMTP_URL": smtp_server.url,
        "DIGEST_SECRET_KEY": "shared-send-key-0123456789",
    }
    store = open_store(database_url)
    now = datetime.now(UTC)
    ingest_documents(store, [docs / "004_c8bb9166e346ef4b.txt"], now - timedelta(minutes=5))
    issue = run_build(store, load_settings(config, env=env), now).issue
    assert issue is not None
    people = [(f"shared{i:04d}@example.org", None) for i in range(600)]
    store.add_subscribers(people, SubscriberStatus.ACTIVE, now)
    store.approve_issue(issue.number, now)
    store.open_deliveries(issue.number, now)  # rows first, so no process races to create them
    command = [
        str(Path(sys.executable).parent / "digest"),
        "--config",
        str(config),
        "send",
        str(issue.number),
    ]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(3)
    ]
    assert [p.wait(timeout=300) for p in processes] == [0, 0, 0]
    counts = Counter(r.recipient for r in smtp_server.handler.received)
    assert set(counts) == {address for address, _ in people}
    assert max(counts.values()) == 1  # each recipient once, whichever process sent it
    runners = {d.status for d in store.deliveries(issue.number)}
    assert runners == {DeliveryStatus.SENT}
    store.close()
