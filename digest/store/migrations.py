"""Is the schema current? Answered without Alembic, which costs ~75 ms to import and more to
run `upgrade head`: every command opens the store, and almost always finds nothing to do.

The head revisions are read from the migration files themselves (no constant to forget to
bump when a migration is added), the applied ones from `alembic_version` in one query.
Anything this cannot read with certainty counts as "not current", and Alembic decides.
"""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

# The header Alembic's template writes into each migration file: `revision: str = "0010_…"`
# and `down_revision: str | None = "0009_…"` (a tuple of revisions for a merge).
_REVISION = re.compile(r"""^revision(?:\s*:[^=\n]*)?\s*=\s*["']([^"'\n]+)["']""", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(.+)$", re.M)
_QUOTED = re.compile(r"""["']([^"'\n]+)["']""")


def migration_heads(folder: Traversable) -> frozenset[str] | None:
    """The head revisions of the migrations in `folder`/versions; None if a file is unreadable."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in (folder / "versions").iterdir():
        if not entry.name.endswith(".py"):
            continue
        source = entry.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    return frozenset(revisions - parents) or None


def applied_revisions(engine: Engine) -> frozenset[str]:
    """The revisions recorded in `alembic_version`; none on a database never migrated."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(rows.scalars())
        except DBAPIError:  # no such table yet: a new database
            return frozenset()


def schema_is_current(engine: Engine, folder: Traversable) -> bool:
    """True when the database is at the head of the migrations in `folder` (a few small
    files read, one query)."""
    heads = migration_heads(folder)
    return heads is not None and applied_revisions(engine) == heads
