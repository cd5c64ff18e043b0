"""Subscribers, the delivery ledger, and when an issue was approved and sent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issue") as batch:
        batch.add_column(sa.Column("approved_at", UTCDateTime))
        batch.add_column(sa.Column("sent_at", UTCDateTime))
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("confirmed_at", UTCDateTime),
        sa.Column("unsubscribed_at", UTCDateTime),
        sa.Column("bounced_at", UTCDateTime),
    )
    op.create_index("ix_subscriber_status", "subscriber", ["status"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "issue_id", sa.Integer, sa.ForeignKey("issue.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("message_id", sa.String(300)),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claimed_at", UTCDateTime),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("sent_at", UTCDateTime),
        sa.UniqueConstraint("issue_id", "subscriber_id", name="uq_delivery"),
    )
    op.create_index("ix_delivery_subscriber_id", "delivery", ["subscriber_id"])
    op.create_index("ix_delivery_status", "delivery", ["status"])


def downgrade() -> None:
    op.drop_table("delivery")
    op.drop_table("subscriber")
    with op.batch_alter_table("issue") as batch:
        batch.drop_column("sent_at")
        batch.drop_column("approved_at")
