"""What every command shares: the options of the main group (Context), the error handler
that turns a DigestError into a message and an exit code, the store opened for one
command, the clock, logging, and the date parameter.

Importing the command line imports no use case: `digest --help` and `digest status` must
not pay for SQLAlchemy, the summarizer or the renderer. So a command imports its use case
in its body, with a `# lazy:` comment (docs/architecture.md)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import click

from digest.config import load_settings, resolve_config_path
from digest.errors import DigestError
from digest.settings import Settings

if TYPE_CHECKING:  # the type only: `digest --help` must not import SQLAlchemy
    from digest.store import Store, StoreReader

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Context:
    """The main group's options, handed to every command (click's `obj`)."""

    config: str | None
    offline: bool

    def settings(self) -> Settings:
        settings = load_settings(resolve_config_path(self.config, os.environ))
        if self.offline and not settings.offline:
            settings = replace(settings, offline=True)
        return settings


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a DigestError as a message (and hint) and exit with its code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DigestError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def opened_store(settings: Settings) -> closing[Store]:
    """The configured store, closed when the command is done with it."""
    from digest.store import open_store  # lazy: SQLAlchemy, which `digest --help` must not load

    return closing(open_store(settings.database_url))


def opened_reader(settings: Settings) -> closing[StoreReader]:
    """The configured store's reads only, closed when the command is done with them: what
    `status`, `items` and `show` need, without the ORM (digest.store.reader)."""
    from digest.store import open_reader  # lazy: SQLAlchemy, which `digest --help` must not load

    return closing(open_reader(settings.database_url))


def utcnow() -> datetime:
    """Now, aware UTC: the time a command hands its use case (what digest.store.utcnow
    gives, without importing the store)."""
    return datetime.now(UTC)


def setup_logging(level_name: str) -> None:
    level = getattr(logging, level_name.upper(), None)
    if not isinstance(level, int):
        raise click.BadParameter(f"unknown log level {level_name!r}", param_hint="--log-level")
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


class DateParam(click.ParamType):  # type: ignore[type-arg]  # generic in click 8.2+
    """YYYY-MM-DD or an ISO 8601 date-time; without a zone, in the newsletter's timezone
    (see `aware`)."""

    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (use YYYY-MM-DD or 2026-11-20T08:00)", param, ctx)


def aware(value: datetime | None, timezone: str) -> datetime | None:
    """A parsed date in UTC; one given without a zone is read in `timezone`."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(UTC)
