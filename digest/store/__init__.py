"""The store: the tables (SQLAlchemy Core), their reads, the ORM models and the session
factory of the writes, and the queries the stages need.

Only this package touches SQLAlchemy; stages get and give the dataclasses of
`digest.models`. The schema is owned by Alembic (`alembic/versions`): `open_store`
upgrades to head, it never calls `create_all`.

Importing this package imports no `sqlalchemy.orm`: `StoreReader` and `open_reader` are
Core only, for the reading commands (issue 12, item 6). `Store`, `open_store`,
`SourceSuccess` and `Base` are loaded, with the ORM, when first asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from digest.store.engine import alembic_dir, upgrade_schema
from digest.store.reader import StoreReader, open_reader
from digest.store.tables import UTCDateTime

if TYPE_CHECKING:
    from digest.store.repository import SourceSuccess, Store, open_store
    from digest.store.schema import Base

__all__ = [
    "Base",
    "SourceSuccess",
    "Store",
    "StoreReader",
    "UTCDateTime",
    "alembic_dir",
    "open_reader",
    "open_store",
    "upgrade_schema",
    "utcnow",
]

_WITH_THE_ORM = {"SourceSuccess", "Store", "open_store"}


def __getattr__(name: str) -> object:
    """`Store` and the others that need the ORM, imported on first use (PEP 562)."""
    if name in _WITH_THE_ORM:
        from digest.store import repository  # lazy: sqlalchemy.orm, which readers skip

        return getattr(repository, name)
    if name == "Base":
        from digest.store.schema import Base  # lazy: sqlalchemy.orm, which readers skip

        return Base
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def utcnow() -> datetime:
    """The current time, aware UTC; called by the CLI and scheduler only, then passed in."""
    return datetime.now(UTC)
