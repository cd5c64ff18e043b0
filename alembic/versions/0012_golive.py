"""Going live (issue 13): test sends outside the ledger, rate-limited across callers; the
stories each sent issue carried, so a later build never repeats them.

Revision ID: 0012_golive
Revises: 0011_issue_pages
Create Date: 2026-12-07
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0012_golive"
down_revision: str | None = "0011_issue_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "test_send",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issue_number", sa.Integer, nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_test_send_sent_at", "test_send", ["sent_at"])
    op.create_table(
        "sent_story",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "issue_id", sa.Integer, sa.ForeignKey("issue.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "source_id", sa.Integer, sa.ForeignKey("source.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("item_key", sa.String(512), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("issue_id", "source_id", "item_key", name="uq_sent_story"),
    )
    op.create_index("ix_sent_story_item", "sent_story", ["source_id", "item_key"])
    op.create_index("ix_sent_story_content_hash", "sent_story", ["content_hash"])
    # Issues already sent (or half-sent) before this migration: their stories are recorded
    # now, from the items their entries still point at.
    _record_stories_of_issues_already_out()


def _record_stories_of_issues_already_out() -> None:
    bind = op.get_bind()
    issues = bind.execute(
        sa.text("SELECT id FROM issue WHERE status IN ('sending', 'sent')")
    ).scalars()
    for issue_id in list(issues):
        rows = bind.execute(
            sa.text(
                "SELECT e.item_ids FROM issue_entry e JOIN issue_section s "
                "ON e.section_id = s.id WHERE s.issue_id = :issue"
            ),
            {"issue": issue_id},
        ).scalars()
        ids = sorted({int(i) for value in rows for i in _ids(value)})
        if not ids:
            continue
        items = bind.execute(
            sa.text(
                "SELECT DISTINCT source_id, key, content_hash FROM item WHERE id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
        for source_id, key, content_hash in items:
            bind.execute(
                sa.text(
                    "INSERT INTO sent_story (issue_id, source_id, item_key, content_hash) "
                    "VALUES (:issue, :source, :key, :hash)"
                ),
                {"issue": issue_id, "source": source_id, "key": key, "hash": content_hash},
            )


def _ids(value: object) -> list[object]:
    """A JSON column read raw: a list on PostgreSQL, its text on SQLite."""
    parsed = json.loads(value) if isinstance(value, str) else value
    return list(parsed) if isinstance(parsed, list) else []


def downgrade() -> None:
    op.drop_table("sent_story")
    op.drop_table("test_send")
