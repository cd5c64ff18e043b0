"""The tables, declared once with SQLAlchemy Core on one MetaData. The schema itself is
owned by Alembic (alembic/versions): a change here needs a migration there, and
tests/test_store.py checks that the two agree.

Core, not the ORM: the reading commands (`digest status`, `items`, `show`) query these
tables directly and never import `sqlalchemy.orm`, which with the declarative classes cost
two thirds of their start-up (issue 12, item 6). The ORM classes of `digest.store.schema`
map onto these same tables, for the write paths that want a Session.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)

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


metadata = MetaData()


def _required(name: str, kind: Any, *args: Any, **kwargs: Any) -> Column[Any]:
    """A NOT NULL column (a column is nullable unless told otherwise)."""
    return Column(name, kind, *args, nullable=False, **kwargs)


def _created(name: str = "created_at") -> Column[Any]:
    return _required(name, UTCDateTime)


source = Table(
    "source",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("name", String(200), unique=True),
    _required("kind", String(20)),
    _required("location", Text),
    # What readers see: a document's publication (« Le monde de demAIn »), never a file name.
    Column("display_name", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("content_hash", String(64)),
    Column("last_status", String(20)),
    Column("last_error", Text),
    _required("consecutive_failures", Integer, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    _created(),
)

item = Table(
    "item",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("source_id", ForeignKey("source.id", ondelete="CASCADE"), index=True),
    _required("key", String(512)),
    _required("kind", String(20), default=ItemKind.STORY.value),
    _required("title", Text),
    _required("title_derived", Boolean, default=False),
    Column("url", Text),
    Column("author", Text),
    _required("published_at", UTCDateTime, index=True),
    _required("fetched_at", UTCDateTime, index=True),
    Column("language", String(12)),
    _required("html", Text, default=""),
    _required("text", Text),
    Column("enjeux", Text),
    Column("section", Text),
    _required("position", Integer, default=0),
    _required("links", JSON, default=list),
    _required("content_hash", String(64)),
    Column("origin", Text),  # the source a document credits (Frandroid)
    Column("event_date", Date),  # when the story happened, if given
    UniqueConstraint("source_id", "key", name="uq_item_source_key"),
)

issue = Table(
    "issue",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("number", Integer, unique=True),
    _required("status", String(20), default=IssueStatus.DRAFT.value),
    _required("period_start", UTCDateTime),
    _required("period_end", UTCDateTime),
    _created(),
    _created("updated_at"),
    Column("approved_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("subject", Text),
    Column("preheader", Text),
    Column("note", Text),  # the editor's note (Markdown, issue 13)
    _required("edited", JSON, default=list),  # the fields the editor wrote
)

issue_section = Table(
    "issue_section",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("issue_id", ForeignKey("issue.id", ondelete="CASCADE"), index=True),
    _required("position", Integer),
    _required("theme_id", String(200)),
    _required("title", Text),
)


def _in_section(name: str, *columns: Column[Any]) -> Table:
    """A table of a section's ordered parts (blurb, entries), deleted with its section."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        _required("section_id", ForeignKey("issue_section.id", ondelete="CASCADE"), index=True),
        _required("position", Integer),
        *columns,
    )


# A sentence of « Enjeux et perspectives » and the item it was taken from.
issue_blurb_sentence = _in_section(
    "issue_blurb_sentence",
    _required("text", Text),
    # SET NULL: a changed document replaces its items; the issue keeps its words.
    Column("item_id", ForeignKey("item.id", ondelete="SET NULL")),
    # The source's sentence and the name put in, when its subject was made explicit.
    Column("original", Text),
    Column("explicit_subject", Text),
    _required("edited", Boolean, default=False),  # the editor's sentence (issue 13)
)

issue_entry = _in_section(
    "issue_entry",
    _required("title", Text),
    _required("summary", Text),
    _required("links", JSON, default=list),
    _required("item_ids", JSON, default=list),
    _required("sources", JSON, default=list),
    _required("edited", JSON, default=list),  # "title", "summary"
)

# One of an editor's overrides on an issue (issue 13), kept apart from the draft so every
# rebuild applies it again: `kind` says what it changes, `target` which story (its key),
# section (theme id) or blurb sentence; empty for the issue itself.
issue_edit = Table(
    "issue_edit",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("issue_id", ForeignKey("issue.id", ondelete="CASCADE"), index=True),
    _required("kind", String(20)),
    _required("target", String(300), default=""),
    _required("value", JSON),
    _created("updated_at"),
    UniqueConstraint("issue_id", "kind", "target", name="uq_issue_edit"),
)

# The draft exactly as the summarizer built it, before the editor's overrides: what an
# edit is applied to again, so undoing one brings back what the build wrote.
issue_build = Table(
    "issue_build",
    metadata,
    Column("issue_id", ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True),
    _required("document", JSON),
    _created("built_at"),
)


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


subscriber = Table(
    "subscriber",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("email", String(320)),  # as given, for display and sending
    # Lowercased: two spellings of one address are one subscriber (unique).
    _required("email_key", String(320), unique=True),
    Column("name", Text),
    _required("status", String(20), index=True),
    _created(),
    _created("updated_at"),
    Column("confirmed_at", UTCDateTime),
    Column("unsubscribed_at", UTCDateTime),
    Column("bounced_at", UTCDateTime),
    # Why the status is what it is, for an operator: "unsubscribed by the operator", …
    Column("status_reason", String(STATUS_REASON_MAX)),
    _required("token_nonce", String(32), default=new_token_nonce),
    # A pause the person asked for on their preferences page (issue 14): still active, but
    # no issue is sent to them before this time; past it, they simply get the next one.
    Column("paused_until", UTCDateTime),
    # AUTOINCREMENT: SQLite otherwise hands a removed subscriber's id to the next one, and
    # old links signed for that id would act on a stranger. PostgreSQL never reuses ids.
    sqlite_autoincrement=True,
)

# A change of a subscriber's status, with its time (issue 14, `digest stats`): the
# subscriber row keeps only the last of each kind of date. `paused` carries the end of the
# pause (`ends_at`); `erased` ends the history of a removed row. No address, and no foreign
# key: an erasure leaves these anonymous, so past weeks' counts stay true.
subscriber_event = Table(
    "subscriber_event",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("subscriber_id", Integer, index=True),
    _required("status", String(20)),
    _required("at", UTCDateTime, index=True),
    Column("ends_at", UTCDateTime),
)

# An erased unsubscriber or bounced address, kept as a SHA-256 of the lowercased address
# only: no import or operator `add` brings them back (issue 10, item 4).
suppression = Table(
    "suppression",
    metadata,
    Column("email_hash", String(64), primary_key=True),
    _required("reason", String(300)),
    _created(),
)

# The ledger: one row per (issue, subscriber), written before the first message.
delivery = Table(
    "delivery",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("issue_id", ForeignKey("issue.id", ondelete="CASCADE")),
    _required("subscriber_id", ForeignKey("subscriber.id", ondelete="CASCADE"), index=True),
    _required("status", String(20), index=True),
    _required("attempts", Integer, default=0),
    Column("last_error", Text),
    Column("message_id", String(300)),
    Column("claimed_by", String(200)),
    Column("claimed_at", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("issue_id", "subscriber_id", name="uq_delivery"),
)

# What the scheduler ran (or missed), when, and how it ended.
job_run = Table(
    "job_run",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("job", String(50), index=True),
    Column("scheduled_for", UTCDateTime),
    _required("started_at", UTCDateTime, index=True),
    Column("finished_at", UTCDateTime),
    _required("outcome", String(20)),  # running, ok, failed, missed
    _required("counts", JSON, default=dict),
    Column("error", Text),
    _required("runner", String(200)),  # host:pid
)

# A named lease: the one `digest serve` holding "scheduler" runs the jobs.
lease = Table(
    "lease",
    metadata,
    Column("name", String(50), primary_key=True),
    _required("owner", String(200)),
    _required("expires_at", UTCDateTime),
)

# A double opt-in mail waiting for the service's worker (never sent inside a request: a
# hanging SMTP server held every web thread). Also the memory of the per-address caps.
confirmation = Table(
    "confirmation",
    metadata,
    Column("id", Integer, primary_key=True),
    # "confirm" (the double opt-in link) or "welcome" (after the click, issue 14): one
    # queue, one worker, one retry policy; only confirmations count against the caps.
    _required("kind", String(20), server_default="confirm"),
    _required("subscriber_id", ForeignKey("subscriber.id", ondelete="CASCADE"), index=True),
    _required("email_key", String(320), index=True),
    _required("token", Text),  # the signed link's token, made at request time
    _required("created_at", UTCDateTime, index=True),
    _required("attempts", Integer, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("claimed_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
)

# An issue's public archive page (/issues/N), rendered once and kept (issue 12): its
# premailer pass made every request cost a whole render. Dropped when its draft is
# rebuilt; a sent issue never changes.
issue_page = Table(
    "issue_page",
    metadata,
    Column("issue_id", ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True),
    _required("html", Text),  # the whole page
    _required("article", Text),  # the issue alone: the feed's content
    _created("rendered_at"),
)

# A test send of an issue to one address (`digest send --test`, the preview's form):
# outside the delivery ledger, kept so that every caller shares one rate limit.
test_send = Table(
    "test_send",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("issue_number", Integer),
    _required("address", String(320)),
    _required("sent_at", UTCDateTime, index=True),
)

# A story that went out in an issue (issue 13, item 4): recorded when the issue starts
# sending, by what survives a re-ingest (the source and the item's key, and the content
# hash), not by the item's id, which a changed document's new items do not keep.
sent_story = Table(
    "sent_story",
    metadata,
    Column("id", Integer, primary_key=True),
    _required("issue_id", ForeignKey("issue.id", ondelete="CASCADE")),
    _required("source_id", ForeignKey("source.id", ondelete="CASCADE")),
    _required("item_key", String(512)),
    _required("content_hash", String(64), index=True),
    UniqueConstraint("issue_id", "source_id", "item_key", name="uq_sent_story"),
    Index("ix_sent_story_item", "source_id", "item_key"),  # what build looks up
)

# APScheduler's own job store table (SQLAlchemyJobStore), declared here so that Alembic
# owns it like every other table; the job store finds it and does not create it.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

# An article page fetched for a teaser feed's item (issue 15, `full_text`), by URL: its
# main text, or None when the page had none or robots.txt refused it. A re-ingest finds
# its pages here and fetches none.
page = Table(
    "page",
    metadata,
    Column("url_hash", String(64), primary_key=True),  # sha256 of url
    _required("url", Text),
    Column("text", Text, nullable=True),
    _created("fetched_at"),
)
