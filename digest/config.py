"""Load and validate feeds.yaml plus DIGEST_* environment variables into typed settings.

Takes a path and an environment mapping; gives a frozen `Settings` or raises one
`ConfigError` that lists every problem at once, each with its key path and a fix.
Nothing is half-applied: settings are built only when the whole file is valid. What each
key may hold is declared once, in `digest.settings`; this module reads the file, lays the
environment over it, and words pydantic's errors for the operator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from digest.errors import ConfigError
from digest.settings import Settings
from digest.settings.registry import block_of, declared, field_at, file_keys
from digest.settings.values import PROBLEM, unknown_key

__all__ = ["MAX_CONFIG_BYTES", "load_settings", "resolve_config_path"]

Raw = dict[str, Any]
Location = tuple[str | int, ...]


def resolve_config_path(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """--config, else $DIGEST_CONFIG, else ./feeds.yaml."""
    return Path(cli_value or env.get("DIGEST_CONFIG") or "feeds.yaml")


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and return the settings; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    raw = _without_nulls(_parse_yaml(path, _read_config(path)))
    _add_absent_blocks(raw)
    problems = _keys_only_the_environment_sets(raw)
    from_env = _lay_environment(raw, env)
    problems += _lay_smtp_url(raw, env.get("DIGEST_SMTP_URL"), from_env)
    raw.setdefault("database_url", f"sqlite:///{(path.parent / 'digest.db').resolve()}")
    raw["config_path"] = path
    settings = None
    try:
        settings = _VALIDATOR.validate_python(
            raw, context={"base": path.parent}, by_alias=True, by_name=False
        )
    except ValidationError as exc:
        problems += [_describe(error, from_env) for error in exc.errors()]
    problems += _duplicate_names(raw, "feeds", "name") + _duplicate_names(raw, "themes", "id")
    problems += _duplicate_names(raw, "inboxes", "name") + _inboxes_named_like_feeds(raw)
    problems += _unknown_pinned_themes(raw)
    if problems or settings is None:
        raise ConfigError(str(path), problems)
    return _with_inbox_passwords(settings, env)


def _with_inbox_passwords(settings: Settings, env: Mapping[str, str]) -> Settings:
    """Each inbox's password from the variable its `password_env` names: one variable per
    mailbox, since several inboxes may be configured."""
    if not settings.inboxes:
        return settings
    inboxes = tuple(
        replace(inbox, password=env.get(inbox.password_env) or None) for inbox in settings.inboxes
    )
    return replace(settings, inboxes=inboxes)


def _inboxes_named_like_feeds(raw: Raw) -> list[str]:
    """An inbox and a feed share the sources table and --source: their names differ."""
    feeds, inboxes = raw.get("feeds"), raw.get("inboxes")
    if not isinstance(feeds, list) or not isinstance(inboxes, list):
        return []
    feed_names = {f.get("name") for f in feeds if isinstance(f, dict)}
    return [
        f"inboxes[{i}].name: '{inbox['name']}' is also a feed's name (names must be unique)"
        for i, inbox in enumerate(inboxes)
        if isinstance(inbox, dict) and inbox.get("name") in feed_names
    ]


_VALIDATOR = TypeAdapter(Settings)

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


def _parse_yaml(path: Path, text: str) -> Raw:
    # lazy: PyYAML costs start-up to commands that never load a configuration (--help).
    from digest.config_yaml import YamlProblem, load_yaml

    try:
        raw = load_yaml(text)
    except YamlProblem as exc:
        raise ConfigError(str(path), [str(exc)]) from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["the top level must be a mapping of keys (newsletter:, ...)"])
    return raw


def _without_nulls(raw: Raw) -> Raw:
    """`key:` with nothing after it (YAML null) means the key is not set, as if absent."""
    return {
        key: _without_nulls(value) if isinstance(value, dict) else value
        for key, value in raw.items()
        if value is not None
    }


def _block(raw: Raw, path: tuple[str, ...], create: bool = False) -> Raw | None:
    """The mapping at `path` in the file's data (made when `create`); None if not a mapping."""
    for key in path:
        if create and key not in raw:
            raw[key] = {}
        inner = raw.get(key)
        if not isinstance(inner, dict):
            return None
        raw = inner
    return raw


def _add_absent_blocks(raw: Raw) -> None:
    """An absent block (`mail:`) is validated as an empty one, so that its defaults go
    through the loading context too (the default outbox lies beside the file)."""
    for setting in declared(Settings):
        parent = _block(raw, setting.path[:-1])
        if setting.field.default_factory is not None and setting.block and parent is not None:
            parent.setdefault(setting.path[-1], {})


def _keys_only_the_environment_sets(raw: Raw) -> list[str]:
    """A secret (or the config path) written in the file is refused, and dropped."""
    problems = []
    for setting in declared(Settings):
        parent = _block(raw, setting.path[:-1])
        if setting.in_file or parent is None or setting.path[-1] not in parent:
            continue
        del parent[setting.path[-1]]
        if setting.secret:
            fix = f"a secret never goes in the file: set {setting.env} instead"
        elif setting.env:
            fix = f"set only by the environment: use {setting.env}"
        else:
            fix = unknown_key(setting.path[-1], file_keys(Settings))
        problems.append(f"{setting.key}: {fix}")
    return problems


def _lay_environment(raw: Raw, env: Mapping[str, str]) -> dict[Location, str]:
    """Each setting with a variable takes its value from it when set; returns who set what."""
    from_env: dict[Location, str] = {}
    for setting in declared(Settings):
        value = env.get(setting.env) if setting.env else None
        if not value or not value.strip() or setting.env is None:
            continue
        # Every block with defaults is laid already (_add_absent_blocks); an optional one
        # the file leaves out (mail.mailbox) stays out: its password alone configures nothing.
        parent = _block(raw, setting.path[:-1])
        if parent is None:
            continue
        is_flag = setting.field.annotation is bool
        parent[setting.path[-1]] = _is_on(value) if is_flag else value
        from_env[setting.path] = setting.env
    return from_env


def _is_on(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _lay_smtp_url(raw: Raw, url: str | None, from_env: dict[Location, str]) -> list[str]:
    """smtp://user:pass@host:587?tls=starttls (or smtps://… for implicit TLS) over mail.smtp.

    It selects the smtp transport and overrides the file's server, as DIGEST_DATABASE_URL
    does for the store; the user and password stay the file's and DIGEST_SMTP_PASSWORD's
    unless the URL names them.
    """
    if not url:
        return []
    mail, smtp = _block(raw, ("mail",), create=True), _block(raw, ("mail", "smtp"), create=True)
    if mail is None or smtp is None:
        return []
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        return ["DIGEST_SMTP_URL: use smtp://user:pass@host:587?tls=starttls or smtps://…"]
    security = parse_qs(parts.query).get("tls", ["tls" if parts.scheme == "smtps" else "starttls"])
    try:
        port = parts.port or (465 if security[0] == "tls" else 587)
    except ValueError:
        return ["DIGEST_SMTP_URL: the port is not a number"]
    mail["transport"] = "smtp"
    smtp.update(host=parts.hostname, port=port, security=security[0])
    if parts.username:
        smtp["username"] = unquote(parts.username)
    if parts.password:
        smtp["password"] = unquote(parts.password)
    for key in ("host", "port", "security", "username", "password"):
        from_env[("mail", "smtp", key)] = "DIGEST_SMTP_URL"
    from_env[("mail", "transport")] = "DIGEST_SMTP_URL"
    return []


def _describe(error: ErrorDetails, from_env: dict[Location, str]) -> str:
    """One pydantic error as 'key.path: what is wrong (the fix)'."""
    location = tuple(part for part in error["loc"] if part != "[key]")
    where = from_env.get(location) or _key_path(location)
    return f"{where}: {_message(error, location)}"


def _key_path(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _message(error: ErrorDetails, location: Location) -> str:
    kind = error["type"]
    if kind == PROBLEM:
        return error["msg"]
    block = _block_at(location[:-1])
    key = str(location[-1]) if location else ""
    if kind == "missing":
        field = field_at(block, key) if block else None
        return f"missing ({field.description})" if field and field.description else "missing"
    if kind in {"extra_forbidden", "unexpected_keyword_argument"} and block is not None:
        return unknown_key(key, file_keys(block))
    if kind in {"dataclass_type", "dataclass_args_type", "dict_type", "mapping_type"}:
        return "must be a mapping of keys"
    if kind in {"tuple_type", "list_type", "iterable_type"}:
        return "must be a list (one '- ' entry per line)"
    return error["msg"]


def _block_at(location: Location) -> type | None:
    """The settings class that the mapping at `location` is validated as."""
    block: type | None = Settings
    for part in location:
        if block is None:
            return None
        if isinstance(part, str):
            field = field_at(block, part)
            block = block_of(field.annotation) if field else None
    return block


def _duplicate_names(raw: Raw, list_key: str, name_key: str) -> list[str]:
    """Feed names and theme ids are unique: --source and pins name them."""
    entries = raw.get(list_key)
    seen: set[str] = set()
    problems = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        name = entry.get(name_key) if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        if name.strip() in seen:
            problems.append(
                f"{list_key}[{i}].{name_key}: '{name}' is used twice (names must be unique)"
            )
        seen.add(name.strip())
    return problems


def _unknown_pinned_themes(raw: Raw) -> list[str]:
    themes, pins = raw.get("themes"), raw.get("pins")
    if not isinstance(pins, list):
        return []
    known = (
        {t.get("id") for t in themes if isinstance(t, dict)} if isinstance(themes, list) else set()
    )
    named = sorted(str(k) for k in known if k is not None)
    problems = []
    for i, pin in enumerate(pins):
        theme = pin.get("theme") if isinstance(pin, dict) else None
        if isinstance(theme, str) and theme not in known | {"en-bref"}:
            problems.append(f"pins[{i}].theme: unknown theme '{theme}' (known: {', '.join(named)})")
    return problems
