"""What the benchmarks measure of a whole `digest` process: its exit code, wall time and
peak RSS. Imported by the bench scripts (they run with bench/ on sys.path)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Starts the command and reports its peak RSS. Linux hands a forked child its parent's
# high-water mark, and exec keeps it: wait4 from the bench's own process (hundreds of MB
# after preparing a store) reported that, not digest's own peak. This small launcher is
# the parent instead.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


@dataclass(frozen=True, slots=True)
class Measured:
    code: int
    seconds: float  # wall time, the launcher's start-up included (a few ms)
    peak_mb: float


def digest_command(*args: str) -> list[str]:
    """The `digest` of this venv with `args`."""
    return [str(Path(sys.executable).parent / "digest"), *args]


def measure(command: list[str], env: dict[str, str]) -> Measured:
    started = time.perf_counter()
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    code, peak_kb = (int(n) for n in launched.stdout.split())
    return Measured(code, seconds, peak_kb / 1024)
