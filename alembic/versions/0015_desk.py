"""The editor's desk (issue 13): overrides kept per issue, the draft as built, and the
marks of what the editor wrote.

Revision ID: 0015_desk
Revises: 0014_docs
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import UTCDateTime

revision: str = "0015_desk"
down_revision: str | None = "0014_docs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issue_edit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "issue_id",
            sa.Integer,
            sa.ForeignKey("issue.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("issue_id", "kind", "target", name="uq_issue_edit"),
    )
    op.create_table(
        "issue_build",
        sa.Column(
            "issue_id",
            sa.Integer,
            sa.ForeignKey("issue.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("built_at", UTCDateTime, nullable=False),
    )
    with op.batch_alter_table("issue") as batch:
        batch.add_column(sa.Column("note", sa.Text))
        batch.add_column(_edited_fields())
    with op.batch_alter_table("issue_entry") as batch:
        batch.add_column(_edited_fields())
    with op.batch_alter_table("issue_blurb_sentence") as batch:
        batch.add_column(sa.Column("edited", sa.Boolean, nullable=False, server_default=sa.false()))


def _edited_fields() -> sa.Column[object]:
    """The list of fields the editor wrote: none on every row already there."""
    return sa.Column("edited", sa.JSON, nullable=False, server_default=sa.text("'[]'"))


def downgrade() -> None:
    with op.batch_alter_table("issue_blurb_sentence") as batch:
        batch.drop_column("edited")
    with op.batch_alter_table("issue_entry") as batch:
        batch.drop_column("edited")
    with op.batch_alter_table("issue") as batch:
        batch.drop_column("edited")
        batch.drop_column("note")
    op.drop_table("issue_build")
    op.drop_table("issue_edit")
