"""The kinds of value a setting holds, each with the check and the message it fails with.

Used in `Annotated[...]` declarations by `digest.settings`; pydantic runs the check when the
configuration is loaded (and when code builds or `replace()`s a settings object). Every
refusal says what is wrong and how to fix it; the loader adds the key path and the file.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import string
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

# A single-line value (a title, an address, a name) ends up in a mail header or a web
# page: CR/LF there is header injection (issue 10, item 12), NUL and other control
# characters are refused by the database or break the page. A multi-line value (a theme
# description) may hold line breaks and tabs, nothing else.
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTI_LINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_LINE_CHARS = 2000  # the longest sane URL is about this long; a title is far shorter
MAX_TEXT_CHARS = 20000
# No setting needs more (a timeout of 30 years, a billion bytes), and past it a timeout
# overflows the C timeval a socket takes.
MAX_NUMBER = 1e9
MAX_PORT = 65535
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CRON_FIELD = re.compile(r"^[\w*/,-]+$")
_DATABASE_URL = re.compile(r"^(sqlite|postgresql)(\+\w+)?://")
# The error type the loader recognises as one of ours: its message is already for humans.
PROBLEM = "digest_setting"


def refuse(problem: str) -> NoReturn:
    """Fail the current value with a message for humans (the loader prefixes its key path)."""
    raise PydanticCustomError(PROBLEM, "{problem}", {"problem": problem})


def unknown_key(key: str, allowed: Iterable[str]) -> str:
    """'unknown key (did you mean …?)', or the list of allowed keys when nothing is close."""
    known = list(allowed)
    guess = difflib.get_close_matches(key, known, n=1)
    fix = f"did you mean {guess[0]!r}?" if guess else f"allowed: {', '.join(known)}"
    return f"unknown key ({fix})"


def _text(value: Any, *, multiline: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        refuse("must be a non-empty string")
    text = value.strip()
    control = (_CONTROL_MULTI_LINE if multiline else _CONTROL_SINGLE_LINE).search(text)
    if control:
        if control.group() in "\r\n\u2028\u2029":
            refuse(f"holds a line break ({control.group()!r}); write it on one line")
        refuse(f"holds a control character ({control.group()!r}); remove it")
    limit = MAX_TEXT_CHARS if multiline else MAX_LINE_CHARS
    if len(text) > limit:
        refuse(f"is {len(text):,} characters long (at most {limit:,})")
    return text


def _line(value: Any) -> str:
    return _text(value, multiline=False)


Line = Annotated[str, BeforeValidator(_line)]
"""One line of text: stripped, no control characters, at most 2,000 characters."""


def _multiline(value: Any) -> str:
    return _text(value, multiline=True)


def _line_or_empty(value: Any) -> str:
    # "" is these settings' own default ("not set"), which replace() passes back in.
    return "" if value == "" else _line(value)


def _text_or_empty(value: Any) -> str:
    return "" if value == "" else _multiline(value)


LineOrEmpty = Annotated[str, BeforeValidator(_line_or_empty)]
Text = Annotated[str, BeforeValidator(_text_or_empty)]
"""Text that may span lines (tabs and line breaks allowed), at most 20,000 characters."""


def _number(minimum: float, maximum: float) -> Callable[[Any], float]:
    """A finite number in (minimum, maximum]: .inf, .nan and 1e400 crashed int() later."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            refuse(f"must be a number greater than {minimum:g}")
        if not (isinstance(value, int) or math.isfinite(value)) or not minimum < value <= maximum:
            refuse(f"must be a number greater than {minimum:g} and at most {maximum:,.0f}")
        return float(value)

    return check


def _count(minimum: float, maximum: float) -> Callable[[Any], int]:
    number = _number(minimum, maximum)
    return lambda value: int(number(value))


Number = Annotated[float, BeforeValidator(_number(0.0, MAX_NUMBER))]
"""A finite number greater than 0 and at most 10⁹; the ...OrZero kinds also take 0."""
NumberOrZero = Annotated[float, BeforeValidator(_number(-1.0, MAX_NUMBER))]
Count = Annotated[int, BeforeValidator(_count(0.0, MAX_NUMBER))]
CountOrZero = Annotated[int, BeforeValidator(_count(-1.0, MAX_NUMBER))]
Port = Annotated[int, BeforeValidator(_count(0.0, MAX_PORT))]


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        refuse("must be true or false")
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]


def _url(value: str) -> str:
    if not _URL.match(value):
        refuse(f"not an http(s) URL: '{value}' (it starts with https:// or http://)")
    return value


def _without_trailing_slash(value: str) -> str:
    return value.rstrip("/")


Url = Annotated[Line, AfterValidator(_url)]
BaseUrl = Annotated[Url, AfterValidator(_without_trailing_slash)]
"""A URL that paths are appended to (`/issues/3`, `/chat/completions`)."""


def _name(value: str) -> str:
    if not _NAME.match(value):
        refuse(f"'{value}' may hold only letters, digits, '.', '_' and '-'")
    return value


Name = Annotated[Line, AfterValidator(_name)]


def _display_name(value: str) -> str:
    # Control, format and unassigned characters (category C*): CR/LF would break a mail
    # header, NUL the store, a bidi override what readers see.
    if len(value) > 100 or any(unicodedata.category(c).startswith("C") for c in value):
        refuse("must be one line of at most 100 printable characters")
    return value


DisplayName = Annotated[Line, AfterValidator(_display_name)]


def one_of(noun: str, *choices: str) -> AfterValidator:
    """A word among `choices`: "'gpt' is not a backend (use extractive or openai)"."""
    listed = f"{', '.join(choices[:-1])} or {choices[-1]}"

    def check(value: str) -> str:
        if value not in choices:
            refuse(f"'{value}' is not {noun} (use {listed})")
        return value

    return AfterValidator(check)


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        refuse(f"unknown time zone '{value}' (use an IANA name like Europe/Paris)")
    return value


TimeZoneName = Annotated[Line, AfterValidator(_time_zone)]


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        refuse("not a 5-field cron expression (e.g. '0 8 * * mon')")
    # lazy: APScheduler costs start-up and only a configured schedule needs it.
    from apscheduler.triggers.cron import CronTrigger

    try:  # the scheduler's own parser: `99 99 * * *` and `*/0` crashed `serve`
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        refuse(f"'{value}': {exc} (e.g. '0 8 * * mon': minute hour day month weekday)")
    return value


Cron = Annotated[Line, AfterValidator(_cron)]


def _database_url(value: str) -> str:
    if not _DATABASE_URL.match(value):
        refuse("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    return value


DatabaseUrl = Annotated[Line, AfterValidator(_database_url)]


def _network(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        refuse(f"'{value}' is not an address or network (e.g. 127.0.0.1 or 10.0.0.0/8)")


Network = Annotated[str, BeforeValidator(_network)]


# What subject_template and preheader_template may name; filled at build time by
# summarize/subject.py. Declared here, beside the checks, so that loading the
# configuration checks the templates without importing the summarizer.
TEMPLATE_PLACEHOLDERS = ("title", "number", "topics", "lead")


def template_problems(template: str) -> list[str]:
    """What is wrong with a subject or preheader template ([] when it is usable)."""
    if any(ch in template for ch in "\r\n\x00"):
        return ["must be one line (a line break in a mail header would split it)"]
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return ["unbalanced braces (write {{ or }} for a literal brace)"]
    allowed = ", ".join("{" + p + "}" for p in TEMPLATE_PLACEHOLDERS)
    problems = [
        f"unknown placeholder {{{f}}} (use {allowed})"
        for _, f, _, _ in parsed
        if f is not None and f not in TEMPLATE_PLACEHOLDERS
    ]
    if any(spec or conv for _, f, spec, conv in parsed if f):
        problems.append(f"placeholders take no format or conversion (use {allowed})")
    return problems


def _template(value: str) -> str:
    problems = template_problems(value)
    if problems:
        refuse("; ".join(problems))
    return value


LineTemplate = Annotated[Line, AfterValidator(_template)]


def _path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(_line(value))


def _located(problem_of: Callable[[Path], str | None]) -> AfterValidator:
    """A path relative to the configuration file, resolved, then checked by `problem_of`.

    Settings built by code (no loading context) keep their path as given, unchecked.
    """

    def resolve(given: Path, info: ValidationInfo) -> Path:
        base: Path | None = info.context.get("base") if isinstance(info.context, dict) else None
        if base is None:
            return given
        resolved = (base / given).resolve()
        problem = problem_of(resolved)
        if problem:
            refuse(problem.format(given=given, base=base))
        return resolved

    return AfterValidator(resolve)


def _missing(path: Path) -> str | None:
    return None if path.exists() else "'{given}' does not exist (relative to {base})"


ExistingPath = Annotated[Path, BeforeValidator(_path), _located(_missing)]


def _not_a_file(path: Path) -> str | None:
    return None if path.is_file() else "'{given}' is not a file (relative to {base})"


ExistingFile = Annotated[Path, BeforeValidator(_path), _located(_not_a_file)]


def _not_a_folder(path: Path) -> str | None:
    if path.exists() and not path.is_dir():
        return "'{given}' is a file, not a folder (point it at a folder)"
    return None


Folder = Annotated[Path, BeforeValidator(_path), _located(_not_a_folder)]
