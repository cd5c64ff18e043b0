"""What the query mixins (ledger, ops, subscribers, confirmations) need of the Store they
are mixed into: declared once, so each mixin's `self` is typed without importing Store
(which imports them)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session


class StoreCore(Protocol):
    engine: Engine
    # Held around writes that must not interleave on SQLite (one writer at a time); a
    # no-op on PostgreSQL, whose row locks do that job.
    write_lock: AbstractContextManager[Any]

    def session(self) -> AbstractContextManager[Session]: ...
