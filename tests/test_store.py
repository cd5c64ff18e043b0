"""The store on a real database: migrations, uniqueness, aware UTC datetimes, backoff state."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from digest.models import ItemDraft, Link, SourceKind
from digest.store import Store, alembic_dir, open_store
from digest.store.migrations import migration_heads, schema_is_current


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


# -- issue 12, item 6: the migration check of every start-up costs one query, no Alembic ---


def test_the_heads_read_from_the_migration_files_are_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    heads = frozenset(ScriptDirectory.from_config(config).get_heads())
    assert migration_heads(alembic_dir()) == heads


def migration(folder: Path, revision: str, down: str) -> None:
    versions = folder / "versions"
    versions.mkdir(exist_ok=True)
    header = f'revision: str = "{revision}"\ndown_revision: str | None = {down}\n'
    (versions / f"{revision}.py").write_text(f'"""{revision}."""\n\n{header}', encoding="utf-8")


def test_heads_follow_branches_and_merges(tmp_path: Path) -> None:
    migration(tmp_path, "0001", "None")
    migration(tmp_path, "0002_a", '"0001"')
    migration(tmp_path, "0002_b", "'0001'")
    assert migration_heads(tmp_path) == frozenset({"0002_a", "0002_b"})
    migration(tmp_path, "0003_merge", '("0002_a", "0002_b")')
    assert migration_heads(tmp_path) == frozenset({"0003_merge"})


def test_a_migration_file_it_cannot_read_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    migration(tmp_path, "0001", "None")
    (tmp_path / "versions" / "0002_odd.py").write_text("REVISION = '0002'\n", encoding="utf-8")
    assert migration_heads(tmp_path) is None
    engine = create_engine(f"sqlite:///{tmp_path / 'any.db'}")
    assert not schema_is_current(engine, tmp_path)  # so open_store runs Alembic


def test_a_current_schema_opens_without_importing_alembic(database_url: str) -> None:
    opened = open_store(database_url)  # a new database: Alembic creates the schema
    assert schema_is_current(opened.engine, alembic_dir())
    opened.close()
    probe = (
        "import sys; from digest.store import open_store\n"
        f"open_store({database_url!r}).close()\n"
        "print('alembic' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "False"


def test_a_schema_behind_the_head_is_upgraded(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0008_sources")
    assert not schema_is_current(engine, alembic_dir())
    open_store(database_url).close()
    assert schema_is_current(engine, alembic_dir())
    engine.dispose()
