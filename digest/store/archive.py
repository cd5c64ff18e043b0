"""The public archive's queries: the sent issues a page of the list shows, an issue's
neighbours, and the web version kept for each sent issue (issue 12: rendered once; issue
14: the web version, not the email). Every query here sees sent issues only: drafts are
never public."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import suppress
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from digest.models import Entry, Issue, IssuePage, IssueStatus, Section
from digest.store.convert import issue_from_row
from digest.store.schema import EntryRow, IssuePageRow, IssueRow, SectionRow
from digest.store.session import StoreCore

_SENT = IssueRow.status == IssueStatus.SENT.value


class ArchiveQueries:
    """Mixed into Store."""

    def count_sent_issues(self: StoreCore) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(IssueRow).where(_SENT)) or 0

    def sent_issue_heads(self: StoreCore, offset: int, limit: int) -> list[Issue]:
        """Sent issues, newest first, as the archive's list names them: number, dates,
        subject, preheader, and of their stories only the first (which names an issue
        built before subjects were stored). Loading whole issues made the list cost ten
        times a page of one issue."""
        lead = (
            select(EntryRow.title)
            .join(SectionRow, EntryRow.section_id == SectionRow.id)
            .where(SectionRow.issue_id == IssueRow.id)
            .order_by(SectionRow.position, EntryRow.position)
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(IssueRow, lead)
            .where(_SENT)
            .order_by(IssueRow.number.desc())
            .offset(offset)
            .limit(limit)
        )
        with self.session() as s:
            return [_head(row, title) for row, title in s.execute(query)]

    def sent_neighbours(self: StoreCore, number: int) -> tuple[int | None, int | None]:
        """The numbers of the sent issues just before and just after `number`."""
        with self.session() as s:
            before = s.scalar(
                select(func.max(IssueRow.number)).where(_SENT, IssueRow.number < number)
            )
            after = s.scalar(
                select(func.min(IssueRow.number)).where(_SENT, IssueRow.number > number)
            )
            return before, after

    def sent_issue_page(self: StoreCore, number: int) -> IssuePage | None:
        """The web version kept for issue `number`, if that issue has gone out."""
        return ArchiveQueries.sent_issue_pages(self, [number]).get(number)

    def sent_issue_pages(self: StoreCore, numbers: Collection[int]) -> dict[int, IssuePage]:
        """The web versions kept for those of `numbers` that have gone out."""
        if not numbers:
            return {}
        with self.session() as s:
            rows = s.execute(
                select(IssueRow.number, IssuePageRow.html, IssuePageRow.article)
                .join(IssueRow, IssuePageRow.issue_id == IssueRow.id)
                .where(IssueRow.number.in_(list(numbers)), _SENT)
            )
            return {number: IssuePage(html, article) for number, html, article in rows}

    def keep_issue_page(self: StoreCore, number: int, page: IssuePage, now: datetime) -> None:
        """Keep issue `number`'s web version in place of the one kept before."""
        # Two first visitors may render it at once: the second insert fails on the primary
        # key, and the first copy (the same page) stays.
        with suppress(IntegrityError), self.session() as s:
            issue_id = s.scalar(select(IssueRow.id).where(IssueRow.number == number))
            if issue_id is None:
                raise KeyError(f"no issue {number}")
            row = s.get(IssuePageRow, issue_id)
            if row is None:
                row = IssuePageRow(issue_id=issue_id)
                s.add(row)
            row.html, row.article, row.rendered_at = page.page, page.article, now


def _head(row: IssueRow, lead: str | None) -> Issue:
    stories = (Entry(lead, "", (), (), ()),) if lead is not None else ()
    return issue_from_row(row, (Section("", "", (), stories),) if stories else ())
