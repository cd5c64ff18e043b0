"""The article pages fetched for teaser feeds (issue 15, `full_text`), cached by URL.

Revision ID: 0014_docs
Revises: 0013_web_archive
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0014_docs"
down_revision: str | None = "0013_web_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page",
        sa.Column("url_hash", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("page")
