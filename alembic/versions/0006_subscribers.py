"""Subscribers: ids never reused, a token nonce per row, a status reason, suppressions.

On SQLite the subscriber table is rebuilt with AUTOINCREMENT (the keyword exists only in
CREATE TABLE). Rebuilding drops the old table, and with foreign keys on, SQLite's implicit
DELETE of a dropped table cascades: every row that references a subscriber (the delivery
ledger, and any table another migration adds) is copied aside first and put back after.
Existing rows get a nonce starting with LEGACY_NONCE_PREFIX, so the id-only links in mails
already sent keep working for them (and only for them).

Revision ID: 0006_subscribers
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from digest.store.tables import LEGACY_NONCE_PREFIX, UTCDateTime, new_token_nonce

revision: str = "0006_subscribers"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with _rows_referencing_subscribers_kept():
        with op.batch_alter_table("subscriber") as batch:
            batch.add_column(sa.Column("status_reason", sa.String(300)))
            batch.add_column(sa.Column("token_nonce", sa.String(32)))
        _backfill_nonces()
        # On SQLite, NOT NULL means a rebuild: the one that also adds AUTOINCREMENT.
        with op.batch_alter_table(
            "subscriber", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.alter_column("token_nonce", existing_type=sa.String(32), nullable=False)
    op.create_table(
        "suppression",
        sa.Column("email_hash", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suppression")
    with _rows_referencing_subscribers_kept(), op.batch_alter_table("subscriber") as batch:
        batch.drop_column("token_nonce")
        batch.drop_column("status_reason")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _backfill_nonces() -> None:
    bind = op.get_bind()
    subscriber = sa.table("subscriber", sa.column("id", sa.Integer), sa.column("token_nonce"))
    ids = list(bind.scalars(sa.select(subscriber.c.id)))
    if ids:
        bind.execute(
            sa.update(subscriber)
            .where(subscriber.c.id == sa.bindparam("row_id"))
            .values(token_nonce=sa.bindparam("nonce")),
            [{"row_id": i, "nonce": LEGACY_NONCE_PREFIX + new_token_nonce()} for i in ids],
        )


@contextmanager
def _rows_referencing_subscribers_kept() -> Iterator[None]:
    """On SQLite, copy every table that references subscriber into a temporary table
    and restore it after the rebuild; elsewhere, nothing to do (ALTER keeps rows)."""
    if not _sqlite():
        yield
        return
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    tables = [
        t
        for t in inspector.get_table_names()
        if any(fk["referred_table"] == "subscriber" for fk in inspector.get_foreign_keys(t))
    ]
    for table in tables:
        bind.exec_driver_sql(f'CREATE TEMP TABLE "_kept_{table}" AS SELECT * FROM "{table}"')
    yield
    for table in tables:
        bind.exec_driver_sql(f'DELETE FROM "{table}"')
        bind.exec_driver_sql(f'INSERT INTO "{table}" SELECT * FROM "_kept_{table}"')
        bind.exec_driver_sql(f'DROP TABLE "_kept_{table}"')
