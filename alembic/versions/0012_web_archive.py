"""The archive keeps each issue's web version and its article (issue 14).

The pages kept until now were the email's HTML (« Bonjour, », the subscriber's footer):
they are dropped, and each sent issue's web version is rendered again on its first visit.

Revision ID: 0012_web_archive
Revises: 0011_issue_pages
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_web_archive"
down_revision: str | None = "0011_issue_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM issue_page")
    # Recreated on SQLite: its ADD COLUMN refuses NOT NULL without a default (the table is
    # empty by now, so none is needed).
    with op.batch_alter_table("issue_page", recreate="always") as batch:
        batch.add_column(sa.Column("article", sa.Text, nullable=False))


def downgrade() -> None:
    op.execute("DELETE FROM issue_page")
    with op.batch_alter_table("issue_page") as batch:
        batch.drop_column("article")
