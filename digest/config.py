"""Load and validate feeds.yaml plus DIGEST_* environment variables into typed settings.

Takes a path and an environment mapping; gives a frozen `Settings` or raises one
`ConfigError` that lists every problem at once, each with its key path and a fix.
Nothing is half-applied: settings are built only when the whole file is valid.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import ConfigError


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    help: str


# The one registry of environment variables: the README documents each (a test checks).
ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("DIGEST_CONFIG", "path of the configuration file (default ./feeds.yaml)"),
    EnvVar("DIGEST_DATABASE_URL", "SQLAlchemy database URL; overrides the file's database_url"),
    EnvVar("DIGEST_OFFLINE", "1 to skip network sources (feeds); documents are still read"),
    EnvVar("DIGEST_LOG_LEVEL", "DEBUG, INFO (default), WARNING or ERROR"),
)

DEFAULT_USER_AGENT = "digest/0.1 (French AI-news newsletter; +https://github.com/digest-newsletter)"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024  # cap on the *decoded* body: a gzip bomb stops here
    max_redirects: int = 5
    concurrency: int = 8
    user_agent: str = DEFAULT_USER_AGENT
    backoff_base_minutes: float = 15.0
    backoff_max_hours: float = 24.0


@dataclass(frozen=True, slots=True)
class FeedSource:
    name: str
    url: str
    weight: float = 1.0
    language: str | None = None
    enabled: bool = True
    timeout_seconds: float | None = None  # per-feed override of fetch.timeout_seconds


@dataclass(frozen=True, slots=True)
class DocumentSource:
    path: Path  # a file or a folder (every .txt, .md, .html file in it)
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    title: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewsletterSettings:
    title: str
    language: str = "fr"
    tagline: str = ""
    base_url: str = "http://127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class MailSettings:
    transport: str = "outbox"
    outbox_dir: Path = Path("outbox")
    sender: str = ""
    reply_to: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path
    newsletter: NewsletterSettings
    timezone: str
    database_url: str
    schedule: Mapping[str, str] = field(default_factory=dict)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    feeds: tuple[FeedSource, ...] = ()
    documents: tuple[DocumentSource, ...] = ()
    themes: tuple[Theme, ...] = ()
    mail: MailSettings = field(default_factory=MailSettings)
    offline: bool = False


def resolve_config_path(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """--config, else $DIGEST_CONFIG, else ./feeds.yaml."""
    return Path(cli_value or env.get("DIGEST_CONFIG") or "feeds.yaml")


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and return the settings; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            str(path), ["file not found: pass --config PATH or set DIGEST_CONFIG"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc}"]) from exc
    raw = _parse_yaml(path, text)
    checker = _Checker()
    settings = _build_settings(path, raw, env, checker)
    if checker.problems:
        raise ConfigError(str(path), checker.problems)
    assert settings is not None
    return settings


def _parse_yaml(path: Path, text: str) -> dict[str, Any]:
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(str(path), [f"{where}not valid YAML ({exc})"]) from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["the top level must be a mapping of keys (newsletter:, ...)"])
    return raw


class _Checker:
    """Collects problems as 'key.path: what is wrong (fix)' instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, "must be a mapping of keys")
            return {}
        for key in value:
            if key not in allowed:
                guess = difflib.get_close_matches(str(key), allowed, n=1)
                fix = f"did you mean '{guess[0]}'?" if guess else f"allowed: {', '.join(allowed)}"
                self.add(f"{path}.{key}" if path else str(key), f"unknown key ({fix})")
        return value

    def text(self, value: Any, path: str, default: str | None = None) -> str | None:
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.add(path, "must be a non-empty string")
            return default
        return value.strip()

    def number(self, value: Any, path: str, default: float, minimum: float = 0.0) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            self.add(path, f"must be a number greater than {minimum:g}")
            return default
        return float(value)

    def flag(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, "must be true or false")
            return default
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, "must be a list (one '- ' entry per line)")
            return []
        return value


_TOP_KEYS = (
    "newsletter",
    "timezone",
    "schedule",
    "database_url",
    "fetch",
    "feeds",
    "documents",
    "themes",
    "mail",
)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CRON_FIELD = re.compile(r"^[\w*/,-]+$")


def _build_settings(
    path: Path, raw: dict[str, Any], env: Mapping[str, str], check: _Checker
) -> Settings | None:
    base = path.parent
    check.mapping(raw, "", _TOP_KEYS)
    newsletter = _newsletter(raw.get("newsletter"), check)
    timezone = _timezone(raw.get("timezone"), check)
    schedule = _schedule(raw.get("schedule"), check)
    fetch = _fetch(raw.get("fetch"), check)
    feeds = _feeds(raw.get("feeds"), check)
    documents = _documents(raw.get("documents"), base, check)
    themes = _themes(raw.get("themes"), check)
    mail = _mail(raw.get("mail"), base, check)
    database_url = _database_url(raw.get("database_url"), base, env, check)
    offline = env.get("DIGEST_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    if check.problems:
        return None
    return Settings(
        config_path=path,
        newsletter=newsletter,
        timezone=timezone,
        database_url=database_url,
        schedule=schedule,
        fetch=fetch,
        feeds=feeds,
        documents=documents,
        themes=themes,
        mail=mail,
        offline=offline,
    )


def _newsletter(value: Any, check: _Checker) -> NewsletterSettings:
    keys = ("title", "language", "tagline", "base_url")
    raw = check.mapping(value, "newsletter", keys)
    title = check.text(raw.get("title"), "newsletter.title")
    if title is None:
        check.add("newsletter.title", "missing (the newsletter's name, shown in every issue)")
    base_url = check.text(raw.get("base_url"), "newsletter.base_url", "http://127.0.0.1:8080")
    if base_url and not _URL.match(base_url):
        check.add("newsletter.base_url", "not an http(s) URL (e.g. https://lettre.example.org)")
    return NewsletterSettings(
        title=title or "",
        language=check.text(raw.get("language"), "newsletter.language", "fr") or "fr",
        tagline=check.text(raw.get("tagline"), "newsletter.tagline", "") or "",
        base_url=(base_url or "").rstrip("/"),
    )


def _timezone(value: Any, check: _Checker) -> str:
    name = check.text(value, "timezone", "Europe/Paris") or "Europe/Paris"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        check.add("timezone", f"unknown time zone '{name}' (use an IANA name like Europe/Paris)")
    return name


def _schedule(value: Any, check: _Checker) -> dict[str, str]:
    raw = check.mapping(value, "schedule", ("ingest", "build", "send"))
    schedule: dict[str, str] = {}
    for job, expr in raw.items():
        text = check.text(expr, f"schedule.{job}")
        if text is None:
            continue
        fields = text.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            check.add(f"schedule.{job}", "not a 5-field cron expression (e.g. '0 8 * * mon')")
        schedule[job] = text
    return schedule


def _fetch(value: Any, check: _Checker) -> FetchSettings:
    keys = (
        "timeout_seconds",
        "max_bytes",
        "max_redirects",
        "concurrency",
        "user_agent",
        "backoff_base_minutes",
        "backoff_max_hours",
    )
    raw = check.mapping(value, "fetch", keys)
    default = FetchSettings()
    return FetchSettings(
        timeout_seconds=check.number(
            raw.get("timeout_seconds"), "fetch.timeout_seconds", default.timeout_seconds
        ),
        max_bytes=int(check.number(raw.get("max_bytes"), "fetch.max_bytes", default.max_bytes)),
        max_redirects=int(
            check.number(
                raw.get("max_redirects"), "fetch.max_redirects", default.max_redirects, minimum=-1
            )
        ),
        concurrency=int(
            check.number(raw.get("concurrency"), "fetch.concurrency", default.concurrency)
        ),
        user_agent=check.text(raw.get("user_agent"), "fetch.user_agent", default.user_agent)
        or default.user_agent,
        backoff_base_minutes=check.number(
            raw.get("backoff_base_minutes"),
            "fetch.backoff_base_minutes",
            default.backoff_base_minutes,
        ),
        backoff_max_hours=check.number(
            raw.get("backoff_max_hours"), "fetch.backoff_max_hours", default.backoff_max_hours
        ),
    )


def _feeds(value: Any, check: _Checker) -> tuple[FeedSource, ...]:
    keys = ("name", "url", "weight", "language", "enabled", "timeout_seconds")
    feeds: list[FeedSource] = []
    seen: set[str] = set()
    for i, entry in enumerate(check.items(value, "feeds")):
        path = f"feeds[{i}]"
        raw = check.mapping(entry, path, keys)
        if not raw:
            if not isinstance(entry, dict):
                continue
            check.add(path, "empty entry (give at least name: and url:)")
            continue
        name = _source_name(raw.get("name"), f"{path}.name", seen, check)
        url = check.text(raw.get("url"), f"{path}.url")
        if url is None:
            check.add(f"{path}.url", "missing (the feed's RSS or Atom address)")
        elif not _URL.match(url):
            check.add(f"{path}.url", f"not an http(s) URL: '{url}'")
        timeout = raw.get("timeout_seconds")
        feeds.append(
            FeedSource(
                name=name or "",
                url=url or "",
                weight=check.number(raw.get("weight"), f"{path}.weight", 1.0),
                language=check.text(raw.get("language"), f"{path}.language"),
                enabled=check.flag(raw.get("enabled"), f"{path}.enabled", True),
                timeout_seconds=None
                if timeout is None
                else check.number(timeout, f"{path}.timeout_seconds", 20.0),
            )
        )
    return tuple(feeds)


def _source_name(value: Any, path: str, seen: set[str], check: _Checker) -> str | None:
    name = check.text(value, path)
    if name is None:
        check.add(path, "missing (a short unique name, used by --source)")
    elif not _NAME.match(name):
        check.add(path, f"'{name}' may hold only letters, digits, '.', '_' and '-'")
    elif name in seen:
        check.add(path, f"'{name}' is used twice (names must be unique)")
    else:
        seen.add(name)
    return name


def _documents(value: Any, base: Path, check: _Checker) -> tuple[DocumentSource, ...]:
    documents: list[DocumentSource] = []
    for i, entry in enumerate(check.items(value, "documents")):
        path = f"documents[{i}]"
        raw = (
            {"path": entry}
            if isinstance(entry, str)
            else check.mapping(entry, path, ("path", "weight"))
        )
        location = check.text(raw.get("path"), f"{path}.path")
        if location is None:
            check.add(f"{path}.path", "missing (a file or a folder of documents)")
            continue
        resolved = (base / location).resolve()
        if not resolved.exists():
            check.add(f"{path}.path", f"'{location}' does not exist (relative to {base})")
        documents.append(
            DocumentSource(
                path=resolved, weight=check.number(raw.get("weight"), f"{path}.weight", 1.0)
            )
        )
    return tuple(documents)


def _themes(value: Any, check: _Checker) -> tuple[Theme, ...]:
    themes: list[Theme] = []
    seen: set[str] = set()
    for i, entry in enumerate(check.items(value, "themes")):
        path = f"themes[{i}]"
        raw = check.mapping(entry, path, ("id", "title", "description", "keywords"))
        theme_id = _source_name(raw.get("id"), f"{path}.id", seen, check)
        title = check.text(raw.get("title"), f"{path}.title")
        if title is None:
            check.add(f"{path}.title", "missing (the section title shown in the email)")
        keywords = check.items(raw.get("keywords"), f"{path}.keywords")
        if not all(isinstance(k, str) and k.strip() for k in keywords):
            check.add(f"{path}.keywords", "must be a list of non-empty strings")
            keywords = []
        themes.append(
            Theme(
                id=theme_id or "",
                title=title or "",
                description=check.text(raw.get("description"), f"{path}.description", "") or "",
                keywords=tuple(k.strip() for k in keywords),
            )
        )
    return tuple(themes)


def _mail(value: Any, base: Path, check: _Checker) -> MailSettings:
    raw = check.mapping(value, "mail", ("transport", "outbox_dir", "from", "reply_to"))
    transport = check.text(raw.get("transport"), "mail.transport", "outbox") or "outbox"
    if transport not in {"outbox", "smtp"}:
        check.add("mail.transport", f"'{transport}' is not a transport (use outbox or smtp)")
    outbox = check.text(raw.get("outbox_dir"), "mail.outbox_dir", "outbox") or "outbox"
    return MailSettings(
        transport=transport,
        outbox_dir=(base / outbox).resolve(),
        sender=check.text(raw.get("from"), "mail.from", "") or "",
        reply_to=check.text(raw.get("reply_to"), "mail.reply_to", "") or "",
    )


def _database_url(value: Any, base: Path, env: Mapping[str, str], check: _Checker) -> str:
    """$DIGEST_DATABASE_URL, else the file's database_url, else SQLite beside the file."""
    from_env = env.get("DIGEST_DATABASE_URL", "").strip()
    url = from_env or check.text(value, "database_url")
    if not url:
        return f"sqlite:///{(base / 'digest.db').resolve()}"
    where = "DIGEST_DATABASE_URL" if from_env else "database_url"
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        check.add(where, "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    return url
