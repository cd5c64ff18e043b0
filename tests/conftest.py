"""Shared fixtures: a real store on SQLite and, when DIGEST_TEST_DATABASE_URL is set, on the
real PostgreSQL server too (every test that takes `store` runs once per backend)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from digest.store import Store, open_store

# One Chromium for the whole session: defined here once, because a fixture imported into
# two modules is two fixtures, and a second sync_playwright() inside the first fails.
from .browser import browser_fixture  # noqa: F401  (a fixture, for every test module)
from .feedserver import feed_server  # noqa: F401  (a fixture, for every test module)
from .smtpserver import smtp_server  # noqa: F401  (a fixture, for every test module)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DOCUMENTS = REPO / "documents"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DIGEST_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the real server, dropped at the end of the session."""
    admin_url = os.environ.get("DIGEST_TEST_DATABASE_URL")
    if not admin_url:
        pytest.fail("this test needs PostgreSQL: set DIGEST_TEST_DATABASE_URL (make test does)")
    name = f"digest_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'digest.db'}"
    return _emptied(request.getfixturevalue("postgres_url"))


@pytest.fixture
def postgresql_database_url(postgres_url: str) -> str:
    """For the tests of what only PostgreSQL does (several writers at once)."""
    return _emptied(postgres_url)


def _emptied(url: str) -> str:
    """The database at `url` with an empty schema: each test starts from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def commits(store: Store) -> Iterator[list[object]]:
    """One entry per transaction committed on `store` from now on (bookkeeping costs)."""
    seen: list[object] = []

    def count(connection: object) -> None:
        seen.append(connection)

    event.listen(store.engine, "commit", count)
    yield seen
    event.remove(store.engine, "commit", count)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
