"""Opening the database: engine, SQLite pragmas, migrations applied on start. Core only:
the reading commands open the store through here without the ORM (digest.store.reader)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from digest.errors import StoreError
from digest.package_data import package_folder
from digest.store.migrations import schema_is_current


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the preview read while an ingest writes; foreign keys are off by default
        # in SQLite; busy_timeout makes a second writer wait instead of failing at once.
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL is still crash-safe (the database stays consistent); it only
        # drops the fsync of every commit, which made per-feed bookkeeping dominate a
        # re-ingest (bench/ingest.py). The ledger's guarantee holds: a power cut may forget
        # the last "sent" marks, and those messages are sent again — as after a crash.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def alembic_dir() -> Path:
    """The migrations: top-level alembic/ in a checkout, digest/_alembic in a wheel."""
    return package_folder("alembic", "_alembic", "env.py")


def upgrade_schema(engine: Engine) -> None:
    """Apply every pending migration (`alembic upgrade head`) on this engine; on a database
    already at the head, one query and no Alembic."""
    folder = alembic_dir()
    if schema_is_current(engine, folder):
        return
    # lazy: Alembic costs ~75 ms to import, and only an upgrade needs it
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    with engine.connect() as connection, _foreign_keys_deferred(connection), connection.begin():
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def _foreign_keys_deferred(connection: Connection) -> Iterator[None]:
    """On SQLite, migrate with foreign keys off, then check them.

    Batch mode rebuilds a table by copying it and dropping the old one, and with foreign
    keys on, SQLite's implicit DELETE of the dropped table cascades: rebuilding `issue`
    emptied the delivery ledger and the sent stories. Alembic's documentation asks for the
    pragma to be off during such migrations; it cannot change inside a transaction, so it
    is set before the migrations' transaction begins and restored after it ends.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.commit()
        if broken:
            raise StoreError(
                f"the migration left {len(broken)} rows pointing at missing rows "
                f"(first: table {broken[0][0]}, row {broken[0][1]})",
                hint="restore the database from its backup and report this migration",
            )
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def open_engine(url: str, *, migrate: bool = True) -> Engine:
    """Connect to the database at `url` and bring its schema up to date."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        # pre_ping guards against a server that closed idle connections (PostgreSQL);
        # SQLite has no server, and the extra round trip doubled the cost of the send
        # loop's one small commit per message (bench/send.py).
        # No cap on overflow connections: how many threads use the store at once is set
        # by the configuration (a send keeps one per SMTP connection for its marks), and
        # a capped pool made the 16th wait; on SQLite, while holding the write lock the
        # others waited for, which deadlocked until the pool's timeout.
        pool = {} if _in_memory(url) else {"max_overflow": -1}
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), **pool)
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
    return engine


def _in_memory(url: str) -> bool:
    """SQLite in memory: SQLAlchemy gives it a single-connection pool, with no overflow."""
    return url.startswith("sqlite") and (url in ("sqlite://", "sqlite:///") or ":memory:" in url)


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparseable URL>"
