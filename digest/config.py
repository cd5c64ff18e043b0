"""Load and validate feeds.yaml plus DIGEST_* environment variables into typed settings.

Takes a path and an environment mapping; gives a frozen `Settings` or raises one
`ConfigError` that lists every problem at once, each with its key path and a fix.
Nothing is half-applied: settings are built only when the whole file is valid.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import ConfigError
from digest.mail.config import check_mail
from digest.settings import (
    DEFAULT_PREHEADER_TEMPLATE,
    DEFAULT_SUBJECT_TEMPLATE,
    DEFAULT_USER_AGENT,
    ENV_VARS,
    DocumentSource,
    EnvVar,
    FeedSource,
    FetchSettings,
    IssueSettings,
    MailSettings,
    NewsletterSettings,
    OpenAISettings,
    Pin,
    Settings,
    SummarizerSettings,
    Theme,
    template_problems,
)
from digest.validation import Checker
from digest.web.config import check_web

__all__ = [
    "DEFAULT_USER_AGENT",
    "ENV_VARS",
    "DocumentSource",
    "EnvVar",
    "FeedSource",
    "FetchSettings",
    "IssueSettings",
    "MailSettings",
    "NewsletterSettings",
    "OpenAISettings",
    "Pin",
    "Settings",
    "SummarizerSettings",
    "Theme",
    "load_settings",
    "resolve_config_path",
]


def resolve_config_path(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """--config, else $DIGEST_CONFIG, else ./feeds.yaml."""
    return Path(cli_value or env.get("DIGEST_CONFIG") or "feeds.yaml")


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and return the settings; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    raw = _parse_yaml(path, _read_config(path))
    checker = Checker()
    settings = _build_settings(path, raw, env, checker)
    if checker.problems:
        raise ConfigError(str(path), checker.problems)
    assert settings is not None
    return settings


# The shipped feeds.yaml is about 7 KB; a megabyte is thousands of feeds and themes. A 20 MB
# file took 92 s and 2.1 GB to parse (issue 10, item 12): refused before parsing.
MAX_CONFIG_BYTES = 1024 * 1024


def _read_config(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            str(path), ["file not found: pass --config PATH or set DIGEST_CONFIG"]
        ) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc}"]) from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            str(path),
            [f"larger than {MAX_CONFIG_BYTES // 1024} KB: is this the configuration file?"],
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), [f"not UTF-8 text (byte {exc.start}): save it as UTF-8"]
        ) from exc


def _parse_yaml(path: Path, text: str) -> dict[str, Any]:
    import yaml

    from digest.config_yaml import RefusedYaml, StrictLoader

    try:
        raw = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass: no Python objects
    except RefusedYaml as exc:
        where = f"line {exc.mark.line + 1}, column {exc.mark.column + 1}"
        raise ConfigError(str(path), [f"{where}: {exc.problem}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(str(path), [f"{where}not valid YAML ({exc})"]) from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["the top level must be a mapping of keys (newsletter:, ...)"])
    return raw


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
    "issue",
    "summarizer",
    "pins",
    "web",
)
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CRON_FIELD = re.compile(r"^[\w*/,-]+$")


def _build_settings(
    path: Path, raw: dict[str, Any], env: Mapping[str, str], check: Checker
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
    mail = check_mail(raw.get("mail"), base, env, check)
    database_url = _database_url(raw.get("database_url"), base, env, check)
    offline = env.get("DIGEST_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    issue = _issue(raw.get("issue"), check)
    summarizer = _summarizer(raw.get("summarizer"), env, check)
    pins = _pins(raw.get("pins"), {t.id for t in themes}, check)
    web = check_web(raw.get("web"), check)
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
        issue=issue,
        summarizer=summarizer,
        pins=pins,
        web=web,
    )


def _newsletter(value: Any, check: Checker) -> NewsletterSettings:
    keys = ("title", "language", "tagline", "base_url", "subject_template", "preheader_template")
    raw = check.mapping(value, "newsletter", keys)
    title = check.text(raw.get("title"), "newsletter.title")
    if raw.get("title") is None:  # an invalid title is reported by check.text, once
        check.add("newsletter.title", "missing (the newsletter's name, shown in every issue)")
    base_url = check.text(raw.get("base_url"), "newsletter.base_url", "http://127.0.0.1:8080")
    if base_url and not _URL.match(base_url):
        check.add("newsletter.base_url", "not an http(s) URL (e.g. https://lettre.example.org)")
    return NewsletterSettings(
        title=title or "",
        language=check.text(raw.get("language"), "newsletter.language", "fr") or "fr",
        tagline=check.text(raw.get("tagline"), "newsletter.tagline", "") or "",
        base_url=(base_url or "").rstrip("/"),
        subject_template=_line_template(raw, "subject_template", check),
        preheader_template=_line_template(raw, "preheader_template", check),
    )


def _line_template(raw: dict[str, Any], key: str, check: Checker) -> str:
    """A subject or preheader template, its placeholders checked now rather than at build."""
    default = DEFAULT_SUBJECT_TEMPLATE if key == "subject_template" else DEFAULT_PREHEADER_TEMPLATE
    template = check.text(raw.get(key), f"newsletter.{key}", default) or default
    for problem in template_problems(template):
        check.add(f"newsletter.{key}", problem)
    return template


def _timezone(value: Any, check: Checker) -> str:
    name = check.text(value, "timezone", "Europe/Paris") or "Europe/Paris"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        check.add("timezone", f"unknown time zone '{name}' (use an IANA name like Europe/Paris)")
    return name


def _schedule(value: Any, check: Checker) -> dict[str, str]:
    raw = check.mapping(value, "schedule", ("ingest", "build", "send"))
    schedule: dict[str, str] = {}
    for job, expr in raw.items():
        text = check.text(expr, f"schedule.{job}")
        if text is None:
            continue
        fields = text.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            check.add(f"schedule.{job}", "not a 5-field cron expression (e.g. '0 8 * * mon')")
        else:
            _check_cron_values(text, f"schedule.{job}", check)
        schedule[job] = text
    return schedule


def _check_cron_values(expression: str, path: str, check: Checker) -> None:
    """Parse with the scheduler's own parser: `99 99 * * *` and `*/0` crashed `serve`."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        check.add(
            path, f"'{expression}': {exc} (e.g. '0 8 * * mon': minute hour day month weekday)"
        )


def _fetch(value: Any, check: Checker) -> FetchSettings:
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


def _feeds(value: Any, check: Checker) -> tuple[FeedSource, ...]:
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
        if raw.get("url") is None:
            check.add(f"{path}.url", "missing (the feed's RSS or Atom address)")
        elif url is not None and not _URL.match(url):
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


def _source_name(value: Any, path: str, seen: set[str], check: Checker) -> str | None:
    name = check.text(value, path)
    if value is None:
        check.add(path, "missing (a short unique name, used by --source)")
    elif name is None:
        pass  # reported by check.text
    elif not _NAME.match(name):
        check.add(path, f"'{name}' may hold only letters, digits, '.', '_' and '-'")
    elif name in seen:
        check.add(path, f"'{name}' is used twice (names must be unique)")
    else:
        seen.add(name)
    return name


def _display_name(value: Any, path: str, check: Checker) -> str | None:
    """A name readers see (« Le monde de demAIn »): one line of printable text."""
    name = check.text(value, path)
    if name is None:
        return None
    # Control, format and unassigned characters (category C*): CR/LF would break a mail
    # header, NUL the store, a bidi override what readers see.
    if len(name) > 100 or any(unicodedata.category(c).startswith("C") for c in name):
        check.add(path, "must be one line of at most 100 printable characters")
        return None
    return name


def _documents(value: Any, base: Path, check: Checker) -> tuple[DocumentSource, ...]:
    documents: list[DocumentSource] = []
    for i, entry in enumerate(check.items(value, "documents")):
        path = f"documents[{i}]"
        raw = (
            {"path": entry}
            if isinstance(entry, str)
            else check.mapping(entry, path, ("path", "weight", "name"))
        )
        location = check.text(raw.get("path"), f"{path}.path")
        if location is None:
            if raw.get("path") is None:
                check.add(f"{path}.path", "missing (a file or a folder of documents)")
            continue
        resolved = (base / location).resolve()
        if not resolved.exists():
            check.add(f"{path}.path", f"'{location}' does not exist (relative to {base})")
        documents.append(
            DocumentSource(
                path=resolved,
                weight=check.number(raw.get("weight"), f"{path}.weight", 1.0),
                name=_display_name(raw.get("name"), f"{path}.name", check),
            )
        )
    return tuple(documents)


def _themes(value: Any, check: Checker) -> tuple[Theme, ...]:
    themes: list[Theme] = []
    seen: set[str] = set()
    for i, entry in enumerate(check.items(value, "themes")):
        path = f"themes[{i}]"
        raw = check.mapping(entry, path, ("id", "title", "description", "keywords"))
        theme_id = _source_name(raw.get("id"), f"{path}.id", seen, check)
        title = check.text(raw.get("title"), f"{path}.title")
        if raw.get("title") is None:
            check.add(f"{path}.title", "missing (the section title shown in the email)")
        keywords = check.items(raw.get("keywords"), f"{path}.keywords")
        if not all(isinstance(k, str) and k.strip() for k in keywords):
            check.add(f"{path}.keywords", "must be a list of non-empty strings")
            keywords = []
        themes.append(
            Theme(
                id=theme_id or "",
                title=title or "",
                description=check.text(
                    raw.get("description"), f"{path}.description", "", multiline=True
                )
                or "",
                keywords=tuple(
                    check.text(k, f"{path}.keywords[{j}]") or "" for j, k in enumerate(keywords)
                ),
            )
        )
    return tuple(themes)


def _database_url(value: Any, base: Path, env: Mapping[str, str], check: Checker) -> str:
    """$DIGEST_DATABASE_URL, else the file's database_url, else SQLite beside the file."""
    from_env = env.get("DIGEST_DATABASE_URL", "").strip()
    url = from_env or check.text(value, "database_url")
    if not url:
        return f"sqlite:///{(base / 'digest.db').resolve()}"
    where = "DIGEST_DATABASE_URL" if from_env else "database_url"
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        check.add(where, "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    return url


def _issue(value: Any, check: Checker) -> IssueSettings:
    keys = ("period_days", "max_per_section", "max_entries", "max_briefs", "summary_words")
    raw = check.mapping(value, "issue", keys)
    default = IssueSettings()
    values = {
        key: int(check.number(raw.get(key), f"issue.{key}", getattr(default, key))) for key in keys
    }
    return IssueSettings(**values)


def _summarizer(value: Any, env: Mapping[str, str], check: Checker) -> SummarizerSettings:
    raw = check.mapping(value, "summarizer", ("backend", "openai"))
    backend = check.text(raw.get("backend"), "summarizer.backend", "extractive") or "extractive"
    if backend not in {"extractive", "openai"}:
        check.add("summarizer.backend", f"'{backend}' is not a backend (use extractive or openai)")
    api = check.mapping(
        raw.get("openai"), "summarizer.openai", ("base_url", "model", "timeout_seconds")
    )
    default = OpenAISettings()
    base_url = check.text(api.get("base_url"), "summarizer.openai.base_url", default.base_url)
    if base_url and not _URL.match(base_url):
        check.add(
            "summarizer.openai.base_url", "not an http(s) URL (e.g. http://127.0.0.1:11434/v1)"
        )
    return SummarizerSettings(
        backend=backend,
        openai=OpenAISettings(
            base_url=(base_url or default.base_url).rstrip("/"),
            model=check.text(api.get("model"), "summarizer.openai.model", default.model)
            or default.model,
            timeout_seconds=check.number(
                api.get("timeout_seconds"),
                "summarizer.openai.timeout_seconds",
                default.timeout_seconds,
            ),
            api_key=env.get("DIGEST_LLM_API_KEY") or None,
        ),
    )


def _pins(value: Any, theme_ids: set[str], check: Checker) -> tuple[Pin, ...]:
    pins: list[Pin] = []
    for i, entry in enumerate(check.items(value, "pins")):
        path = f"pins[{i}]"
        raw = check.mapping(entry, path, ("theme", "source", "keyword"))
        theme = check.text(raw.get("theme"), f"{path}.theme")
        if raw.get("theme") is None:
            check.add(f"{path}.theme", "missing (the id of the theme to pin to)")
        elif theme is not None and theme not in theme_ids | {"en-bref"}:
            check.add(
                f"{path}.theme", f"unknown theme '{theme}' (known: {', '.join(sorted(theme_ids))})"
            )
        source = check.text(raw.get("source"), f"{path}.source")
        keyword = check.text(raw.get("keyword"), f"{path}.keyword")
        if (source is None) == (keyword is None):
            check.add(path, "give exactly one of source: or keyword:")
        pins.append(Pin(theme=theme or "", source=source, keyword=keyword))
    return tuple(pins)
