"""The editor's overrides on an issue and the draft as built (issue 13): rows to
`IssueEdits` and back, the built draft kept beside the edited one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, selectinload

from digest.errors import IssueStatusError
from digest.models import AddedLink, BlurbEdit, Issue, IssueEdits, Section
from digest.store.convert import (
    issue_from_row,
    links_json,
    sections_document,
    sections_from_document,
)
from digest.store.schema import (
    BlurbRow,
    EntryRow,
    IssueBuildRow,
    IssueEditRow,
    IssuePageRow,
    IssueRow,
    SectionRow,
)
from digest.store.session import StoreCore

# The issue's own fields: one row each, target "".
_SCALARS = ("subject", "preheader", "note", "lead")
# Per story or section: (kind, field of IssueEdits).
_MAPPINGS = (("move", "moves"), ("title", "titles"), ("summary", "summaries"))


class EditQueries:
    """Mixed into Store."""

    def issue_edits(self: StoreCore, number: int) -> IssueEdits:
        """The overrides stored for issue `number` (none: an IssueEdits of nothing)."""
        with self.session() as s:
            rows = s.scalars(
                select(IssueEditRow)
                .join(IssueRow, IssueEditRow.issue_id == IssueRow.id)
                .where(IssueRow.number == number)
                .order_by(IssueEditRow.id)
            )
            return edits_from_rows((row.kind, row.target, row.value) for row in rows)

    def built_draft(self: StoreCore, number: int) -> Issue | None:
        """Issue `number` as the summarizer built it, before any override."""
        with self.session() as s:
            row = s.scalar(issue_query().where(IssueRow.number == number))
            if row is None:
                return None
            built = s.get(IssueBuildRow, row.id)
            issue = issue_from_row(row)
            if built is None:  # built before the desk existed: what is stored is as built
                return issue
            doc = built.document
            return replace(
                issue,
                subject=doc["subject"],
                preheader=doc["preheader"],
                note="",
                edited=(),
                sections=sections_from_document(doc["sections"]),
            )

    def save_edited_draft(
        self: StoreCore,
        built: Issue,
        edited: Issue,
        now: datetime,
        edits: IssueEdits | None = None,
    ) -> Issue:
        """Store `edited` as draft `built.number` and keep `built` beside it, and when
        `edits` is given, make them the issue's overrides: one transaction, so an edit is
        applied whole or not at all."""
        with self.session() as s:
            row = write_draft(s, edited, now)
            document = {
                "subject": built.subject,
                "preheader": built.preheader,
                "sections": sections_document(built.sections),
            }
            kept = s.get(IssueBuildRow, row.id)
            if kept is None:
                s.add(IssueBuildRow(issue_id=row.id, document=document, built_at=now))
            elif kept.document != document:
                kept.document, kept.built_at = document, now
            if edits is not None:
                s.execute(delete(IssueEditRow).where(IssueEditRow.issue_id == row.id))
                s.add_all(
                    IssueEditRow(issue_id=row.id, kind=k, target=t, value=v, updated_at=now)
                    for k, t, v in edit_rows(edits)
                )
            s.flush()
            s.refresh(row)
            return issue_from_row(row)


def write_draft(s: Session, issue: Issue, now: datetime) -> IssueRow:
    """Store `issue` as draft `issue.number`, in place of that number's draft if any."""
    row = _draft_row(s, issue, now)
    row.subject, row.preheader = issue.subject or None, issue.preheader or None
    row.note, row.edited = issue.note or None, list(issue.edited)
    row.sections = [section_row(i, sec) for i, sec in enumerate(issue.sections)]
    s.flush()
    return row


def issue_query() -> Select[IssueRow]:
    """An issue row, with its sections, their blurb and their entries loaded."""
    return select(IssueRow).options(
        selectinload(IssueRow.sections).selectinload(SectionRow.blurb),
        selectinload(IssueRow.sections).selectinload(SectionRow.entries),
    )


def section_row(position: int, section: Section) -> SectionRow:
    """The rows of `section` at `position`, for a draft's Session to insert."""
    return SectionRow(
        position=position,
        theme_id=section.theme_id,
        title=section.title,
        blurb=[
            BlurbRow(
                position=i,
                text=b.text,
                item_id=b.item_id,
                original=b.original,
                explicit_subject=b.subject,
                edited=b.edited,
            )
            for i, b in enumerate(section.blurb)
        ],
        entries=[
            EntryRow(
                position=i,
                title=e.title,
                summary=e.summary,
                links=links_json(e.links),
                item_ids=list(e.item_ids),
                sources=list(e.sources),
                edited=list(e.edited),
            )
            for i, e in enumerate(section.entries)
        ],
    )


def _draft_row(s: Session, issue: Issue, now: datetime) -> IssueRow:
    """The row of draft `issue.number`, made if new; the page kept for it is dropped."""
    row = s.scalar(select(IssueRow).where(IssueRow.number == issue.number))
    if row is not None and row.status != "draft":
        raise IssueStatusError(
            f"issue {issue.number} is {row.status}, not a draft",
            hint=f"build makes a new number once an issue has gone out; "
            f"an approved one: digest unapprove {issue.number} first",
        )
    if row is None:
        row = IssueRow(number=issue.number, created_at=now)
        s.add(row)
    else:  # the page kept for the old draft no longer shows this one
        s.execute(delete(IssuePageRow).where(IssuePageRow.issue_id == row.id))
    row.status = "draft"
    row.period_start, row.period_end = issue.period_start, issue.period_end
    row.updated_at = now
    return row


def edit_rows(edits: IssueEdits) -> Iterator[tuple[str, str, Any]]:
    """(kind, target, value) for each override in `edits`."""
    for name in _SCALARS:
        value = getattr(edits, name)
        if value is not None:
            yield name, "", value
    if edits.section_order:
        yield "section_order", "", list(edits.section_order)
    for key in sorted(edits.dropped):
        yield "drop", key, True
    for kind, name in _MAPPINGS:
        for target, value in getattr(edits, name).items():
            yield kind, target, value
    for theme, keys in edits.entry_order.items():
        yield "order", theme, list(keys)
    for target, blurb in edits.blurbs.items():
        yield "blurb", target, {"text": blurb.text, "was": blurb.was}
    for link in edits.links:
        yield (
            "link",
            link.key,
            {
                "url": link.url,
                "title": link.title,
                "summary": link.summary,
                "theme": link.theme_id,
            },
        )


def edits_from_rows(rows: Iterator[tuple[str, str, Any]]) -> IssueEdits:
    scalars: dict[str, Any] = {}
    mappings: dict[str, Any] = {name: {} for _, name in _MAPPINGS}
    mappings |= {"entry_order": {}, "blurbs": {}}
    dropped: set[str] = set()
    links: list[AddedLink] = []
    for kind, target, value in rows:
        if kind in _SCALARS:
            scalars[kind] = value
        elif kind == "section_order":
            scalars["section_order"] = tuple(value)
        elif kind == "drop":
            dropped.add(target)
        elif kind == "order":
            mappings["entry_order"][target] = tuple(value)
        elif kind == "blurb":
            mappings["blurbs"][target] = BlurbEdit(value["text"], value["was"])
        elif kind == "link":
            links.append(AddedLink(value["url"], value["title"], value["summary"], value["theme"]))
        else:
            mappings[dict(_MAPPINGS)[kind]][target] = value
    return IssueEdits(**scalars, **mappings, dropped=frozenset(dropped), links=tuple(links))
