"""The store on a real database: migrations, uniqueness, aware UTC datetimes, backoff state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from digest.models import ItemDraft, Link, SourceKind
from digest.store import Store, open_store


def draft(key: str, title: str = "Titre", **extra: object) -> ItemDraft:
    return ItemDraft(key=key, title=title, text=f"Texte de {key}.", **extra)  # type: ignore[arg-type]


def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    first = open_store(database_url)
    tables = set(inspect(first.engine).get_table_names())
    assert {"source", "item", "issue", "issue_section", "issue_entry", "alembic_version"} <= tables
    first.close()
    open_store(database_url).close()  # a second start upgrades nothing and breaks nothing


def test_items_are_unique_per_source_and_key(store: Store, now: datetime) -> None:
    store.ensure_source("a", SourceKind.FEED, "https://a.example/feed", now)
    store.ensure_source("b", SourceKind.FEED, "https://b.example/feed", now)
    assert store.add_items("a", [draft("1"), draft("2"), draft("1")], now) == 2
    assert store.add_items("a", [draft("2"), draft("3")], now) == 1
    assert store.add_items("b", [draft("1")], now) == 1  # same key, other source: a new item
    assert [i.key for i in store.list_items("a")] == ["1", "2", "3"]


def test_items_round_trip_with_aware_utc_dates(store: Store, now: datetime) -> None:
    store.ensure_source("a", SourceKind.FEED, "https://a.example/feed", now)
    published = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    links = (Link("https://example.org/x", "Exemple"),)
    store.add_items("a", [draft("k", published_at=published, links=links, language="fr")], now)
    (item,) = store.list_items("a")
    assert item.published_at == published and item.published_at.tzinfo is not None
    assert item.fetched_at == now
    assert item.links == links and item.language == "fr"


def test_naive_datetimes_are_refused(store: Store, now: datetime) -> None:
    store.ensure_source("a", SourceKind.FEED, "https://a.example/feed", now)
    with pytest.raises(Exception, match="naive datetime"):
        store.add_items("a", [draft("k", published_at=datetime(2026, 1, 1))], now)


def test_failures_count_up_and_a_success_resets(store: Store, now: datetime) -> None:
    store.ensure_source("a", SourceKind.FEED, "https://a.example/feed", now)
    assert store.record_failure("a", now, "HTTP 500", now + timedelta(minutes=15)) == 1
    assert store.record_failure("a", now, "HTTP 500", now + timedelta(minutes=30)) == 2
    state = store.source_state("a")
    assert state and state.last_status == "failed" and state.last_error == "HTTP 500"
    assert state.next_attempt_at == now + timedelta(minutes=30)
    store.record_success("a", now, "ok", etag='"v1"', last_modified=None)
    state = store.source_state("a")
    assert state and state.consecutive_failures == 0 and state.next_attempt_at is None
    assert state.etag == '"v1"'


def test_migrations_match_the_models(database_url: str) -> None:
    """Alembic's autogenerate finds nothing to do: no model change without its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from digest.store import Base

    opened = open_store(database_url)
    with opened.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    opened.close()
    assert diff == []
