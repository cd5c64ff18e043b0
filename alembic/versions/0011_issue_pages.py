"""Each issue's public archive page, rendered once and kept (issue 12).

Revision ID: 0011_issue_pages
Revises: 0010_blurbs
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0011_issue_pages"
down_revision: str | None = "0010_blurbs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issue_page",
        sa.Column(
            "issue_id",
            sa.Integer,
            sa.ForeignKey("issue.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("rendered_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("issue_page")
