"""`digest stats` (issue 14, item 4) on SQLite and PostgreSQL: subscribers by status week
by week, replayed from the recorded history; per issue, the ledger's outcome and the
bounces and unsubscribes until the next issue; a table and stable JSON."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from digest.app.build import run_build
from digest.app.stats import gather_stats
from digest.app.subscribe import CONFIRMED
from digest.cli import main
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.models import SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.store.events import ERASED, PAUSED, SubscriberEvent
from digest.store.schema import SubscriberEventRow

from .conftest import DOCUMENTS, REPO

DAY, WEEK = timedelta(days=1), timedelta(weeks=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = load_settings(REPO / "feeds.yaml", env={})
    return replace(base, mail=replace(base.mail, outbox_dir=tmp_path / "outbox"))


def send(store: Store, settings: Settings, document: str, at: datetime, failed: set[str]) -> int:
    """An issue built from `document` and sent at `at` through the ledger: every row
    accepted but the addresses in `failed`, which bounce."""
    ingest_documents(store, [DOCUMENTS / document], at - timedelta(hours=1))
    issue = run_build(store, settings, at).issue
    assert issue is not None
    store.approve_issue(issue.number, at)
    store.open_deliveries(issue.number, at)
    claim = store.claim_deliveries(issue.number, "w", at, 100, stale_before=at - DAY)
    with store.delivery_marks() as marks:
        for row in claim.deliveries:
            if row.email in failed:
                marks.failed(row.id, "550 5.1.1 no such user")
                store.set_subscriber_status(row.subscriber_id, SubscriberStatus.BOUNCED, at)
            else:
                marks.sent(row.id, f"<{row.id}@example.org>", at)
    assert store.close_issue_if_done(issue.number, at)
    return issue.number


@pytest.fixture
def history(store: Store, settings: Settings, now: datetime) -> dict[str, int]:
    """Three weeks of a small list (now is Friday 20 November 2026)."""
    start, first, second = now - 3 * WEEK, now - 2 * WEEK, now - WEEK
    people = store.add_subscribers(
        [(f"{n}@example.org", None) for n in "abcd"], SubscriberStatus.ACTIVE, start
    )
    ids = {p.email[0]: p.id for p in people}
    ids["e"] = store.subscribe_pending("e@example.org", None, start).subscriber.id
    send(store, settings, "003_186302cdc7413e06.txt", first, failed={"d@example.org"})
    store.set_subscriber_status(ids["b"], SubscriberStatus.UNSUBSCRIBED, first + DAY)
    store.pause_subscriber(ids["c"], first + DAY + 2 * WEEK, first + DAY)
    send(store, settings, "004_c8bb9166e346ef4b.txt", second, failed=set())
    store.set_subscriber_status(ids["a"], SubscriberStatus.UNSUBSCRIBED, second + DAY)
    assert store.confirm_subscriber(ids["e"], second + DAY, CONFIRMED, None)
    return ids


def test_subscribers_by_week_and_issues_by_outcome(
    store: Store, settings: Settings, now: datetime, history: dict[str, int]
) -> None:
    stats = gather_stats(store, settings, now, weeks=4)
    assert [w.start.isoformat() for w in stats.weeks] == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ]
    row = ("active", "pending", "paused", "unsubscribed", "bounced")
    assert [tuple(w.counts[s] for s in row) for w in stats.weeks] == [
        (4, 1, 0, 0, 0),  # all four imported, e waiting for their click
        (1, 1, 1, 1, 1),  # issue 1: d bounced; then b left, c paused
        (1, 0, 1, 2, 1),  # issue 2: a left, e confirmed; c still paused
        (1, 0, 1, 2, 1),  # this week so far
    ]
    (one, two) = stats.issues
    assert (one.sent, one.failed, one.skipped, one.bounced, one.unsubscribed) == (3, 1, 0, 1, 1)
    assert (two.sent, two.failed, two.skipped, two.bounced, two.unsubscribed) == (1, 0, 0, 0, 1)
    assert one.started_at == now - 2 * WEEK and two.started_at == now - WEEK
    # c's pause ends on 21 November by itself: two weeks on, they count as active again.
    later = gather_stats(store, settings, now + 2 * WEEK, weeks=1).weeks[0].counts
    assert later["paused"] == 0 and later["active"] == 2


def test_an_erased_subscriber_leaves_the_weeks_after_only(
    store: Store, settings: Settings, now: datetime, history: dict[str, int]
) -> None:
    store.remove_subscriber("b@example.org", now - DAY)
    weeks = gather_stats(store, settings, now, weeks=4).weeks
    assert weeks[1].counts["unsubscribed"] == 1  # the past does not change
    assert weeks[3].counts["unsubscribed"] == 1  # a only: b is gone, address and all
    assert "b@example.org" not in {p.email for p in store.list_subscribers()}


def test_the_command_prints_a_table_and_stable_json(
    store: Store, settings: Settings, database_url: str, history: dict[str, int]
) -> None:
    runner = CliRunner()
    env = {"DIGEST_DATABASE_URL": database_url}
    args = ["--config", str(REPO / "feeds.yaml"), "stats", "--weeks", "3"]
    result = runner.invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["version"] == 1 and len(document["weeks"]) == 3
    assert list(document["weeks"][0]) == [
        "start",
        "active",
        "pending",
        "paused",
        "unsubscribed",
        "bounced",
    ]
    first = document["issues"][0]
    assert list(first) == [
        "number",
        "subject",
        "started_at",
        "sent",
        "failed",
        "skipped",
        "bounced",
        "unsubscribed",
    ]
    assert first["sent"] == 3 and first["started_at"].endswith("Z")
    table = runner.invoke(main, args, env=env)
    assert table.exit_code == 0 and "unsubscribed" in table.stdout and "sent on" in table.stdout
    assert runner.invoke(main, [*args[:3], "--weeks", "0"], env=env).exit_code == 2


def test_the_migration_backfills_the_history_and_downgrades_cleanly(
    database_url: str, now: datetime
) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from digest.store import alembic_dir, open_store

    store = open_store(database_url)
    t0, t1, t2 = now - 3 * WEEK, now - 2 * WEEK, now - WEEK
    people = store.add_subscribers(
        [(f"{n}@example.org", None) for n in "abc"], SubscriberStatus.ACTIVE, t0
    )
    a, b, c = (p.id for p in people)
    d = store.subscribe_pending("d@example.org", None, t0).subscriber.id
    store.set_subscriber_status(b, SubscriberStatus.UNSUBSCRIBED, t1)
    store.set_subscriber_status(c, SubscriberStatus.BOUNCED, t1)
    store.reactivate_subscriber("c@example.org", t2, "a wrong bounce")
    store.close()
    engine = create_engine(database_url)
    alembic = Config()
    alembic.set_main_option("script_location", str(alembic_dir()))
    with engine.begin() as conn:  # as a database from before 0016 is
        alembic.attributes["connection"] = conn
        command.downgrade(alembic, "0015_desk")
    engine.dispose()
    store = open_store(database_url)  # upgrades to the head again: the history rebuilt
    by_person: dict[int, list[tuple[str, datetime]]] = {}
    for event in store.subscriber_events():
        by_person.setdefault(event.subscriber_id, []).append((event.status, event.at))
    assert by_person == {
        a: [("active", t0)],
        b: [("active", t0), ("unsubscribed", t1)],
        c: [("active", t0), ("bounced", t1), ("active", t2)],  # the reactivation, from updated_at
        d: [("pending", t0)],
    }
    assert [p.status for p in store.list_subscribers()] == [
        SubscriberStatus.ACTIVE,
        SubscriberStatus.UNSUBSCRIBED,
        SubscriberStatus.ACTIVE,
        SubscriberStatus.PENDING,
    ]
    store.close()


# -- issue 14: the counts are summed by the database; they are what a replay gives ---------


def replayed(events: list[SubscriberEvent], moment: datetime) -> Counter[tuple[str, bool]]:
    """What `digest stats` computed in Python before: each subscriber's last event before
    `moment` (oldest first, ties by id), and for a pause whether it still runs then."""
    last: dict[int, SubscriberEvent] = {}
    for event in events:
        if event.at < moment:
            last[event.subscriber_id] = event
    return Counter(
        (e.status, e.status == PAUSED and e.ends_at is not None and e.ends_at > moment)
        for e in last.values()
    )


def test_the_databases_counts_are_the_replays_of_a_random_history(
    store: Store, now: datetime
) -> None:
    """Events on an hour grid, so one subscriber has several at the same time and a moment
    falls on an event's time (strictly before it counts, not at it); pauses that end
    before, at and after a moment; erasures; the moments in no order."""
    rng = random.Random(14)
    hour = timedelta(hours=1)
    rows = []
    for _ in range(600):
        status = rng.choice(["active", "pending", "paused", "unsubscribed", "bounced", ERASED])
        at = now - rng.randint(0, 200) * hour
        ends = at + rng.randint(0, 60) * hour if status == PAUSED else None
        rows.append(
            {"subscriber_id": rng.randint(1, 60), "status": status, "at": at, "ends_at": ends}
        )
    with store.engine.begin() as conn:
        conn.execute(insert(SubscriberEventRow), rows)
    moments = [now - rng.randint(-5, 210) * hour for _ in range(40)]
    counted = store.statuses_at(moments)
    history = store.subscriber_events()
    for position, moment in enumerate(moments):
        found = Counter({(c.status, c.running): c.count for c in counted if c.position == position})
        assert found == replayed(history, moment), moment
    bounds = sorted({now - rng.randint(-5, 210) * hour for _ in range(20)})
    people = store.people_in_periods(["bounced", "unsubscribed"], bounds)
    for status in ("bounced", "unsubscribed"):
        for i, (since, until) in enumerate(itertools.pairwise(bounds)):
            expected = {
                e.subscriber_id for e in history if e.status == status and since <= e.at < until
            }
            assert people.get((status, i), 0) == len(expected), (status, since)


def test_counts_at_the_most_weeks_and_issues(store: Store, now: datetime) -> None:
    """520 weeks (the --weeks maximum) and as many periods: one statement each."""
    person = store.add_subscribers([("a@example.org", None)], SubscriberStatus.ACTIVE, now)[0]
    store.set_subscriber_status(person.id, SubscriberStatus.BOUNCED, now + DAY)
    moments = [*(now - WEEK * n for n in range(519, -1, -1)), now + 2 * DAY]
    counted = store.statuses_at(moments)
    assert [(c.position, c.status, c.count) for c in counted] == [(520, "bounced", 1)]
    bounds = [now - WEEK * n for n in range(600, -1, -1)] + [now + 2 * DAY]
    assert store.people_in_periods(["bounced"], bounds) == {("bounced", 600): 1}
