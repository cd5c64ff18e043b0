"""A blurb sentence whose subject was made explicit keeps the source's words (issue 11).

Revision ID: 0010_blurbs
Revises: 0009_headlines
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_blurbs"
down_revision: str | None = "0009_headlines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issue_blurb_sentence") as batch:
        batch.add_column(sa.Column("original", sa.Text))
        batch.add_column(sa.Column("explicit_subject", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("issue_blurb_sentence") as batch:
        batch.drop_column("explicit_subject")
        batch.drop_column("original")
