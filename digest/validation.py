"""A validator that collects every problem of a configuration instead of stopping at the first.

Each problem reads `key.path: what is wrong (the fix)`; the caller raises one ConfigError
with all of them, so an operator fixes the file in one pass and nothing is half-applied.
"""

from __future__ import annotations

import difflib
from typing import Any


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
