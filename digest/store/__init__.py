"""The store: SQLAlchemy 2.x models, the session factory, and the queries the stages need.

Only this package touches the ORM; stages get and give the dataclasses of `digest.models`.
The schema is owned by Alembic (`alembic/versions`): `open_store` upgrades to head, it
never calls `create_all`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from digest.store.engine import alembic_dir, open_store, upgrade_schema
from digest.store.repository import SourceSuccess, Store
from digest.store.schema import Base, UTCDateTime

__all__ = [
    "Base",
    "SourceSuccess",
    "Store",
    "UTCDateTime",
    "alembic_dir",
    "open_store",
    "upgrade_schema",
    "utcnow",
]


def utcnow() -> datetime:
    """The current time, aware UTC; called by the CLI and scheduler only, then passed in."""
    return datetime.now(UTC)
