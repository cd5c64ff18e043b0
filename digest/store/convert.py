"""Rows to dataclasses and back: kept apart so the repository reads as queries only.

A row here is an ORM object or a Core result row (`Row`, whose columns are attributes by
name): one converter serves the Session's write paths and the Core reads alike, and this
module imports no `sqlalchemy.orm`."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Row, select

from digest.errors import UnknownIssue
from digest.models import (
    BlurbSentence,
    Entry,
    Issue,
    IssueStatus,
    ItemDraft,
    ItemKind,
    Link,
    Section,
    SourceKind,
    SourceState,
    StoredItem,
    Subscriber,
    SubscriberStatus,
    content_hash,
)
from digest.store import tables

if TYPE_CHECKING:  # the ORM's classes as types only: the reading commands never import it
    from _typeshed import DataclassInstance
    from sqlalchemy.orm import Session

    from digest.store.schema import (
        BlurbRow,
        EntryRow,
        IssueRow,
        ItemRow,
        SectionRow,
        SourceRow,
        SubscriberRow,
    )

_D = TypeVar("_D", bound="DataclassInstance")


def from_row(cls: type[_D], row: Any, **converted: Any) -> _D:
    """A `cls` made of the like-named attributes of `row` (an ORM object or a result row),
    but for the fields in `converted`: an enum from its string, a column named otherwise, a
    value from elsewhere. A field the row lacks is an AttributeError, not a silent default."""
    same = {name: getattr(row, name) for name in _field_names(cls) if name not in converted}
    return cls(**same, **converted)


def to_subscriber(row: SubscriberRow | Row[Any]) -> Subscriber:
    return from_row(Subscriber, row, status=SubscriberStatus(row.status))


def field_values(obj: DataclassInstance, **converted: Any) -> dict[str, Any]:
    """`obj`'s fields by name, as a row's column values, with `converted` replacing or
    adding some."""
    return {name: getattr(obj, name) for name in _field_names(type(obj))} | converted


@functools.cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def issue_from_row(row: IssueRow | Row[Any], sections: tuple[Section, ...] | None = None) -> Issue:
    """The issue `row` stores, with `sections`: by default an ORM row's own (a Core row
    has none: its reader loads them, and the archive's list only each lead story)."""
    return Issue(
        id=row.id,
        number=row.number,
        status=IssueStatus(row.status),
        period_start=row.period_start,
        period_end=row.period_end,
        created_at=row.created_at,
        subject=row.subject or "",
        preheader=row.preheader or "",
        note=row.note or "",
        edited=tuple(row.edited or ()),
        sent_at=row.sent_at,
        sections=tuple(section_from_rows(sec, sec.blurb, sec.entries) for sec in row.sections)
        if sections is None
        else sections,
    )


def section_from_rows(
    row: SectionRow | Row[Any],
    blurb: Iterable[BlurbRow | Row[Any]],
    entries: Iterable[EntryRow | Row[Any]],
) -> Section:
    """A section from its row and the rows of its blurb and entries, each in order."""
    return Section(
        theme_id=row.theme_id,
        title=row.title,
        blurb=tuple(
            BlurbSentence(b.text, b.item_id or 0, b.original, b.explicit_subject, bool(b.edited))
            for b in blurb
        ),
        entries=tuple(
            Entry(
                title=e.title,
                summary=e.summary,
                links=_links(e.links),
                item_ids=tuple(e.item_ids),
                sources=tuple(e.sources),
                edited=tuple(e.edited or ()),
            )
            for e in entries
        ),
    )


def sections_document(sections: Iterable[Section]) -> list[dict[str, Any]]:
    """An issue's sections as JSON values (the draft as built, kept beside the edited one)."""
    return [
        {
            "theme_id": sec.theme_id,
            "title": sec.title,
            "blurb": [field_values(b) for b in sec.blurb],
            "entries": [
                field_values(e, links=links_json(e.links), item_ids=list(e.item_ids))
                | {"sources": list(e.sources), "edited": list(e.edited)}
                for e in sec.entries
            ],
        }
        for sec in sections
    ]


def sections_from_document(document: list[dict[str, Any]]) -> tuple[Section, ...]:
    return tuple(
        Section(
            theme_id=sec["theme_id"],
            title=sec["title"],
            blurb=tuple(BlurbSentence(**b) for b in sec["blurb"]),
            entries=tuple(
                Entry(
                    title=e["title"],
                    summary=e["summary"],
                    links=_links(e["links"]),
                    item_ids=tuple(e["item_ids"]),
                    sources=tuple(e["sources"]),
                    edited=tuple(e["edited"]),
                )
                for e in sec["entries"]
            ),
        )
        for sec in document
    )


def links_json(links: Iterable[Link]) -> list[dict[str, str]]:
    return [{"url": link.url, "title": link.title} for link in links]


def _links(raw: list[dict[str, str]]) -> tuple[Link, ...]:
    return tuple(Link(url=link["url"], title=link.get("title", "")) for link in raw)


# PostgreSQL text and jsonb cannot hold NUL (psycopg raises DataError: issue 10, a document
# with NUL bytes aborted a whole ingest), and neither database can encode a lone surrogate
# (a `&#xD800;` in a feed): every item, from a document or a feed, passes here first.
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without what a database refuses: NUL dropped, lone surrogates made U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:  # encoding is C-fast: a regex scan for surrogates cost 250 µs an item (5x this)
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


_TEXT_FIELDS = ("key", "title", "text", "html", "url", "author", "language", "enjeux", "section")


def storable_draft(d: ItemDraft) -> ItemDraft:
    """The draft with every text field storable (see `storable`); itself when it already is
    (the usual case: no copy)."""
    changed: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(d, name)
        if value is not None and (clean := storable(value)) is not value:
            changed[name] = clean
    links = tuple(Link(storable(link.url), storable(link.title)) for link in d.links)
    if links != d.links:
        changed["links"] = links
    return replace(d, **changed) if changed else d


def unique_new(drafts: Iterable[ItemDraft], known: set[str]) -> list[ItemDraft]:
    """Storable drafts whose key is neither known nor repeated earlier in the batch (feeds
    repeat guids)."""
    fresh: list[ItemDraft] = []
    for draft in map(storable_draft, drafts):
        if draft.key not in known:
            known.add(draft.key)
            fresh.append(draft)
    return fresh


def item_values(source_id: int, d: ItemDraft, now: datetime) -> dict[str, Any]:
    """An item row's column values, for one bulk INSERT: ORM objects cost 0.85 ms an item
    in the unit of work, the main process's largest cost in a first ingest."""
    return field_values(
        d,
        source_id=source_id,
        kind=d.kind.value,
        published_at=d.published_at or now,
        fetched_at=now,
        links=links_json(d.links),
        content_hash=content_hash(d.title + "\n" + d.text),
    )


def source_state(row: SourceRow | Row[Any], item_count: int) -> SourceState:
    return from_row(
        SourceState,
        row,
        kind=SourceKind(row.kind),
        consecutive_failures=row.consecutive_failures or 0,
        item_count=item_count,
    )


def stored_item(
    row: ItemRow | Row[Any], source_name: str, source_kind: str, source_title: str | None = None
) -> StoredItem:
    return from_row(
        StoredItem,
        row,
        source_name=source_name,
        source_kind=SourceKind(source_kind),
        source_title=source_title,
        links=_links(row.links),
        kind=ItemKind(row.kind),
    )


def unknown_issue(s: Session | Connection, number: int) -> UnknownIssue:
    """The error for an issue number that names no issue, listing the numbers there are
    (every command taking an ISSUE argument ends here: show, render, approve, send…)."""
    number_column = tables.issue.c.number
    numbers = [str(n) for n in s.scalars(select(number_column).order_by(number_column))]
    known = ", ".join(numbers) if len(numbers) <= 20 else f"1–{numbers[-1]}"
    return UnknownIssue(
        f"no issue {number} (issues: {known or 'none yet'})",
        hint="digest build makes one" if not numbers else "digest status shows the current one",
    )
