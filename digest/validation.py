"""A validator that collects every problem of a configuration instead of stopping at the first.

Each problem reads `key.path: what is wrong (the fix)`; the caller raises one ConfigError
with all of them, so an operator fixes the file in one pass and nothing is half-applied.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

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


class Checker:
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

    def text(
        self, value: Any, path: str, default: str | None = None, *, multiline: bool = False
    ) -> str | None:
        """A stripped string; single-line unless `multiline`, no control characters, capped."""
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.add(path, "must be a non-empty string")
            return default
        text = value.strip()
        control = (_CONTROL_MULTI_LINE if multiline else _CONTROL_SINGLE_LINE).search(text)
        limit = MAX_TEXT_CHARS if multiline else MAX_LINE_CHARS
        if control:
            line_break = control.group() in "\r\n\u2028\u2029"
            what, fix = (
                ("a line break", "write it on one line")
                if line_break
                else (
                    "a control character",
                    "remove it",
                )
            )
            self.add(path, f"holds {what} ({control.group()!r}); {fix}")
            return default
        if len(text) > limit:
            self.add(path, f"is {len(text):,} characters long (at most {limit:,})")
            return default
        return text

    def number(
        self,
        value: Any,
        path: str,
        default: float,
        minimum: float = 0.0,
        maximum: float = MAX_NUMBER,
    ) -> float:
        """A finite number in (minimum, maximum]: .inf, .nan and 1e400 crashed int() later."""
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, f"must be a number greater than {minimum:g}")
            return default
        if not (isinstance(value, int) or math.isfinite(value)) or not (minimum < value <= maximum):
            self.add(path, f"must be a number greater than {minimum:g} and at most {maximum:,.0f}")
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
