"""Sources readers understand: a document's display name, a story's credited origin and date.

Revision ID: 0008_sources
Revises: 0007_web
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_sources"
down_revision: str | None = "0007_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("display_name", sa.Text))
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("origin", sa.Text))
        batch.add_column(sa.Column("event_date", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.drop_column("event_date")
        batch.drop_column("origin")
    with op.batch_alter_table("source") as batch:
        batch.drop_column("display_name")
