"""The queries the stages need, in their own vocabulary: dataclasses in, dataclasses out."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from digest.models import (
    Issue,
    ItemDraft,
    SourceKind,
    SourceState,
)
from digest.store.archive import ArchiveQueries
from digest.store.confirmations import ConfirmationQueries
from digest.store.convert import (
    issue_from_row,
    item_values,
    source_state,
    storable,
    unique_new,
)
from digest.store.edits import EditQueries, write_draft
from digest.store.engine import open_engine
from digest.store.events import EventQueries, IssueOutcomeQueries
from digest.store.ledger import LedgerQueries
from digest.store.ops import OpsQueries
from digest.store.pages import PageQueries
from digest.store.reader import StoreReader
from digest.store.release import ReleaseQueries
from digest.store.schema import ItemRow, SourceRow
from digest.store.subscribers import SubscriberQueries


@dataclass(frozen=True, slots=True)
class SourceSuccess:
    """A source that was fetched or read without error: what to remember of it."""

    name: str
    status: str  # "ok", "not-modified"
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


class Store(
    StoreReader,
    ArchiveQueries,
    LedgerQueries,
    OpsQueries,
    SubscriberQueries,
    ConfirmationQueries,
    EventQueries,
    IssueOutcomeQueries,
    ReleaseQueries,
    PageQueries,
    EditQueries,
):
    """The queries the stages need, in their own vocabulary: the reads of StoreReader
    (Core), and the writes, most through an ORM Session."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a thread that finds the database locked
        # sleeps in its busy handler (milliseconds at a time): the send loop's threads
        # queue here instead, which made several connections faster than one.
        self.write_lock: AbstractContextManager[Any] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- sources ---------------------------------------------------------------------

    def ensure_source(self, name: str, kind: SourceKind, location: str, now: datetime) -> None:
        """Create the source row if it is new; keep its location up to date."""
        self.ensure_sources([(name, kind, location)], now)

    def ensure_sources(
        self, sources: Sequence[tuple[str, SourceKind, str]], now: datetime
    ) -> dict[str, SourceState]:
        """Create the missing source rows and return every source's state, in one
        transaction (three per feed made the bookkeeping dominate a re-ingest)."""
        names = [name for name, _, _ in sources]
        with self.session() as s:
            rows = {
                r.name: r for r in s.scalars(select(SourceRow).where(SourceRow.name.in_(names)))
            }
            for name, kind, location in sources:
                row = rows.get(name)
                if row is None:
                    row = SourceRow(
                        name=name,
                        kind=kind.value,
                        location=location,
                        created_at=now,
                        consecutive_failures=0,
                    )
                    s.add(row)
                    rows[name] = row
                elif row.location != location:
                    row.location = location
            s.flush()
            return {name: source_state(row, 0) for name, row in rows.items()}

    def name_source(self, name: str, display_name: str | None) -> None:
        """Set the name readers see for a source (None: they see a generic label)."""
        with self.session() as s:
            self._source(s, name).display_name = display_name

    def record_success(
        self,
        name: str,
        now: datetime,
        status: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
    ) -> None:
        """A fetch or read worked: clear the failure count and remember the validators."""
        self.record_successes([SourceSuccess(name, status, etag, last_modified, content_hash)], now)

    def record_successes(self, successes: Sequence[SourceSuccess], now: datetime) -> None:
        """`record_success` for many sources in one transaction: a re-ingest of unchanged
        sources is nothing but this bookkeeping, and one commit per source dominated it."""
        if not successes:
            return
        with self.session() as s:
            names = {success.name for success in successes}
            rows = {
                r.name: r for r in s.scalars(select(SourceRow).where(SourceRow.name.in_(names)))
            }
            for success in successes:
                row = rows.get(success.name)
                if row is None:
                    raise _unknown_source(success.name)
                row.last_status, row.last_error = success.status, None
                row.consecutive_failures = 0
                row.next_attempt_at = None
                row.last_attempt_at = row.last_success_at = now
                if success.etag is not None or success.last_modified is not None:
                    row.etag, row.last_modified = success.etag, success.last_modified
                if success.content_hash is not None:
                    row.content_hash = success.content_hash

    def record_failure(
        self, name: str, now: datetime, error: str, next_attempt_at: datetime
    ) -> int:
        """A fetch failed: count it and set when to try again; returns the failure count."""
        with self.session() as s:
            row = self._source(s, name)
            row.last_status, row.last_error = "failed", storable(error)
            row.consecutive_failures = (row.consecutive_failures or 0) + 1
            row.last_attempt_at = now
            row.next_attempt_at = next_attempt_at
            return row.consecutive_failures

    @staticmethod
    def _source(s: Session, name: str) -> SourceRow:
        row = s.scalar(select(SourceRow).where(SourceRow.name == name))
        if row is None:
            raise _unknown_source(name)
        return row

    # -- items -----------------------------------------------------------------------

    def add_items(self, source_name: str, drafts: Iterable[ItemDraft], now: datetime) -> int:
        """Insert the drafts whose key the source does not have yet; returns how many."""
        with self.session() as s:
            source = self._source(s, source_name)
            known = set(s.scalars(select(ItemRow.key).where(ItemRow.source_id == source.id)))
            fresh = unique_new(drafts, known)
            _insert_items(s, source.id, fresh, now)
            return len(fresh)

    def replace_items(
        self, source_name: str, drafts: Iterable[ItemDraft], now: datetime, content_hash: str
    ) -> int:
        """Swap a changed document's stories for its new ones, in one transaction."""
        with self.session() as s:
            source = self._source(s, source_name)
            s.execute(delete(ItemRow).where(ItemRow.source_id == source.id))
            fresh = unique_new(drafts, set())
            _insert_items(s, source.id, fresh, now)
            source.content_hash = content_hash
            source.last_status, source.last_error = "ok", None
            source.consecutive_failures = 0
            source.last_attempt_at = source.last_success_at = now
            return len(fresh)

    # -- issues ----------------------------------------------------------------------

    def save_draft(self, issue: Issue, now: datetime) -> Issue:
        """Store a draft under issue.number, replacing that number's draft if there is one."""
        with self.session() as s:
            row = write_draft(s, issue, now)
            s.refresh(row)
            return issue_from_row(row)


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to the database at `url` and bring its schema up to date."""
    return Store(open_engine(url, migrate=migrate))


def _unknown_source(name: str) -> KeyError:
    return KeyError(f"unknown source {name!r}: call ensure_source first")


def _insert_items(s: Session, source_id: int, drafts: Sequence[ItemDraft], now: datetime) -> None:
    if drafts:
        s.execute(insert(ItemRow), [item_values(source_id, d, now) for d in drafts])
