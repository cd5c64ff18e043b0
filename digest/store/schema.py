"""The ORM classes, mapped onto the Core tables of `digest.store.tables` (declared once
there): for the write paths that load, change and flush rows through a Session. The
reading commands never import this module (nor `sqlalchemy.orm`): see tables.py.

The annotations type the attributes; the columns, their kinds and constraints are the
tables'. The schema itself is owned by Alembic (alembic/versions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from digest.store import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class SourceRow(Base):
    __table__ = tables.source

    id: Mapped[int]
    name: Mapped[str]
    kind: Mapped[str]
    location: Mapped[str]
    display_name: Mapped[str | None]
    etag: Mapped[str | None]
    last_modified: Mapped[str | None]
    content_hash: Mapped[str | None]
    last_status: Mapped[str | None]
    last_error: Mapped[str | None]
    consecutive_failures: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ItemRow(Base):
    __table__ = tables.item

    id: Mapped[int]
    source_id: Mapped[int]
    key: Mapped[str]
    kind: Mapped[str]
    title: Mapped[str]
    title_derived: Mapped[bool]
    url: Mapped[str | None]
    author: Mapped[str | None]
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    language: Mapped[str | None]
    html: Mapped[str]
    text: Mapped[str]
    enjeux: Mapped[str | None]
    section: Mapped[str | None]
    position: Mapped[int]
    links: Mapped[list[dict[str, str]]]
    content_hash: Mapped[str]
    origin: Mapped[str | None]
    event_date: Mapped[date | None]


class IssueRow(Base):
    __table__ = tables.issue

    id: Mapped[int]
    number: Mapped[int]
    status: Mapped[str]
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    subject: Mapped[str | None]
    preheader: Mapped[str | None]
    note: Mapped[str | None]
    edited: Mapped[list[str]]
    sections: Mapped[list[SectionRow]] = relationship(
        order_by="SectionRow.position", cascade="all, delete-orphan"
    )


class SectionRow(Base):
    __table__ = tables.issue_section

    id: Mapped[int]
    issue_id: Mapped[int]
    position: Mapped[int]
    theme_id: Mapped[str]
    title: Mapped[str]
    blurb: Mapped[list[BlurbRow]] = relationship(
        order_by="BlurbRow.position", cascade="all, delete-orphan"
    )
    entries: Mapped[list[EntryRow]] = relationship(
        order_by="EntryRow.position", cascade="all, delete-orphan"
    )


class _InSection:
    """The columns of a row that is one of a section's ordered parts (blurb, entries)."""

    id: Mapped[int]
    section_id: Mapped[int]
    position: Mapped[int]


class BlurbRow(_InSection, Base):
    __table__ = tables.issue_blurb_sentence

    text: Mapped[str]
    item_id: Mapped[int | None]
    original: Mapped[str | None]
    explicit_subject: Mapped[str | None]
    edited: Mapped[bool]


class EntryRow(_InSection, Base):
    __table__ = tables.issue_entry

    title: Mapped[str]
    summary: Mapped[str]
    links: Mapped[list[dict[str, str]]]
    item_ids: Mapped[list[int]]
    sources: Mapped[list[str]]
    edited: Mapped[list[str]]


class IssueEditRow(Base):
    __table__ = tables.issue_edit

    id: Mapped[int]
    issue_id: Mapped[int]
    kind: Mapped[str]
    target: Mapped[str]
    value: Mapped[Any]
    updated_at: Mapped[datetime]


class IssueBuildRow(Base):
    __table__ = tables.issue_build

    issue_id: Mapped[int]
    document: Mapped[dict[str, Any]]
    built_at: Mapped[datetime]


class SubscriberRow(Base):
    __table__ = tables.subscriber

    id: Mapped[int]
    email: Mapped[str]
    email_key: Mapped[str]
    name: Mapped[str | None]
    status: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]
    status_reason: Mapped[str | None]
    token_nonce: Mapped[str]
    paused_until: Mapped[datetime | None]


class SubscriberEventRow(Base):
    __table__ = tables.subscriber_event

    id: Mapped[int]
    subscriber_id: Mapped[int]
    status: Mapped[str]
    at: Mapped[datetime]
    ends_at: Mapped[datetime | None]


class SuppressionRow(Base):
    __table__ = tables.suppression

    email_hash: Mapped[str]
    reason: Mapped[str]
    created_at: Mapped[datetime]


class DeliveryRow(Base):
    __table__ = tables.delivery

    id: Mapped[int]
    issue_id: Mapped[int]
    subscriber_id: Mapped[int]
    status: Mapped[str]
    attempts: Mapped[int]
    last_error: Mapped[str | None]
    message_id: Mapped[str | None]
    claimed_by: Mapped[str | None]
    claimed_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class JobRunRow(Base):
    __table__ = tables.job_run

    id: Mapped[int]
    job: Mapped[str]
    scheduled_for: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str]
    counts: Mapped[dict[str, int]]
    error: Mapped[str | None]
    runner: Mapped[str]


class LeaseRow(Base):
    __table__ = tables.lease

    name: Mapped[str]
    owner: Mapped[str]
    expires_at: Mapped[datetime]


class ConfirmationRow(Base):
    __table__ = tables.confirmation

    id: Mapped[int]
    kind: Mapped[str]
    subscriber_id: Mapped[int]
    email_key: Mapped[str]
    token: Mapped[str]
    created_at: Mapped[datetime]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None]


class IssuePageRow(Base):
    __table__ = tables.issue_page

    issue_id: Mapped[int]
    html: Mapped[str]
    article: Mapped[str]
    rendered_at: Mapped[datetime]


class TestSendRow(Base):
    __table__ = tables.test_send

    id: Mapped[int]
    issue_number: Mapped[int]
    address: Mapped[str]
    sent_at: Mapped[datetime]


class SentStoryRow(Base):
    __table__ = tables.sent_story

    id: Mapped[int]
    issue_id: Mapped[int]
    source_id: Mapped[int]
    item_key: Mapped[str]
    content_hash: Mapped[str]


class PageRow(Base):
    __table__ = tables.page

    url_hash: Mapped[str]
    url: Mapped[str]
    text: Mapped[str | None]
    fetched_at: Mapped[datetime]
