"""bench/stats.py: `digest stats` on a large list, on SQLite and PostgreSQL (issue 14).

A store is filled straight through SQL (the fast way; the history is what the store's
queries would have written): N subscribers who signed up over the past year, E events in
all (each subscriber's sign-up, then pauses with their end, resumptions, unsubscriptions,
bounces, a few erasures, at random times after it), and weekly sent issues with a ledger
row for every subscriber. Figures: `gather_stats` in this process (best of 3, and its
peak of Python allocations, tracemalloc), and whole `digest stats --json` processes
(wall time, peak RSS), beside the same command on an empty store (the fixed cost).

    .venv/bin/python bench/stats.py [--subscribers 50000] [--events 200000] [--issues 12]
        [--weeks 12,52,520] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

`--postgres ''` skips PostgreSQL. Prints a digest of the JSON, so two versions of the
code can be compared on the same data. Exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from processes import Measured, digest_command, measure  # noqa: E402  (bench/, beside this script)
from sqlalchemy import insert  # noqa: E402

from digest.app.stats import gather_stats  # noqa: E402
from digest.cli.stats import stats_json  # noqa: E402
from digest.config import load_settings  # noqa: E402
from digest.store import Store, open_store  # noqa: E402
from digest.store.schema import (  # noqa: E402
    DeliveryRow,
    IssueRow,
    SubscriberEventRow,
    SubscriberRow,
)
from tests.throwaway import throwaway_database  # noqa: E402

# Fixed, so that the same seed makes the same store and the same output whatever the day
# (the digest printed compares two versions of the code); `digest stats` itself counts
# back from its own clock, which costs the same: it reads the whole history either way.
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
YEAR = timedelta(weeks=52)
CHUNK = 10_000
# What happens after a sign-up, and how often (a pause carries its end).
LATER = (("paused", 30), ("active", 30), ("unsubscribed", 25), ("bounced", 10), ("erased", 5))


def history(subscribers: int, events: int, rng: random.Random) -> list[dict[str, Any]]:
    """Every event, each subscriber's in time order; `erased` ends a history."""
    signups = {
        i: NOW - YEAR + (YEAR - timedelta(weeks=1)) * rng.random()
        for i in range(1, subscribers + 1)
    }
    extra: dict[int, list[datetime]] = {i: [] for i in signups}
    for _ in range(max(events - subscribers, 0)):
        i = rng.randint(1, subscribers)
        extra[i].append(signups[i] + (NOW - signups[i]) * rng.random())
    statuses, weights = zip(*LATER, strict=True)
    rows = []
    for i, signed in signups.items():
        first = "pending" if rng.random() < 0.1 else "active"
        rows.append({"subscriber_id": i, "status": first, "at": signed, "ends_at": None})
        for at in sorted(extra[i]):
            status = rng.choices(statuses, weights)[0]
            ends = at + timedelta(weeks=rng.randint(1, 8)) if status == "paused" else None
            rows.append({"subscriber_id": i, "status": status, "at": at, "ends_at": ends})
            if status == "erased":
                break
    return rows


def fill(store: Store, subscribers: int, events: int, issues: int, seed: int) -> int:
    """The list, its history and the sent issues, in one transaction; how many events."""
    rng = random.Random(seed)
    events_rows = history(subscribers, events, rng)
    with store.engine.begin() as conn:
        people = [
            {
                "id": i,
                "email": f"reader{i:06d}@example.org",
                "email_key": f"reader{i:06d}@example.org",
                "status": "active",
                "created_at": NOW - YEAR,
                "updated_at": NOW - YEAR,
                "token_nonce": f"{i:032x}",
            }
            for i in range(1, subscribers + 1)
        ]
        _chunked(conn, SubscriberRow, people)
        _chunked(conn, SubscriberEventRow, events_rows)
        for n in range(1, issues + 1):
            sent = NOW - timedelta(weeks=issues - n + 1)
            issue_id = conn.execute(
                insert(IssueRow).returning(IssueRow.id),
                {
                    "number": n,
                    "status": "sent",
                    "period_start": sent - timedelta(weeks=1),
                    "period_end": sent,
                    "created_at": sent,
                    "updated_at": sent,
                    "sent_at": sent,
                    "subject": f"Bench n°{n}",
                    "edited": [],
                },
            ).scalar_one()
            rows = [
                {
                    "issue_id": issue_id,
                    "subscriber_id": i,
                    "status": rng.choices(("sent", "failed", "skipped"), (985, 10, 5))[0],
                    "attempts": 1,
                    "sent_at": sent + timedelta(seconds=i % 3600),
                }
                for i in range(1, subscribers + 1)
            ]
            _chunked(conn, DeliveryRow, rows)
    return len(events_rows)


def _chunked(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


def in_process(url: str, weeks: int) -> tuple[float, float, str]:
    """Best of 3 seconds of gather_stats, its peak Python allocations (MB), and a digest
    of its JSON."""
    settings = load_settings(REPO / "feeds.yaml", env={"DIGEST_DATABASE_URL": url})
    store = open_store(url)
    try:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            result = gather_stats(store, settings, NOW, weeks)
            best = min(best, time.perf_counter() - started)
        tracemalloc.start()
        gather_stats(store, settings, NOW, weeks)
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    finally:
        store.close()
    document = json.dumps(stats_json(result), sort_keys=True).encode()
    return best, peak, hashlib.sha256(document).hexdigest()[:16]


def whole_process(url: str, weeks: int) -> Measured:
    """`digest stats --json` as an operator runs it (its clock is now, not NOW)."""
    env = {**os.environ, "DIGEST_DATABASE_URL": url}
    config = str(REPO / "feeds.yaml")
    run = measure(digest_command("--config", config, "stats", "--json", "--weeks", str(weeks)), env)
    if run.code != 0:
        sys.exit(f"digest stats failed with exit code {run.code}")
    return run


def bench(label: str, url: str, empty_url: str, args: argparse.Namespace) -> None:
    store = open_store(url)
    started = time.perf_counter()
    events = fill(store, args.subscribers, args.events, args.issues, args.seed)
    store.close()
    print(
        f"{label}: {args.subscribers} subscribers, {events} events, {args.issues} issues × "
        f"{args.subscribers} deliveries (filled in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    open_store(empty_url).close()
    for weeks in sorted({int(w) for w in args.weeks.split(",")}):
        seconds, peak, digest = in_process(url, weeks)
        print(
            f"  gather_stats, {weeks} weeks: {seconds:.2f} s, peak Python allocations "
            f"{peak:.1f} MB (output {digest})",
            flush=True,
        )
        full, empty = whole_process(url, weeks), whole_process(empty_url, weeks)
        print(
            f"  digest stats --json --weeks {weeks}: {full.seconds:.2f} s, peak RSS "
            f"{full.peak_mb:.0f} MB (empty store: {empty.seconds:.2f} s, {empty.peak_mb:.0f} MB)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--issues", type=int, default=12)
    parser.add_argument(
        "--weeks", default="12,52,520", help="the --weeks measured, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sqlite = f"sqlite:///{folder / 'bench.db'}"
        bench("SQLite", sqlite, f"sqlite:///{folder / 'empty.db'}", args)
    if args.postgres:
        with (
            throwaway_database(args.postgres, "digest_bench") as url,
            throwaway_database(args.postgres, "digest_bench") as empty,
        ):
            bench("PostgreSQL", url, empty, args)


if __name__ == "__main__":
    main()
