"""An issue's subject and preheader, written at build time and editable before sending.

Revision ID: 0009_headlines
Revises: 0008_sources
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_headlines"
down_revision: str | None = "0008_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: issues built before this revision have none, and render falls back.
    with op.batch_alter_table("issue") as batch:
        batch.add_column(sa.Column("subject", sa.Text))
        batch.add_column(sa.Column("preheader", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("issue") as batch:
        batch.drop_column("preheader")
        batch.drop_column("subject")
