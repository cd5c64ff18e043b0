"""The store: SQLAlchemy 2.x models, the session factory, and the queries the stages need.

Only this module touches the ORM; stages get and give the dataclasses of `digest.models`.
The schema is owned by Alembic (`alembic/versions`): `open_store` upgrades to head, it
never calls `create_all`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from digest.errors import StoreError
from digest.models import ItemDraft, ItemKind, Link, SourceKind, SourceState, StoredItem

log = logging.getLogger(__name__)


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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the preview read while an ingest writes; foreign keys are off by default
        # in SQLite; busy_timeout makes a second writer wait instead of failing at once.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def alembic_dir() -> Path:
    """The migrations: top-level alembic/ in a checkout, digest/_alembic in a wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "alembic", package / "_alembic"):
        if (candidate / "env.py").exists():
            return candidate
    raise StoreError("the Alembic migrations folder is missing", hint="reinstall digest")


def upgrade_schema(engine: Engine) -> None:
    """Apply every pending migration (`alembic upgrade head`) on this engine."""
    from alembic.config import Config

    from alembic import command

    cfg = Config()
    cfg.set_main_option("script_location", str(alembic_dir()))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to the database at `url` and bring its schema up to date."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(
            f"cannot use database URL {_redact(url)}: {exc}",
            hint="check DIGEST_DATABASE_URL or database_url",
        ) from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    if migrate:
        try:
            upgrade_schema(engine)
        except OperationalError as exc:
            raise StoreError(
                f"cannot open database {_redact(url)}: {exc.orig}",
                hint="is the server running and the URL right?",
            ) from exc
    return Store(engine)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable URL>"


class Store:
    """The queries the stages need, in their own vocabulary."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # -- sources ---------------------------------------------------------------------

    def ensure_source(self, name: str, kind: SourceKind, location: str, now: datetime) -> None:
        """Create the source row if it is new; keep its location up to date."""
        with self.session() as s:
            row = s.scalar(select(SourceRow).where(SourceRow.name == name))
            if row is None:
                s.add(
                    SourceRow(
                        name=name,
                        kind=kind.value,
                        location=location,
                        created_at=now,
                        consecutive_failures=0,
                    )
                )
            elif row.location != location:
                row.location = location

    def source_state(self, name: str) -> SourceState | None:
        with self.session() as s:
            row = s.scalar(select(SourceRow).where(SourceRow.name == name))
            return None if row is None else _source_state(row, 0)

    def list_sources(self) -> list[SourceState]:
        with self.session() as s:
            counts = dict(
                s.execute(select(ItemRow.source_id, func.count()).group_by(ItemRow.source_id)).all()
            )
            rows = s.scalars(select(SourceRow).order_by(SourceRow.kind, SourceRow.name))
            return [_source_state(row, counts.get(row.id, 0)) for row in rows]

    def record_success(
        self,
        name: str,
        now: datetime,
        status: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
    ) -> None:
        """A fetch or read worked: clear the failure count and remember the validators."""
        with self.session() as s:
            row = self._source(s, name)
            row.last_status, row.last_error = status, None
            row.consecutive_failures = 0
            row.next_attempt_at = None
            row.last_attempt_at = row.last_success_at = now
            if etag is not None or last_modified is not None:
                row.etag, row.last_modified = etag, last_modified
            if content_hash is not None:
                row.content_hash = content_hash

    def record_failure(
        self, name: str, now: datetime, error: str, next_attempt_at: datetime
    ) -> int:
        """A fetch failed: count it and set when to try again; returns the failure count."""
        with self.session() as s:
            row = self._source(s, name)
            row.last_status, row.last_error = "failed", error
            row.consecutive_failures = (row.consecutive_failures or 0) + 1
            row.last_attempt_at = now
            row.next_attempt_at = next_attempt_at
            return row.consecutive_failures

    @staticmethod
    def _source(s: Session, name: str) -> SourceRow:
        row = s.scalar(select(SourceRow).where(SourceRow.name == name))
        if row is None:
            raise KeyError(f"unknown source {name!r}: call ensure_source first")
        return row

    # -- items -----------------------------------------------------------------------

    def add_items(self, source_name: str, drafts: Iterable[ItemDraft], now: datetime) -> int:
        """Insert the drafts whose key the source does not have yet; returns how many."""
        with self.session() as s:
            source = self._source(s, source_name)
            known = set(s.scalars(select(ItemRow.key).where(ItemRow.source_id == source.id)))
            fresh = _unique_new(drafts, known)
            s.add_all(_item_row(source.id, d, now) for d in fresh)
            return len(fresh)

    def replace_items(
        self, source_name: str, drafts: Iterable[ItemDraft], now: datetime, content_hash: str
    ) -> int:
        """Swap a changed document's stories for its new ones, in one transaction."""
        with self.session() as s:
            source = self._source(s, source_name)
            s.execute(delete(ItemRow).where(ItemRow.source_id == source.id))
            fresh = _unique_new(drafts, set())
            s.add_all(_item_row(source.id, d, now) for d in fresh)
            source.content_hash = content_hash
            source.last_status, source.last_error = "ok", None
            source.consecutive_failures = 0
            source.last_attempt_at = source.last_success_at = now
            return len(fresh)

    def list_items(self, source_name: str | None = None) -> list[StoredItem]:
        with self.session() as s:
            query = (
                select(ItemRow, SourceRow.name, SourceRow.kind)
                .join(SourceRow, ItemRow.source_id == SourceRow.id)
                .order_by(SourceRow.name, ItemRow.position, ItemRow.id)
            )
            if source_name is not None:
                query = query.where(SourceRow.name == source_name)
            return [_stored_item(row, name, kind) for row, name, kind in s.execute(query)]


def _unique_new(drafts: Iterable[ItemDraft], known: set[str]) -> list[ItemDraft]:
    """Drafts whose key is neither known nor repeated earlier in the batch (feeds repeat guids)."""
    fresh: list[ItemDraft] = []
    for draft in drafts:
        if draft.key not in known:
            known.add(draft.key)
            fresh.append(draft)
    return fresh


def _item_row(source_id: int, d: ItemDraft, now: datetime) -> ItemRow:
    from digest.ingest.clean import content_hash

    return ItemRow(
        source_id=source_id,
        key=d.key,
        kind=d.kind.value,
        title=d.title,
        title_derived=d.title_derived,
        url=d.url,
        author=d.author,
        published_at=d.published_at or now,
        fetched_at=now,
        language=d.language,
        html=d.html,
        text=d.text,
        enjeux=d.enjeux,
        section=d.section,
        position=d.position,
        links=[{"url": link.url, "title": link.title} for link in d.links],
        content_hash=content_hash(d.title + "\n" + d.text),
    )


def _source_state(row: SourceRow, item_count: int) -> SourceState:
    return SourceState(
        name=row.name,
        kind=SourceKind(row.kind),
        location=row.location,
        etag=row.etag,
        last_modified=row.last_modified,
        content_hash=row.content_hash,
        consecutive_failures=row.consecutive_failures or 0,
        next_attempt_at=row.next_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        item_count=item_count,
    )


def _stored_item(row: ItemRow, source_name: str, source_kind: str) -> StoredItem:
    return StoredItem(
        id=row.id,
        source_name=source_name,
        source_kind=SourceKind(source_kind),
        key=row.key,
        title=row.title,
        text=row.text,
        html=row.html,
        url=row.url,
        links=tuple(Link(url=link["url"], title=link.get("title", "")) for link in row.links),
        author=row.author,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        language=row.language,
        enjeux=row.enjeux,
        section=row.section,
        position=row.position,
        kind=ItemKind(row.kind),
        title_derived=row.title_derived,
    )


def utcnow() -> datetime:
    """The current time, aware UTC; called by the CLI and scheduler only, then passed in."""
    return datetime.now(UTC)
