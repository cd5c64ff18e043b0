"""The tables, as SQLAlchemy 2.x typed models. The schema itself is owned by Alembic
(alembic/versions): a change here needs a migration there."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from digest.models import IssueStatus, ItemKind


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    __tablename__ = "source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(Text)
    # What readers see: a document's publication (« Le monde de demAIn »), never a file name.
    display_name: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ItemRow(Base):
    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_item_source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.STORY.value)
    title: Mapped[str] = mapped_column(Text)
    title_derived: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str | None] = mapped_column(String(12))
    html: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    enjeux: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(Text)  # the source a document credits (Frandroid)
    event_date: Mapped[date | None] = mapped_column(Date)  # when the story happened, if given


class IssueRow(Base):
    __tablename__ = "issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(20), default=IssueStatus.DRAFT.value)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(Text)
    preheader: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # the editor's note (Markdown, issue 13)
    edited: Mapped[list[str]] = mapped_column(JSON, default=list)  # the fields the editor wrote
    sections: Mapped[list[SectionRow]] = relationship(
        order_by="SectionRow.position", cascade="all, delete-orphan"
    )


class SectionRow(Base):
    __tablename__ = "issue_section"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    theme_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    blurb: Mapped[list[BlurbRow]] = relationship(
        order_by="BlurbRow.position", cascade="all, delete-orphan"
    )
    entries: Mapped[list[EntryRow]] = relationship(
        order_by="EntryRow.position", cascade="all, delete-orphan"
    )


class _InSection:
    """The columns of a row that is one of a section's ordered parts (blurb, entries):
    deleted with its section. First in each table (sort_order), as the migrations made
    them."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("issue_section.id", ondelete="CASCADE"), index=True, sort_order=-1
    )
    position: Mapped[int] = mapped_column(Integer, sort_order=-1)


class BlurbRow(_InSection, Base):
    """A sentence of « Enjeux et perspectives » and the item it was taken from."""

    __tablename__ = "issue_blurb_sentence"

    text: Mapped[str] = mapped_column(Text)
    # SET NULL: a changed document replaces its items; the issue keeps its words.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="SET NULL"))
    # The source's sentence and the name put in, when its subject was made explicit.
    original: Mapped[str | None] = mapped_column(Text)
    explicit_subject: Mapped[str | None] = mapped_column(Text)
    edited: Mapped[bool] = mapped_column(default=False)  # the editor's sentence (issue 13)


class EntryRow(_InSection, Base):
    __tablename__ = "issue_entry"

    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    edited: Mapped[list[str]] = mapped_column(JSON, default=list)  # "title", "summary"


class IssueEditRow(Base):
    """One of an editor's overrides on an issue (issue 13), kept apart from the draft so
    every rebuild applies it again: `kind` says what it changes, `target` which story
    (its key), section (theme id) or blurb sentence; empty for the issue itself."""

    __tablename__ = "issue_edit"
    __table_args__ = (UniqueConstraint("issue_id", "kind", "target", name="uq_issue_edit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(300), default="")
    value: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IssueBuildRow(Base):
    """The draft exactly as the summarizer built it, before the editor's overrides: what
    an edit is applied to again, so undoing one brings back what the build wrote."""

    __tablename__ = "issue_build"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


# A subscriber's token nonce, from the row's birth to its deletion: every unsubscribe and
# confirm token carries it, so a token dies with its row (issue 10, item 6). Rows that
# existed before tokens carried a nonce got one starting with LEGACY_NONCE_PREFIX: only
# they still accept the old id-only tokens of the mails already out there.
LEGACY_NONCE_PREFIX = "legacy-"
STATUS_REASON_MAX = 300  # characters; a longer reason (a server's answer) is cut


def status_reason(reason: str | None) -> str | None:
    """A reason as the column holds it: cut, not refused (PostgreSQL would fail the
    whole status change on a 400-character SMTP answer)."""
    return None if reason is None else reason[:STATUS_REASON_MAX]


def new_token_nonce() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits, 16 characters


class SubscriberRow(Base):
    __tablename__ = "subscriber"
    # AUTOINCREMENT: SQLite otherwise hands a removed subscriber's id to the next one, and
    # old links signed for that id would act on a stranger. PostgreSQL never reuses ids.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # as given, for display and sending
    # Lowercased: two spellings of one address are one subscriber (unique).
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the status is what it is, for an operator: "unsubscribed by the operator", …
    status_reason: Mapped[str | None] = mapped_column(String(STATUS_REASON_MAX))
    token_nonce: Mapped[str] = mapped_column(String(32), default=new_token_nonce)
    # A pause the person asked for on their preferences page (issue 14): still active, but
    # no issue is sent to them before this time; past it, they simply get the next one.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriberEventRow(Base):
    """A change of a subscriber's status, with its time (issue 14, `digest stats`): the
    subscriber row keeps only the last of each kind of date. `paused` carries the end of
    the pause (`ends_at`); `erased` ends the history of a removed row. No address, and no
    foreign key: an erasure leaves these anonymous, so past weeks' counts stay true."""

    __tablename__ = "subscriber_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SuppressionRow(Base):
    """An erased unsubscriber or bounced address, kept as a SHA-256 of the lowercased
    address only: no import or operator `add` brings them back (issue 10, item 4)."""

    __tablename__ = "suppression"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """The ledger: one row per (issue, subscriber), written before the first message."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("issue_id", "subscriber_id", name="uq_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRunRow(Base):
    """What the scheduler ran (or missed), when, and how it ended."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(50), index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20))  # running, ok, failed, missed
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str] = mapped_column(String(200))  # host:pid


class LeaseRow(Base):
    """A named lease: the one `digest serve` holding "scheduler" runs the jobs."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConfirmationRow(Base):
    """A double opt-in mail waiting for the service's worker (never sent inside a request:
    a hanging SMTP server held every web thread). Also the memory of the per-address caps."""

    __tablename__ = "confirmation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "confirm" (the double opt-in link) or "welcome" (after the click, issue 14): one
    # queue, one worker, one retry policy; only confirmations count against the caps.
    kind: Mapped[str] = mapped_column(String(20), server_default="confirm")
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    email_key: Mapped[str] = mapped_column(String(320), index=True)
    token: Mapped[str] = mapped_column(Text)  # the signed link's token, made at request time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class IssuePageRow(Base):
    """An issue's public archive page (/issues/N), rendered once and kept (issue 12): its
    premailer pass made every request cost a whole render. Dropped when its draft is
    rebuilt; a sent issue never changes."""

    __tablename__ = "issue_page"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True
    )
    html: Mapped[str] = mapped_column(Text)  # the whole page
    article: Mapped[str] = mapped_column(Text)  # the issue alone: the feed's content
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TestSendRow(Base):
    """A test send of an issue to one address (`digest send --test`, the preview's form):
    outside the delivery ledger, kept so that every caller shares one rate limit."""

    __tablename__ = "test_send"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_number: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SentStoryRow(Base):
    """A story that went out in an issue (issue 13, item 4): recorded when the issue starts
    sending, by what survives a re-ingest (the source and the item's key, and the content
    hash), not by the item's id, which a changed document's new items do not keep."""

    __tablename__ = "sent_story"
    __table_args__ = (
        UniqueConstraint("issue_id", "source_id", "item_key", name="uq_sent_story"),
        Index("ix_sent_story_item", "source_id", "item_key"),  # what build looks up
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)


# APScheduler's own job store table (SQLAlchemyJobStore), declared here so that Alembic
# owns it like every other table; the job store finds it and does not create it.
APSCHEDULER_JOBS = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class PageRow(Base):
    """An article page fetched for a teaser feed's item (issue 15, `full_text`), by URL:
    its main text, or None when the page had none or robots.txt refused it. A re-ingest
    finds its pages here and fetches none."""

    __tablename__ = "page"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of url
    url: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
