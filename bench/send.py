"""bench/send.py: messages per second to a local SMTP sink, and the sender's peak memory.

Postfix's `smtp-sink` (Debian package postfix) accepts and discards mail on loopback. A
SQLite store is prepared once (the seed editorial built into an issue, N subscribers) and
copied for each run, so every run starts from the same ledger. Figures: messages per
second with 1, 4 and 8 connections for 10k subscribers (the whole `send_issue`: render,
ledger rows, claims, SMTP, marks), and the peak RSS of a `digest send` process for 100k.

    .venv/bin/python bench/send.py [--subscribers 10000] [--big 100000]

Targets (the issue's): >= 1,000 messages/s, <= 150 MB for 100k subscribers. Exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from processes import digest_command, measure  # noqa: E402  (bench/, beside this script)

from digest.app.build import run_build  # noqa: E402
from digest.app.send import send_issue  # noqa: E402
from digest.config import load_settings  # noqa: E402
from digest.ingest.documents import ingest_documents  # noqa: E402
from digest.mail.transport import SmtpTransport  # noqa: E402
from digest.models import SubscriberStatus  # noqa: E402
from digest.store import open_store  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not Path(sink).exists():
        sys.exit("smtp-sink is missing: apt-get install postfix (then stop its daemon)")
    process = subprocess.Popen([sink, "-u", "nobody", f"127.0.0.1:{port}", "256"])
    for _ in range(50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    sys.exit("smtp-sink did not start")


def prepare(folder: Path, subscribers: int, port: int) -> tuple[Path, Path]:
    """A configuration and a database with one built issue and `subscribers` readers. The
    issue is the one the shipped documents make (65 KB of HTML, the real size of a
    message), not a toy one: the cost per message grows with its size."""
    docs = folder / "documents"
    shutil.copytree(REPO / "documents", docs)
    config = folder / "feeds.yaml"
    config.write_text(
        "newsletter: {title: Bench, base_url: 'https://lettre.example.org'}\n"
        "documents: [documents]\n"
        "mail: {from: 'Bench <bench@example.org>', auto_approve: true}\n"
    )
    database = folder / "prepared.db"
    env = environment(database, port)
    settings = load_settings(config, env=env)
    store = open_store(settings.database_url)
    now = datetime.now(UTC)
    ingest_documents(store, sorted(docs.glob("*.txt")), now - timedelta(minutes=5))
    run_build(store, settings, now)
    people = [(f"reader{i:06d}@example.org", None) for i in range(subscribers)]
    store.add_subscribers(people, SubscriberStatus.ACTIVE, now)
    store.close()
    return config, database


def environment(database: Path, port: int) -> dict[str, str]:
    return {
        "DIGEST_DATABASE_URL": f"sqlite:///{database}",
        "DIGEST_SMTP_URL": f"smtp://127.0.0.1:{port}?tls=none",
        "DIGEST_SECRET_KEY": "bench",
    }


def rate(config: Path, prepared: Path, port: int, connections: int) -> tuple[int, float, float]:
    """Messages sent, wall seconds, and CPU seconds of this process (all send threads):
    on a shared machine the CPU time per message is the steadier figure to compare."""
    database = prepared.with_name(f"run-{connections}.db")
    shutil.copy(prepared, database)
    settings = load_settings(config, env=environment(database, port))
    settings = replace(
        settings,
        mail=replace(settings.mail, smtp=replace(settings.mail.smtp, connections=connections)),
    )
    store = open_store(settings.database_url)
    started, cpu = time.perf_counter(), time.process_time()
    report = send_issue(
        store, settings, 1, SmtpTransport(settings.mail.smtp), clock=lambda: datetime.now(UTC)
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return report.sent, elapsed, cpu


def peak_rss(config: Path, prepared: Path, port: int) -> tuple[int, float]:
    database = prepared.with_name("big.db")
    shutil.copy(prepared, database)
    env = {**os.environ, **environment(database, port)}
    command = digest_command("--config", str(config), "send", "1", "--connections", "4")
    run = measure(command, env)
    if run.code != 0:
        sys.exit(f"digest send failed with exit code {run.code}")
    store = open_store(f"sqlite:///{database}")
    sent = sum(n for s, n in store.delivery_counts(1).items() if s.value == "sent")
    store.close()
    return sent, run.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    args = parser.parse_args()
    port = free_port()
    sink = start_sink(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "small").mkdir()
            config, prepared = prepare(folder / "small", args.subscribers, port)
            best = 0.0
            for connections in (1, 4, 8):
                sent, elapsed, cpu = rate(config, prepared, port, connections)
                best = max(best, sent / elapsed)
                print(
                    f"send {sent} messages with {connections} connection(s): {elapsed:.1f} s "
                    f"= {sent / elapsed:.0f} msgs/s; CPU {cpu:.1f} s "
                    f"= {cpu / max(sent, 1) * 1e6:.0f} µs/msg",
                    flush=True,
                )
            print(
                f"best rate {best:.0f} msgs/s (target >= 1000): "
                f"{'MET' if best >= 1000 else 'NOT MET'}"
            )
            if args.big:
                (folder / "big").mkdir()
                config, prepared = prepare(folder / "big", args.big, port)
                sent, peak = peak_rss(config, prepared, port)
                print(
                    f"digest send to {sent} subscribers: peak RSS {peak:.0f} MB "
                    f"(target <= 150 MB): {'MET' if peak <= 150 else 'NOT MET'}"
                )
    finally:
        sink.kill()


if __name__ == "__main__":
    main()
