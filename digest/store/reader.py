"""The store's reads, in SQLAlchemy Core on the tables of `digest.store.tables`: the
sources, the stories, the issues with their sections, the job runs and the lease. They are
all that `digest status`, `items` and `show` need, and this module imports no
`sqlalchemy.orm`: with the ORM's classes, that import was two thirds of those commands'
start-up (issue 12, item 6). `Store` inherits these reads and adds the writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, func, select
from sqlalchemy.sql.elements import ColumnElement

from digest.models import DeliveryStatus, Issue, IssueStatus, SourceState, StoredItem
from digest.store import tables
from digest.store.convert import (
    from_row,
    issue_from_row,
    section_from_rows,
    source_state,
    stored_item,
    unknown_issue,
)
from digest.store.engine import open_engine

_issue, _item, _source = tables.issue, tables.item, tables.source
# An item's columns and its source's, labelled apart (both tables have a `kind`).
_ITEM_WITH_SOURCE = select(
    _item,
    _source.c.name.label("source_name"),
    _source.c.kind.label("source_kind"),
    _source.c.display_name.label("source_title"),
).join(_source, _item.c.source_id == _source.c.id)
_IN_SOURCE_ORDER = (_source.c.name, _item.c.position, _item.c.id)


@dataclass(frozen=True, slots=True)
class JobRun:
    id: int
    job: str
    scheduled_for: datetime | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, int]
    error: str | None
    runner: str


class StoreReader:
    """What is stored, read in the stages' vocabulary: dataclasses out, no Session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for a few reads, given back to the pool when done."""
        with self.engine.connect() as connection:
            yield connection

    # -- sources ---------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState | None:
        with self.reading() as c:
            row = c.execute(select(_source).where(_source.c.name == name)).first()
            return None if row is None else source_state(row, 0)

    def list_sources(self) -> list[SourceState]:
        with self.reading() as c:
            per_source = select(_item.c.source_id, func.count()).group_by(_item.c.source_id)
            counts: dict[int, int] = dict(c.execute(per_source).all())
            rows = c.execute(select(_source).order_by(_source.c.kind, _source.c.name))
            return [source_state(row, counts.get(row.id, 0)) for row in rows]

    # -- items -----------------------------------------------------------------------

    def list_items(self, source_name: str | None = None) -> list[StoredItem]:
        query = _ITEM_WITH_SOURCE.order_by(*_IN_SOURCE_ORDER)
        if source_name is not None:
            query = query.where(_source.c.name == source_name)
        return self._items(query)

    def items_by_id(self, ids: Iterable[int]) -> list[StoredItem]:
        # item.id is an INTEGER: PostgreSQL refuses a larger parameter outright (a typed
        # `--add-back 99999999999` was a DataError), and no item has such an id.
        wanted = [i for i in ids if -(2**31) <= i < 2**31]
        if not wanted:
            return []
        return self._items(_ITEM_WITH_SOURCE.where(_item.c.id.in_(wanted)).order_by(_item.c.id))

    def items_between(self, start: datetime, end: datetime) -> list[StoredItem]:
        """Items published in (start, end]: an item at the end of one period is not in the
        next one, and an item ingested at `now` is in the issue built at `now`."""
        published = _item.c.published_at
        query = _ITEM_WITH_SOURCE.where(published > start, published <= end)
        return self._items(query.order_by(*_IN_SOURCE_ORDER))

    def _items(self, query: Select[Any]) -> list[StoredItem]:
        with self.reading() as c:
            return [
                stored_item(row, row.source_name, row.source_kind, row.source_title)
                for row in c.execute(query)
            ]

    # -- issues ----------------------------------------------------------------------

    def latest_issue(self, status: IssueStatus | None = None) -> Issue | None:
        """The highest-numbered issue (with that status, if given)."""
        query = select(_issue).order_by(_issue.c.number.desc()).limit(1)
        if status is not None:
            query = query.where(_issue.c.status == status.value)
        with self.reading() as c:
            return next(iter(_issues(c, query)), None)

    def get_issue(self, number: int) -> Issue | None:
        with self.reading() as c:
            return next(iter(_issues(c, select(_issue).where(_issue.c.number == number))), None)

    def list_issues(self) -> list[Issue]:
        with self.reading() as c:
            return _issues(c, select(_issue).order_by(_issue.c.number))

    def load_issue(self, number: int) -> tuple[Issue, dict[int, StoredItem]]:
        """An issue and the items it cites, or a DigestError naming the issues there are."""
        issue = self.get_issue(number)
        if issue is None:
            with self.reading() as c:
                raise unknown_issue(c, number)
        ids = {b.item_id for s in issue.sections for b in s.blurb}
        ids.update(i for e in issue.entries for i in e.item_ids)
        return issue, {item.id: item for item in self.items_by_id(sorted(ids))}

    def delivery_counts(self, number: int) -> dict[DeliveryStatus, int]:
        """How many of issue `number`'s deliveries are in each status."""
        delivery = tables.delivery
        with self.reading() as c:
            issue_id = c.scalar(select(_issue.c.id).where(_issue.c.number == number))
            if issue_id is None:
                raise unknown_issue(c, number)
            rows = c.execute(
                select(delivery.c.status, func.count())
                .where(delivery.c.issue_id == issue_id)
                .group_by(delivery.c.status)
            )
            return {DeliveryStatus(status): count for status, count in rows}

    # -- operations ------------------------------------------------------------------

    def job_runs(self, limit: int = 20, job: str | None = None) -> list[JobRun]:
        """The last `limit` job runs (of `job`, if given), the latest first."""
        runs = tables.job_run
        query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
        if job is not None:
            query = query.where(runs.c.job == job)
        with self.reading() as c:
            return [
                from_row(JobRun, r, counts=dict(r.counts or {}))
                for r in c.execute(query.limit(limit))
            ]

    def lease_owner(self, name: str, now: datetime) -> str | None:
        """Who holds lease `name` at `now`; None when nobody does (or it expired)."""
        lease = tables.lease
        with self.reading() as c:
            row = c.execute(select(lease).where(lease.c.name == name)).first()
            return row.owner if row is not None and row.expires_at >= now else None


def open_reader(url: str) -> StoreReader:
    """The reads of the store at `url`, its schema brought up to date first."""
    return StoreReader(open_engine(url))


def _issues(c: Connection, query: Select[Any]) -> list[Issue]:
    """The issues `query` selects, each with its sections, their blurb and their entries:
    four queries in all, however many issues (as the ORM's selectin loading did)."""
    rows = list(c.execute(query))
    sections = _sections_of(c, [row.id for row in rows])
    return [issue_from_row(row, tuple(sections[row.id])) for row in rows]


def _sections_of(c: Connection, issue_ids: list[int]) -> dict[int, list[Any]]:
    """The sections of each of `issue_ids`, in order."""
    section = tables.issue_section
    by_issue: dict[int, list[Any]] = defaultdict(list)
    if not issue_ids:
        return by_issue
    wanted = section.c.issue_id.in_(issue_ids)
    query = select(section).where(wanted).order_by(section.c.issue_id, section.c.position)
    rows = list(c.execute(query))
    blurbs = _parts(c, tables.issue_blurb_sentence, wanted)
    entries = _parts(c, tables.issue_entry, wanted)
    for row in rows:
        by_issue[row.issue_id].append(section_from_rows(row, blurbs[row.id], entries[row.id]))
    return by_issue


def _parts(c: Connection, table: Table, sections: ColumnElement[bool]) -> dict[int, list[Any]]:
    """The rows of `table` (blurb sentences, entries) of each section `sections` selects,
    in order."""
    section = tables.issue_section
    query = (
        select(table)
        .join(section, table.c.section_id == section.c.id)
        .where(sections)
        .order_by(table.c.section_id, table.c.position)
    )
    by_section: dict[int, list[Any]] = defaultdict(list)
    for row in c.execute(query):
        by_section[row.section_id].append(row)
    return by_section
