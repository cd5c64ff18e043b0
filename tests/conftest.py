"""Shared fixtures: a real store on SQLite and, when DIGEST_TEST_DATABASE_URL is set, on the
real PostgreSQL server too (every test that takes `store` runs once per backend). What is
costly and read-only is made once per session: the migrated schema a `store` starts from,
the seed issue (a module that changes it works on a copy)."""

from __future__ import annotations

import atexit
import fcntl
import os
import pickle
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import create_engine, event, text

from digest.app.build import run_build
from digest.config import load_settings
from digest.ingest.documents import document_files, ingest_documents
from digest.models import Issue, StoredItem
from digest.serialize import issue_json
from digest.settings import Settings
from digest.store import Base, Store, open_store

# One Chromium for the whole session: defined here once, because a fixture imported into
# two modules is two fixtures, and a second sync_playwright() inside the first fails.
from .browser import browser_fixture  # noqa: F401  (a fixture, for every test module)
from .feedserver import feed_server  # noqa: F401  (a fixture, for every test module)
from .smtpserver import smtp_server  # noqa: F401  (a fixture, for every test module)
from .throwaway import throwaway_database

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DOCUMENTS = REPO / "documents"

# When the seed issue is built (the shipped documents were fetched an hour before).
SEED_NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DIGEST_TEST_DATABASE_URL") else [])


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new database on the real server, dropped on leaving."""
    admin_url = os.environ.get("DIGEST_TEST_DATABASE_URL")
    if not admin_url:
        pytest.fail("this test needs PostgreSQL: set DIGEST_TEST_DATABASE_URL (make test does)")
    with throwaway_database(admin_url, "digest_test") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the real server, dropped at the end of the session."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database; for a test that also takes `store`, one already at the head
    migration with no rows (what opening the store would make of an empty one, without
    migrating again: a copy on SQLite, its rows deleted on PostgreSQL)."""
    migrated = "store" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "digest.db"
        if migrated:
            copy_sqlite(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    if migrated:
        return _without_rows(url, request.getfixturevalue("migrated_postgres"))
    return _emptied(url)


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database through the backup API (consistent, whatever its journal)."""
    source_db, target_db = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        source_db.close()
        target_db.close()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store at the head migration, migrated once for the session."""
    path = tmp_path_factory.mktemp("migrated") / "digest.db"
    open_store(f"sqlite:///{path}").close()
    return path


@dataclass(frozen=True)
class Shape:
    """What the head migration makes of an empty PostgreSQL schema."""

    tables: frozenset[str]
    version: str | None


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url: str) -> Shape:
    """The session database migrated once; its shape tells a later test it can be reused."""
    open_store(_emptied(postgres_url)).close()
    shape = _shape(postgres_url)
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        for table in shape.tables - {"alembic_version"}:  # emptying must equal migrating
            assert not conn.scalar(text(f'SELECT count(*) FROM "{table}"')), table
    engine.dispose()
    return shape


def _shape(url: str) -> Shape:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = frozenset(
            conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        )
        version = (
            conn.scalar(text("SELECT version_num FROM alembic_version"))
            if "alembic_version" in tables
            else None
        )
    engine.dispose()
    return Shape(tables, version)


def _without_rows(url: str, migrated: Shape) -> str:
    """The database at `url` at the head migration with no rows. When the last test left
    exactly the migrated tables at the head version, their rows are deleted; anything
    else (an empty schema, a job store's table, another version) is emptied and migrated."""
    if _shape(url) == migrated:
        engine = create_engine(url)
        with engine.begin() as conn:
            # DELETE, not TRUNCATE (which makes new files: ten times slower on tiny tables);
            # foreign keys unchecked while every row goes, sequences back to their start.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in sorted(migrated.tables - {"alembic_version"}):
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
                    " FROM pg_sequences WHERE schemaname = 'public'"
                )
            )
        engine.dispose()
    else:
        open_store(_emptied(url)).close()
    return url


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


@dataclass(frozen=True)
class SeedIssue:
    """The shipped documents (feeds.yaml's) built into draft issue 1 at SEED_NOW, on SQLite.
    `database` is never opened by a test: each takes a copy of its own."""

    database: Path
    issue: Issue  # as the build returned it (not read back from the store)

    def copy(self, folder: Path) -> Store:
        """A store on a copy in `folder`: what a module does to it touches no other."""
        copy_sqlite(self.database, folder / "digest.db")
        return open_store(f"sqlite:///{folder / 'digest.db'}")


@pytest.fixture(scope="session")
def seed_issue(tmp_path_factory: pytest.TempPathFactory) -> SeedIssue:
    """Built once for the session: ingesting and building the seeds is the costly part of
    every module that reads the seed issue (browser, email checks, lint, headlines). Under
    pytest-xdist the first worker to ask builds it, the others read what it kept."""

    def build(folder: Path) -> SeedIssue:
        store = open_store(f"sqlite:///{folder / 'digest.db'}")
        try:
            issue = _build_seeds(store)
        finally:
            store.close()
        assert issue is not None
        return SeedIssue(folder / "digest.db", issue)

    return once_per_run(tmp_path_factory, "seed-issue", build)


@dataclass(frozen=True)
class SeedsJson:
    """The seed issue as `digest show --json` prints it, and the stored items behind it."""

    issue: dict[str, Any]
    items: dict[int, StoredItem]


@pytest.fixture(scope="session", params=BACKENDS)
def seeds_json(
    request: pytest.FixtureRequest,
    seed_issue: SeedIssue,
    tmp_path_factory: pytest.TempPathFactory,
) -> SeedsJson:
    """The seed issue on each backend, built once per run for the tests that only read it
    (on SQLite, the session's seed issue itself). A test copies what it changes."""
    if request.param == "sqlite":
        store = seed_issue.copy(tmp_path_factory.mktemp("seeds-json"))
        try:
            return _seeds_json(store, seed_issue.issue)
        finally:
            store.close()
    return once_per_run(tmp_path_factory, "seeds-json-postgresql", _seeds_json_on_postgres)


def _seeds_json_on_postgres(folder: Path) -> SeedsJson:
    """The seeds built on a throwaway PostgreSQL database, read, then dropped."""
    with throwaway_postgres() as url:
        store = open_store(url)
        try:
            return _seeds_json(store, _build_seeds(store))
        finally:
            store.close()  # before the database is dropped


def _seeds_json(store: Store, issue: Issue | None) -> SeedsJson:
    assert issue is not None
    items = {item.id: item for item in store.list_items()}
    return SeedsJson(issue_json(issue, items)["issue"], items)


def _build_seeds(store: Store) -> Issue | None:
    settings = load_settings(REPO / "feeds.yaml", env={})
    ingest_documents(store, document_files(settings.documents), SEED_NOW - timedelta(hours=1))
    return run_build(store, settings, SEED_NOW).issue


T = TypeVar("T")


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]
) -> T:
    """`make(folder)`, called once per test run: under pytest-xdist every worker is a
    session of its own, so the first to ask makes it in a folder all workers share
    (under an exclusive lock) and keeps the result there; the others read it back. Alone,
    a session just makes it. `make` writes its files in `folder`."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make(tmp_path_factory.mktemp(name))
    # The workers' base folders (popen-gw0, …) share one parent, made for this run.
    folder = tmp_path_factory.getbasetemp().parent / name
    folder.mkdir(exist_ok=True)
    kept = folder / "made.pickle"
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not kept.exists():
            made = make(folder)
            kept.write_bytes(pickle.dumps(made))
            return made
        loaded: T = pickle.loads(kept.read_bytes())
        return loaded


class Replays:
    """The rows a costly arrange step leaves in an empty store, kept the first time it runs
    and written into the empty store of each later test that asks for the same step: a copy
    of the SQLite file; on PostgreSQL, the tables copied to a schema of the session's
    database and back. Only for steps whose result the suite shows to be deterministic
    elsewhere, such as a build (test_build_is_deterministic): the rows written back are
    the rows the step would write again. `key` must name everything the step reads."""

    def __init__(self) -> None:
        self._folder: Path | None = None  # for the SQLite copies, made on first use
        self._kept: dict[tuple[str, str], tuple[str, Any]] = {}

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="digest-replays-"))
            atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
        return self._folder

    def run(self, store: Store, key: str, step: Callable[[], T]) -> T:
        backend = store.engine.dialect.name
        assert _row_count(store) == 0, f"{key}: replayed only into an empty store"
        if (backend, key) in self._kept:
            where, result = self._kept[(backend, key)]
            self._restore(store, where)
            return result  # type: ignore[no-any-return]
        result = step()
        where = f"replay_{len(self._kept)}"
        self._keep(store, where)
        self._kept[(backend, key)] = (where, result)
        return result

    def _keep(self, store: Store, where: str) -> None:
        if store.engine.dialect.name == "sqlite":
            copy_sqlite(Path(str(store.engine.url.database)), self.folder / f"{where}.db")
            return
        with store.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{where}"'))
            for table in _tables(conn, "public"):
                conn.execute(text(f'CREATE TABLE "{where}"."{table}" AS TABLE "{table}"'))
            conn.execute(
                text(  # a name no table of the store has: it begins with an underscore
                    f'CREATE TABLE "{where}"._sequences AS SELECT sequencename, last_value'
                    " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
                )
            )

    def _restore(self, store: Store, where: str) -> None:
        if store.engine.dialect.name == "sqlite":
            store.engine.dispose()  # no pooled connection in the way of the copy
            copy_sqlite(self.folder / f"{where}.db", Path(str(store.engine.url.database)))
            return
        with store.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # any order
            for table in _tables(conn, where):
                conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM "{where}"."{table}"'))
            conn.execute(
                text(
                    "SELECT setval(format('public.%I', sequencename), last_value)"
                    f' FROM "{where}"._sequences'
                )
            )


def _row_count(store: Store) -> int:
    """How many rows the store's tables hold, all together (one query)."""
    counts = " + ".join(f'(SELECT count(*) FROM "{t}")' for t in Base.metadata.tables)
    with store.engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT {counts}")) or 0)


def _tables(conn: Any, schema: str) -> list[str]:
    """The tables of the store in `schema` (PostgreSQL), Alembic's bookkeeping left out."""
    return sorted(
        conn.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :schema"
                " AND tablename NOT IN ('alembic_version', '_sequences')"
            ),
            {"schema": schema},
        )
    )


def build_key(settings: Settings, now: datetime, *steps: object) -> str:
    """A replay key for ingesting and building at `now` with `settings`: all that a build
    reads of them (the mail settings the tests vary, transport and outbox, play no part;
    nor the configuration's path, read only for the OpenAI backend's cache), and `steps`,
    what the step does besides (its documents…)."""
    read = (settings.newsletter, settings.timezone, settings.feeds, settings.documents)
    shape = (settings.themes, settings.issue, settings.summarizer, settings.pins)
    return repr((steps, now, read, shape))


# One per session (per xdist worker): a module-level helper such as test_send's
# issue_with_readers reaches it without a fixture in the signature of every test. Its
# PostgreSQL copies live in the session's database and go with it.
REPLAYS = Replays()
