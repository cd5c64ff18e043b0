"""Waiting in tests: on a condition, with a deadline, never a fixed sleep. A test that
checks that something does NOT happen waits for an event proving the window passed (a
process logged its decision, a queue is empty, a pass moved on), not for a guessed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def wait_for(
    condition: Callable[[], object],
    seconds: float = 60.0,
    *,
    what: str = "the condition",
    interval: float = 0.05,
) -> None:
    """Return as soon as `condition()` is true; fail once `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not met within {seconds:g} s")
        time.sleep(interval)


def logged(path: Path, text: str) -> bool:
    """True once the log file at `path` (a process's stderr) holds `text`."""
    return path.exists() and text in path.read_text(encoding="utf-8", errors="replace")
