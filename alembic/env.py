"""Alembic environment: runs on a connection handed in by digest.store, or on its own
from the command line with DIGEST_DATABASE_URL (or the SQLite file beside feeds.yaml)."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

from digest.store import tables

config = context.config
target_metadata = tables.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    if config.config_file_name:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = os.environ.get("DIGEST_DATABASE_URL", "sqlite:///digest.db")
    with create_engine(url).begin() as conn:
        _run(conn)
