"""Start-up cost of the commands that do not build: `digest status`, `items`, `show`.

Issue 12, item 6: each costs <= 0.25 s as a whole process on a warm store. This sets up a
warm store once (the shipped feeds.yaml, with its schedule and feeds, and its documents
ingested offline and built into an issue, in a temporary SQLite database), then times
whole processes side by side, interleaved round by round so a change in the machine's
load hits every line alike:

- `python -c pass`: the interpreter alone, what no change to digest can remove;
- `python -c "import click, sqlalchemy, pydantic"`: the libraries every one of these
  commands needs (the command line, the store's Core, the settings), imported and nothing
  run; they do without `sqlalchemy.orm` (digest.store.reader);
- `digest --help`, then `digest status`, `digest items` and `digest show N`;
- with `--baseline DIR` (a checkout of another revision, e.g. `git worktree add /tmp/main
  main`), the same four commands again with that checkout's code first on PYTHONPATH, so a
  change is compared with its base at the same load.

The bytecode is cached as on any warm start (PYTHONDONTWRITEBYTECODE is dropped from the
environment: the unmeasured first run of each command writes it). Each line gives the
median wall time of --repeat runs, their median CPU time (user + sys of
the process), and the ratios of both to the interpreter's and to the libraries'. On a
shared machine read the ratios: the wall times move with the load, the ratios much less;
`--instructions` also counts each command's instructions once under valgrind, which the
load does not change at all.
A report, not a test: it exits 0 whatever the figures.

    .venv/bin/python bench/startup.py [--repeat 15] [--baseline DIR] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.25  # seconds, wall, per command (issue 12, item 6)
LIBRARIES = "import click, sqlalchemy, pydantic"


@dataclass(frozen=True)
class Timing:
    """The runs of one command: wall and CPU seconds of each."""

    label: str
    walls: list[float]
    cpus: list[float]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command`, which must succeed."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def warm_store(digest: list[str], env: dict[str, str]) -> int:
    """Ingest the shipped documents offline and build an issue; its number."""
    subprocess.run([*digest, "--offline", "ingest"], env=env, check=True, capture_output=True)
    built = subprocess.run(
        [*digest, "build", "--since", "2000-01-01"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    numbers = re.findall(r"^(\d+)$", built.stdout, re.M)
    if not numbers:
        raise RuntimeError(f"digest build built no issue: {built.stdout}{built.stderr}")
    return int(numbers[-1])


@dataclass(frozen=True)
class Command:
    """A command line to time, and its environment."""

    argv: list[str]
    env: dict[str, str]


def measure(commands: dict[str, Command], repeat: int) -> list[Timing]:
    """Every command `repeat` times, one round after another (each round runs them all)."""
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for command in commands.values():  # one unmeasured run each: the page cache
        run_once(command.argv, command.env)
    for _ in range(repeat):
        for label, command in commands.items():
            runs[label].append(run_once(command.argv, command.env))
    return [
        Timing(label, [wall for wall, _ in done], [cpu for _, cpu in done])
        for label, done in runs.items()
    ]


def instructions(command: Command) -> int:
    """The instructions one run of `command` executes, counted by valgrind: what a shared,
    loaded machine cannot blur (a count, not a time)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command.argv],
        capture_output=True,
        text=True,
        env=command.env,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind counted nothing: {done.stderr[-2000:]}")
    return int(found.group(1))


def report_instructions(counted: dict[str, int], libraries: str) -> None:
    print(f"\n{'instructions (valgrind)':50} {'count':>14} {'/libs':>7}")
    for label, count in counted.items():
        print(f"{label:50} {count:14,d} {count / counted[libraries]:6.2f}x")


def report(timings: list[Timing]) -> None:
    interpreter, libraries, *commands = timings
    print(f"{'':50} {'wall':>8} {'CPU':>8} {'/python':>8} {'/libs':>7}")
    for timing in timings:
        print(
            f"{timing.label:50} {timing.wall:7.3f}s {timing.cpu:7.3f}s "
            f"{timing.wall / interpreter.wall:7.1f}x {timing.wall / libraries.wall:6.2f}x"
        )
    by_label = {timing.label: timing for timing in commands}
    for timing in commands:
        if timing.label.endswith(("--help", "(baseline)")):  # not the commands
            continue
        met = "MET" if timing.wall <= TARGET else "NOT MET"
        line = f"{timing.label}: {timing.wall:.3f} s wall (target <= {TARGET} s): {met}"
        base = by_label.get(f"{timing.label} (baseline)")
        if base is not None:
            line += f"; {timing.wall / base.wall:.2f}x the baseline's wall, "
            line += f"{timing.cpu / base.cpu:.2f}x its CPU"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each command")
    parser.add_argument(
        "--baseline", type=Path, help="a checkout whose commands are timed alongside"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions under valgrind (slow, load-independent)",
    )
    args = parser.parse_args()
    python = sys.executable
    digest = [str(Path(python).parent / "digest"), "--config", str(REPO / "feeds.yaml")]
    with tempfile.TemporaryDirectory(prefix="digest-startup-") as tmp:
        # A warm start has its bytecode cached: with PYTHONDONTWRITEBYTECODE (set in some
        # shells and CI), every run compiled each digest module from source again.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DIGEST_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env["DIGEST_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'digest.db'}"
        number = warm_store(digest, env)
        commands = {
            "python -c pass": Command([python, "-c", "pass"], env),
            f"python -c '{LIBRARIES}'": Command([python, "-c", LIBRARIES], env),
        }
        digest_commands = {
            "digest --help": [*digest, "--help"],
            "digest status": [*digest, "status"],
            "digest items": [*digest, "items"],
            f"digest show {number}": [*digest, "show", str(number)],
        }
        commands |= {label: Command(argv, env) for label, argv in digest_commands.items()}
        if args.baseline is not None:
            base = env | {"PYTHONPATH": str(args.baseline.resolve())}
            commands |= {
                f"{label} (baseline)": Command(argv, base)
                for label, argv in digest_commands.items()
            }
        timings = measure(commands, args.repeat)
        counted = (
            {label: instructions(c) for label, c in commands.items()} if args.instructions else {}
        )
    print(
        f"median of {args.repeat} runs each, interleaved; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f}"
    )
    report(timings)
    if counted:
        report_instructions(counted, libraries=f"python -c '{LIBRARIES}'")


if __name__ == "__main__":
    main()
