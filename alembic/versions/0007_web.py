"""The confirmation queue: double opt-in mails sent by the service's worker, not in a request.

Revision ID: 0007_web
Revises: 0006_subscribers
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0007_web"
down_revision: str | None = "0006_subscribers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "confirmation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer,
            sa.ForeignKey("subscriber.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_confirmation_subscriber_id", "confirmation", ["subscriber_id"])
    op.create_index("ix_confirmation_email_key", "confirmation", ["email_key"])
    op.create_index("ix_confirmation_created_at", "confirmation", ["created_at"])


def downgrade() -> None:
    op.drop_table("confirmation")
