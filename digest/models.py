"""Frozen dataclasses that flow between the pipeline stages (no I/O, no ORM)."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from digest.errors import SubscriberError


class ItemKind(enum.StrEnum):
    """What an item is to the summarizer."""

    STORY = "story"  # a news story: becomes an entry of an issue
    CONTEXT = "context"  # editorial context (a report's synthesis, outlook): feeds the blurbs


class SourceKind(enum.StrEnum):
    FEED = "feed"
    DOCUMENT = "document"
    INBOX = "inbox"  # an IMAP mailbox of newsletters (digest.ingest.inboxes)


@dataclass(frozen=True, slots=True)
class Link:
    """A source link of a story."""

    url: str
    title: str = ""


def content_hash(text: str) -> str:
    """A stable SHA-256 of text: an item's last-resort key, and how the store spots a
    changed item."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    origin: str | None = None  # the source the document credits for this story (« Frandroid »)
    event_date: date | None = None  # the date the document gives for the story's event


EDITORIAL_SOURCE = "Document de la rédaction"  # a document that names no publication


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
    source_title: str | None = None  # the source's display name (a document's publication)
    origin: str | None = None
    event_date: date | None = None

    @property
    def reader_source(self) -> str:
        """The source readers see: the origin the document credits, the document's
        publication, the feed's name; never a file name (issue 11)."""
        if self.origin or self.source_title:
            return self.origin or self.source_title or ""
        return self.source_name if self.source_kind is SourceKind.FEED else EDITORIAL_SOURCE


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
    # Set when the sentence's subject was made explicit from its story (« Le modèle
    # souffre… » → « GPT-5 souffre… »): the source's own words, and the name put in.
    original: str | None = None
    subject: str | None = None
    edited: bool = False  # written by the editor (issue 13); item_id still names its story


@dataclass(frozen=True, slots=True)
class Entry:
    """One story of an issue: possibly several items (same story, several sources)."""

    title: str
    summary: str
    links: tuple[Link, ...]
    item_ids: tuple[int, ...]
    sources: tuple[str, ...]  # source names behind the entry (documents count as sources)
    edited: tuple[str, ...] = ()  # the fields the editor wrote: "title", "summary"

    @property
    def key(self) -> str:
        """The story's stable key across rebuilds (issue 13): its first item's id, or for a
        story the editor added by its link alone, a key made of that link."""
        if self.item_ids:
            return str(self.item_ids[0])
        return link_key(self.links[0].url if self.links else self.title)

    def has_key(self, key: str) -> bool:
        """True when `key` names this story: any of its items (a rebuild may merge the
        story with another source and put that one first), or its link."""
        return key == self.key or key in {str(i) for i in self.item_ids}


@dataclass(frozen=True, slots=True)
class Section:
    theme_id: str
    title: str
    blurb: tuple[BlurbSentence, ...]
    entries: tuple[Entry, ...]

    def headline_of(self, item_id: int) -> str | None:
        """The title readers see for the story behind `item_id`: its entry's headline,
        which for an untitled story is written at build time, not the stored lede."""
        return next((e.title for e in self.entries if item_id in e.item_ids), None)


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    status: IssueStatus
    period_start: datetime
    period_end: datetime
    created_at: datetime
    sections: tuple[Section, ...]
    id: int | None = None
    # Written at build time from the strongest stories (issue 11); an editor may override.
    subject: str = ""
    preheader: str = ""  # the inbox's preview text
    note: str = ""  # the editor's note at the top (short Markdown, issue 13)
    edited: tuple[str, ...] = ()  # the issue's fields the editor wrote: "subject", …
    sent_at: datetime | None = None  # when its last message went out

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for s in self.sections for e in s.entries)


def link_key(url: str) -> str:
    """The stable key of a story the editor added by its link: « lien- » and a hash."""
    return "lien-" + content_hash(url)[:12]


# -- the editor's overrides (issue 13) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddedLink:
    """A story the editor adds by its link alone."""

    url: str
    title: str
    summary: str = ""
    theme_id: str = ""  # the section it goes to; empty or unknown: the last one

    @property
    def key(self) -> str:
        return link_key(self.url)


@dataclass(frozen=True, slots=True)
class BlurbEdit:
    """An editor's sentence in place of one of « Enjeux et perspectives »."""

    text: str
    was: str  # the summarizer's sentence it replaced: a rebuild that writes another drops it


@dataclass(frozen=True, slots=True)
class IssueEdits:
    """Everything an editor changed on one issue, kept apart from the built draft so a
    rebuild can apply it again. Stories are named by their key (Entry.key); blurb
    sentences by `theme/item id/n` (the n-th sentence of that item in that section)."""

    subject: str | None = None
    preheader: str | None = None
    note: str | None = None
    section_order: tuple[str, ...] = ()  # theme ids, first to last
    lead: str | None = None  # the story pinned first
    dropped: frozenset[str] = frozenset()
    moves: Mapping[str, str] = field(default_factory=dict)  # story -> theme id
    entry_order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # theme -> stories
    titles: Mapping[str, str] = field(default_factory=dict)
    summaries: Mapping[str, str] = field(default_factory=dict)
    blurbs: Mapping[str, BlurbEdit] = field(default_factory=dict)
    links: tuple[AddedLink, ...] = ()


@dataclass(frozen=True, slots=True)
class IssuePage:
    """A sent issue's web version, rendered once and kept: the whole page (its navigation
    left as a placeholder, the one part that changes when the next issue goes out) and the
    article alone (the Atom feed's content)."""

    page: str
    article: str


# -- subscribers and deliveries (mail) -----------------------------------------------------


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"  # signed up, not confirmed yet (double opt-in)
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # a hard bounce (5xx "no such user"): never mailed again


NAME_MAX = 200  # characters; a name is a greeting and a display name, not a document

# Control characters (Unicode category Cc: C0, DEL, C1 including NEL) and the Unicode line
# and paragraph separators: a name holding one could end a header line (issue 10, item 7).
_NAME_BREAKERS = frozenset(
    [*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029"]
)


def validate_name(raw: str | None) -> str | None:
    """A subscriber's name, stripped (None when empty); SubscriberError when it holds a
    control character or line separator, or is longer than NAME_MAX characters. Every way
    in (CLI, CSV import, the public form, the store itself) calls this one function."""
    raw = raw or ""
    bad = sorted({f"U+{ord(c):04X}" for c in raw if c in _NAME_BREAKERS})
    if bad:  # checked before stripping: a trailing CR/LF is refused too, not hidden
        raise SubscriberError(
            f"name {raw[:40]!r} contains control characters ({', '.join(bad)})",
            hint="a name is one line of text: remove line breaks, tabs and other controls",
        )
    name = raw.strip()
    if len(name) > NAME_MAX:
        raise SubscriberError(
            f"name {name[:40]!r}… is {len(name)} characters long (at most {NAME_MAX})",
            hint="shorten the name",
        )
    return name or None


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
    status_reason: str | None = None  # why: "unsubscribed by the operator", a bounce, …
    token_nonce: str = ""  # bound into every token signed for this row (issue 10, item 6)
    paused_until: datetime | None = None  # no issue before this time (their own pause)

    @property
    def suppressed(self) -> bool:
        """Unsubscribed or bounced: only the person (or an operator's reactivate) undoes it."""
        return self.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED)

    def paused(self, now: datetime) -> bool:
        """Active but on a pause that has not ended yet: sends leave them out."""
        return self.status is SubscriberStatus.ACTIVE and (
            self.paused_until is not None and self.paused_until > now
        )


@dataclass(frozen=True, slots=True)
class Signup:
    """What a public sign-up found or made: a new pending row, or the existing one as is."""

    subscriber: Subscriber
    created: bool


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
    subscriber_nonce: str = ""  # the subscriber's token nonce, for their unsubscribe link
