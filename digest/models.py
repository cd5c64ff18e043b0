"""Frozen dataclasses that flow between the pipeline stages (no I/O, no ORM)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class ItemKind(enum.StrEnum):
    """What an item is to the summarizer."""

    STORY = "story"  # a news story: becomes an entry of an issue
    CONTEXT = "context"  # editorial context (a report's synthesis, outlook): feeds the blurbs


class SourceKind(enum.StrEnum):
    FEED = "feed"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Link:
    """A source link of a story."""

    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """One story as a stage produced it, before the store gives it an id."""

    key: str  # unique within its source: guid, else link, else content hash
    title: str
    text: str
    html: str = ""
    url: str | None = None
    links: tuple[Link, ...] = ()
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    enjeux: str | None = None  # the source's own « Enjeux et perspectives » text
    section: str | None = None  # the heading the story stood under in its document
    position: int = 0  # order within its document or feed
    kind: ItemKind = ItemKind.STORY
    title_derived: bool = False  # True when the title was made from the text


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as read back from the store, for listings and later stages."""

    id: int
    source_name: str
    source_kind: SourceKind
    key: str
    title: str
    text: str
    html: str
    url: str | None
    links: tuple[Link, ...]
    author: str | None
    published_at: datetime
    fetched_at: datetime
    language: str | None
    enjeux: str | None
    section: str | None
    position: int
    kind: ItemKind
    title_derived: bool


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers of a source between runs."""

    name: str
    kind: SourceKind
    location: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    item_count: int = 0


class Outcome(enum.StrEnum):
    NEW = "new"  # fetched or read, and at least one new item
    UNCHANGED = "unchanged"  # nothing new (304, same body, same document)
    UPDATED = "updated"  # a changed document: its stories were replaced
    FAILED = "failed"
    SKIPPED = "skipped"  # backing off, or offline


@dataclass(frozen=True, slots=True)
class SourceReport:
    """How one source fared in one ingest run."""

    name: str
    kind: SourceKind
    outcome: Outcome
    new_items: int = 0
    total_items: int = 0
    message: str = ""


@dataclass(frozen=True, slots=True)
class IngestReport:
    sources: tuple[SourceReport, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[SourceReport, ...]:
        return tuple(s for s in self.sources if s.outcome is Outcome.FAILED)

    @property
    def new_items(self) -> int:
        return sum(s.new_items for s in self.sources)


# -- issues (summarize -> render -> mail) -----------------------------------------------


class IssueStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"


BRIEF_THEME_ID = "en-bref"  # the catch-all section, always last
BRIEF_THEME_TITLE = "En bref"


@dataclass(frozen=True, slots=True)
class BlurbSentence:
    """One sentence of a section's « Enjeux et perspectives », with the item it came from."""

    text: str
    item_id: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One story of an issue: possibly several items (same story, several sources)."""

    title: str
    summary: str
    links: tuple[Link, ...]
    item_ids: tuple[int, ...]
    sources: tuple[str, ...]  # source names behind the entry (documents count as sources)


@dataclass(frozen=True, slots=True)
class Section:
    theme_id: str
    title: str
    blurb: tuple[BlurbSentence, ...]
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    status: IssueStatus
    period_start: datetime
    period_end: datetime
    created_at: datetime
    sections: tuple[Section, ...]
    id: int | None = None

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for s in self.sections for e in s.entries)


# -- subscribers and deliveries (mail) -----------------------------------------------------


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"  # signed up, not confirmed yet (double opt-in)
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # a hard bounce (5xx "no such user"): never mailed again


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    status: SubscriberStatus
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    bounced_at: datetime | None = None


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # created before the first message goes out
    SENDING = "sending"  # claimed by a worker; a crash leaves it here until reclaimed
    RETRY = "retry"  # a 4xx answer: tried again after a backoff
    SENT = "sent"
    FAILED = "failed"  # a 5xx answer, or too many 4xx
    SKIPPED = "skipped"  # the subscriber was no longer active when the row was claimed


@dataclass(frozen=True, slots=True)
class Delivery:
    """One (issue, subscriber) row of the ledger, with what sending it needs."""

    id: int
    issue_number: int
    subscriber_id: int
    email: str
    name: str | None
    status: DeliveryStatus
    attempts: int
    message_id: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
