"""Subscribers looked after (issue 14, item 4): a pause on the subscriber, the welcome
mail in the worker's queue beside the confirmations, and the history of status changes
that `digest stats` counts.

The subscriber rows recorded when someone subscribed, confirmed, unsubscribed and bounced,
but not the steps in between (an unsubscribe undone by `reactivate` leaves only the last
dates). `subscriber_event` records every change from now on; the rows already there get
one event per date they hold, then their current status, so the history starts plausible
and is exact from this migration on.

Revision ID: 0016_subs
Revises: 0015_desk
Create Date: 2026-12-09
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0016_subs"
down_revision: str | None = "0015_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriber") as batch:
        batch.add_column(sa.Column("paused_until", UTCDateTime))
    with op.batch_alter_table("confirmation") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="confirm"))
    events = op.create_table(
        "subscriber_event",
        sa.Column("id", sa.Integer, primary_key=True),
        # No foreign key: an erased subscriber's events stay, anonymous (no address), with
        # an "erased" event last, so the counts of the weeks before do not change.
        sa.Column("subscriber_id", sa.Integer, nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False, index=True),
        sa.Column("ends_at", UTCDateTime),
    )
    rows = op.get_bind().execute(
        sa.text(
            "SELECT id, status, created_at, confirmed_at, unsubscribed_at, bounced_at, "
            "updated_at FROM subscriber ORDER BY id"
        )
    )
    history = [event for row in rows for event in _history(row)]
    if history:
        op.bulk_insert(events, history)


def _history(row: Any) -> list[dict[str, Any]]:
    """The events a subscriber row's dates tell, in order, then its current status."""
    stamps: list[tuple[datetime, str]] = [
        (when, status)
        for when, status in (
            (row.confirmed_at, "active"),
            (row.unsubscribed_at, "unsubscribed"),
            (row.bounced_at, "bounced"),
        )
        if when is not None
    ]
    stamps.sort(key=lambda stamp: _aware(stamp[0]))
    created = _aware(row.created_at)
    confirmed_at_birth = row.confirmed_at is not None and _aware(row.confirmed_at) <= created
    steps = [(row.created_at, "active" if confirmed_at_birth else "pending")]
    steps += [stamp for stamp in stamps if _aware(stamp[0]) > created]
    if steps[-1][1] != row.status:  # reactivated since: its last dates do not say so
        steps.append((max(row.updated_at, steps[-1][0], key=_aware), row.status))
    return [
        {"subscriber_id": row.id, "status": status, "at": _aware(when), "ends_at": None}
        for when, status in steps
    ]


def _aware(moment: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands back naive values or text)."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def downgrade() -> None:
    op.drop_table("subscriber_event")
    # Unsent welcomes would read as confirmations to the code before this one.
    op.execute(sa.text("DELETE FROM confirmation WHERE kind = 'welcome'"))
    with op.batch_alter_table("confirmation") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("subscriber") as batch:
        batch.drop_column("paused_until")
