"""What goes out, besides the ledger: taking an approval back, test sends (kept so that the
command line and the preview share one rate limit), and the stories each sent issue
carried (so a later build never repeats them: issue 13, item 4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, text, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from digest.models import IssueStatus, StoredItem
from digest.store.convert import stored_item, unknown_issue
from digest.store.schema import (
    EntryRow,
    IssueRow,
    ItemRow,
    SectionRow,
    SentStoryRow,
    SourceRow,
    TestSendRow,
)
from digest.store.session import StoreCore


@dataclass(frozen=True, slots=True)
class TestSendSlot:
    """A test send's place in the rate limit: `slot` is None when the window is full."""

    slot: int | None
    recent: tuple[datetime, ...]  # the window's earlier test sends, oldest first


@dataclass(frozen=True, slots=True)
class SentStory:
    """A stored story that went out, and the last issue that carried it."""

    item: StoredItem
    issue_number: int


@dataclass(frozen=True, slots=True)
class SentStories:
    """At most `limit` of the sent stories asked for, newest first, and how many matched."""

    stories: tuple[SentStory, ...]
    matched: int


class ReleaseQueries:
    """Mixed into Store: unapprove, test sends, sent stories."""

    def unapprove_issue(self: StoreCore, number: int, now: datetime) -> IssueStatus:
        """Put an approved issue back to draft; returns the status it had. A conditional
        UPDATE, so a send starting at the same moment wins cleanly: once the issue is
        sending, nothing changes and the caller is told."""
        with self.write_lock, self.session() as s:
            changed = s.execute(
                update(IssueRow)
                .where(IssueRow.number == number, IssueRow.status == IssueStatus.APPROVED.value)
                .values(status=IssueStatus.DRAFT.value, approved_at=None, updated_at=now)
            ).rowcount  # type: ignore[attr-defined]
            if changed:
                return IssueStatus.APPROVED
            status = s.scalar(select(IssueRow.status).where(IssueRow.number == number))
            if status is None:
                raise unknown_issue(s, number)
            return IssueStatus(status)

    def reserve_test_send(
        self: StoreCore,
        number: int,
        address: str,
        now: datetime,
        *,
        limit: int,
        window: timedelta,
    ) -> TestSendSlot:
        """Count the test sends of the last `window` and, under `limit`, record this one,
        in one transaction (on PostgreSQL with the table locked against a concurrent
        caller, so two of them cannot both take the last slot)."""
        with self.write_lock, self.session() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("LOCK TABLE test_send IN SHARE ROW EXCLUSIVE MODE"))
            since = now - window
            recent = tuple(
                s.scalars(
                    select(TestSendRow.sent_at)
                    .where(TestSendRow.sent_at > since)
                    .order_by(TestSendRow.sent_at)
                )
            )
            if len(recent) >= limit:
                return TestSendSlot(None, recent)
            # Rows older than any window are of no use: the table stays a few rows long.
            s.execute(delete(TestSendRow).where(TestSendRow.sent_at <= since))
            slot = s.scalar(
                insert(TestSendRow)
                .values(issue_number=number, address=address, sent_at=now)
                .returning(TestSendRow.id)
            )
            assert slot is not None
            return TestSendSlot(int(slot), recent)

    def sent_item_ids(self: StoreCore, item_ids: Iterable[int]) -> set[int]:
        """Those of `item_ids` that went out in an issue already: the same source and key,
        or the same content (a document re-segmented, or the story from another source)."""
        wanted = list(item_ids)
        if not wanted:
            return set()
        with self.session() as s:
            sent_key = tuple_(ItemRow.source_id, ItemRow.key).in_(
                select(SentStoryRow.source_id, SentStoryRow.item_key)
            )
            sent_content = ItemRow.content_hash.in_(select(SentStoryRow.content_hash))
            return set(
                s.scalars(
                    select(ItemRow.id).where(ItemRow.id.in_(wanted), or_(sent_key, sent_content))
                )
            )

    def sent_stories(
        self: StoreCore,
        *,
        limit: int,
        published: tuple[datetime, datetime] | None = None,
        title: str | None = None,
        leave_out: Iterable[int] = (),
    ) -> SentStories:
        """The stored items that went out (as `sent_item_ids` tells), published in
        (start, end] when `published` is given, whose title contains `title` (any case) when
        it is, but those of `leave_out`: what an editor may add back to a draft."""
        last_issue = (
            select(func.max(IssueRow.number))
            .select_from(SentStoryRow)
            .join(IssueRow, SentStoryRow.issue_id == IssueRow.id)
            .where(
                or_(
                    and_(
                        SentStoryRow.source_id == ItemRow.source_id,
                        SentStoryRow.item_key == ItemRow.key,
                    ),
                    SentStoryRow.content_hash == ItemRow.content_hash,
                )
            )
            .correlate(ItemRow)
            .scalar_subquery()
        )
        conditions: list[ColumnElement[bool]] = [last_issue.is_not(None)]
        if published is not None:
            start, end = published
            conditions += [ItemRow.published_at > start, ItemRow.published_at <= end]
        if title:
            # The editor's words, not a pattern: their % and _ match themselves.
            escaped = title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(ItemRow.title.ilike(f"%{escaped}%", escape="\\"))
        left_out = list(leave_out)
        if left_out:
            conditions.append(ItemRow.id.not_in(left_out))
        with self.session() as s:
            matched = s.scalar(select(func.count()).select_from(ItemRow).where(*conditions))
            query = (
                select(ItemRow, SourceRow.name, SourceRow.kind, SourceRow.display_name, last_issue)
                .join(SourceRow, ItemRow.source_id == SourceRow.id)
                .where(*conditions)
                .order_by(ItemRow.published_at.desc(), ItemRow.id.desc())
                .limit(limit)
            )
            stories = tuple(
                SentStory(stored_item(row, name, kind, display), number)
                for row, name, kind, display, number in s.execute(query)
            )
            return SentStories(stories, matched or 0)

    def item_ids_of_issues(self: StoreCore, status: IssueStatus) -> set[int]:
        """The items behind the entries of every issue with `status`."""
        with self.session() as s:
            query = (
                select(EntryRow.item_ids)
                .join(SectionRow, EntryRow.section_id == SectionRow.id)
                .join(IssueRow, SectionRow.issue_id == IssueRow.id)
                .where(IssueRow.status == status.value)
            )
            return {i for item_ids in s.scalars(query) for i in item_ids}


def record_sent_stories(s: Session, issue_id: int) -> None:
    """Record the stories issue `issue_id` carries (its entries' items) as sent; called in
    the transaction that starts sending it, and harmless to call again."""
    ids = {i for item_ids in s.scalars(_entry_items(issue_id)) for i in item_ids}
    if not ids:
        return
    recorded = select(SentStoryRow.source_id, SentStoryRow.item_key).where(
        SentStoryRow.issue_id == issue_id
    )
    have = {(row.source_id, row.item_key) for row in s.execute(recorded)}
    rows = s.execute(
        select(ItemRow.source_id, ItemRow.key, ItemRow.content_hash).where(ItemRow.id.in_(ids))
    )
    fresh = [
        {
            "issue_id": issue_id,
            "source_id": row.source_id,
            "item_key": row.key,
            "content_hash": row.content_hash,
        }
        for row in rows
        if (row.source_id, row.key) not in have
    ]
    if fresh:
        s.execute(insert(SentStoryRow), fresh)


def _entry_items(issue_id: int):  # type: ignore[no-untyped-def]  # Select[...] differs in 2.0 and 2.1
    return (
        select(EntryRow.item_ids)
        .join(SectionRow, EntryRow.section_id == SectionRow.id)
        .where(SectionRow.issue_id == issue_id)
    )
