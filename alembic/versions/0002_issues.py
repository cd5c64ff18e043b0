"""Issues: numbered drafts, their themed sections, blurb sentences and entries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.Integer, nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("period_start", UTCDateTime, nullable=False),
        sa.Column("period_end", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "issue_section",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "issue_id", sa.Integer, sa.ForeignKey("issue.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("theme_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )
    op.create_index("ix_issue_section_issue_id", "issue_section", ["issue_id"])
    op.create_table(
        "issue_blurb_sentence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "section_id",
            sa.Integer,
            sa.ForeignKey("issue_section.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("item.id", ondelete="SET NULL")),
    )
    op.create_index("ix_issue_blurb_sentence_section_id", "issue_blurb_sentence", ["section_id"])
    op.create_table(
        "issue_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "section_id",
            sa.Integer,
            sa.ForeignKey("issue_section.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("item_ids", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
    )
    op.create_index("ix_issue_entry_section_id", "issue_entry", ["section_id"])


def downgrade() -> None:
    op.drop_table("issue_entry")
    op.drop_table("issue_blurb_sentence")
    op.drop_table("issue_section")
    op.drop_table("issue")
