"""Feed ingest throughput: digest's first ingest vs its re-ingest, and vs rss2email 3.14.

A local HTTP server on 127.0.0.1, in its own process (so it never takes the GIL from digest's
threads), serves every *.xml, *.atom and *.rdf feed of /work/shared/feeds (53 real captured
feeds) as real servers do: ETag and Last-Modified, 304 to a matching conditional GET, gzip.
Timed wall-clock, side by side in one run (entries = items digest stored; entries rss2email
marked seen in its data file):

- digest first ingest: `ingest_feeds` (fetch + parse + store) into a fresh SQLite store;
- digest re-ingest of the unchanged feeds, answered 304 (median of --repeat runs), and again
  with the server sending no validators, where the body hash spots the unchanged feeds;
- digest as whole processes, start-up included (issue 12, item 6): `digest ingest` into a
  fresh store, then again with every feed unchanged (median of --repeat runs), and the
  commands that do not build, `digest status` and `digest items`, on that warm store;
  `--documents FOLDER` adds a documents folder to their configuration;
- rss2email first run and re-run: `r2e run --no-send` in a subprocess (start-up included),
  from a venv cached at ~/.cache/digest-bench/r2e-venv (created on first use, from PyPI).

Read each line as entries/s, with CPU = CPU time / wall time (2.0: both cores busy; for
digest, of its main process only: its feed parsers are forkserver workers, not counted), then the
ratios and whether each target is met: re-ingest >= 20x digest's first ingest (>= 10x as
whole processes), `digest status` <= 0.25 s, digest's first ingest >= 2x rss2email's. Only the
ratios mean much on a shared machine (the start-up line says what the interpreter and
SQLAlchemy alone cost there). A report, not a test: it exits 0 whatever the figures.
Run `.venv/bin/python bench/ingest.py` from the root.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from digest.ingest.feeds import ingest_feeds
from digest.models import Outcome, SourceReport
from digest.settings import FeedSource, FetchSettings
from digest.store import open_store

R2E_VERSION = "3.14"
R2E_VENV = Path.home() / ".cache" / "digest-bench" / "r2e-venv"
TYPES = {".xml": "rss", ".atom": "atom", ".rdf": "rdf"}  # Content-Type: application/{}+xml
REINGEST_TARGET, VS_R2E_TARGET = 20.0, 2.0
PROCESS_REINGEST_TARGET, STARTUP_TARGET = 10.0, 0.25  # x, seconds

# -- the feed server (self-contained: tests/feedserver.py imports pytest, a dev dependency) --


def _serve(folder: Path, port_out: Connection, no_validators: Event) -> None:
    """Serve the feed files at /<file name> until terminated (runs in a child process)."""
    files = {f"/{p.name}": p for p in sorted(folder.iterdir()) if p.suffix in TYPES}
    bodies = {path: p.read_bytes() for path, p in files.items()}
    zipped = {path: gzip.compress(body, mtime=0) for path, body in bodies.items()}
    etags = {path: f'"{hashlib.sha256(b).hexdigest()[:16]}"' for path, b in bodies.items()}
    dates = {path: formatdate(p.stat().st_mtime, usegmt=True) for path, p in files.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path not in bodies:
                return self._send(404, b"", {})
            headers = {"ETag": etags[path], "Last-Modified": dates[path]}
            asked = (self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
            if no_validators.is_set():
                headers = {}
            elif etags[path] in asked or dates[path] in asked:  # each client sends both back
                return self._send(304, b"", headers)
            headers["Content-Type"] = f"application/{TYPES[files[path].suffix]}+xml"
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
                return self._send(200, zipped[path], headers)
            return self._send(200, bodies[path], headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        # The default listen backlog of 5 overflows when a client opens 8 connections at
        # once: the SYNs dropped are retried after 1 s, a stall that is the server's fault.
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    port_out.send((server.server_address[1], sorted(files)))
    server.serve_forever()


# -- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One timed run: the entries it covered, its wall time, its CPU share."""

    entries: int
    wall: float  # seconds
    cpu: float  # CPU time / wall time: 1.0 is one core busy, 2.0 both
    note: str = ""
    details: tuple[str, ...] = ()  # printed under the line

    @property
    def rate(self) -> float:
        return self.entries / self.wall

    def lines(self, label: str) -> str:
        head = (
            f"{label}: {self.entries} entries in {self.wall:.2f} s = {self.rate:.0f} "
            f"entries/s (CPU {self.cpu:.2f}; {self.note})"
        )
        return "\n".join([head, *(f"  {detail}" for detail in self.details)])


def timed(run: Callable[[], list[SourceReport]]) -> tuple[list[SourceReport], float, float]:
    """run()'s reports, its wall time and CPU share in this process (all its threads)."""
    cpu, wall = time.process_time(), time.perf_counter()
    reports = run()
    wall = time.perf_counter() - wall
    return reports, wall, (time.process_time() - cpu) / wall


def run_child(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a command; its process, wall time and CPU share (children's CPU time / wall)."""
    before, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - wall
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return proc, wall, cpu / wall


def bench_digest(
    feeds: list[FeedSource], work: Path, repeat: int, no_validators: Event
) -> list[Figure]:
    """First ingest, then re-ingests answered 304, then re-ingests without validators."""
    store = open_store(f"sqlite:///{work / 'bench.db'}")
    fetch, now = FetchSettings(timeout_seconds=60.0), datetime(2026, 1, 1, tzinfo=UTC)
    ingest = partial(ingest_feeds, store, feeds, fetch, now, force=True)
    reports, wall, cpu = timed(ingest)
    stored, seen = len(store.list_items()), sum(r.total_items for r in reports)
    failed = ", ".join(r.name for r in reports if r.outcome is Outcome.FAILED) or "none"
    figures = [Figure(stored, wall, cpu, f"items stored; feedparser saw {seen}; failed: {failed}")]
    for how in ("HTTP 304s", "no validators: HTTP 200, same body hash"):
        if how != "HTTP 304s":
            no_validators.set()
        runs = sorted((timed(ingest) for _ in range(repeat)), key=lambda run: run[1])
        reports, wall, cpu = runs[len(runs) // 2]
        unchanged = sum(r.outcome is Outcome.UNCHANGED for r in reports)
        note = f"{how}; median of {repeat}; {unchanged}/{len(reports)} feeds unchanged"
        figures.append(Figure(stored, wall, cpu, note))
    no_validators.clear()
    return figures


def median_child(
    command: list[str], repeat: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """The median wall time of `repeat` runs of a command, and that run's CPU share."""
    runs = sorted((run_child(command, env)[1:] for _ in range(repeat)), key=lambda run: run[0])
    return runs[len(runs) // 2]


def bench_process(
    urls: dict[str, str], work: Path, repeat: int, documents: Path | None
) -> list[Figure]:
    """`digest ingest` as a process: first, then unchanged; then `digest status` and `items`."""
    folder = work / "process"
    folder.mkdir()
    feeds = "".join(f"  - {{name: {name}, url: '{url}'}}\n" for name, url in urls.items())
    listed = f"[{json.dumps(str(documents.resolve()))}]" if documents else "[]"
    config = folder / "feeds.yaml"  # the store: digest.db beside it
    config.write_text(
        f"newsletter: {{title: Bench}}\ndocuments: {listed}\nfeeds:\n{feeds}", encoding="utf-8"
    )
    digest = [str(Path(sys.executable).parent / "digest"), "--config", str(config)]
    # No DIGEST_* overrides; and bytecode cached as on any warm start (as bench/startup.py):
    # with PYTHONDONTWRITEBYTECODE (set in some environments) every run would recompile
    # digest's modules, a cost no installed digest pays. The first run writes it.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DIGEST_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    first, wall, cpu = run_child([*digest, "ingest"], env)
    if first.returncode:
        raise RuntimeError(f"digest ingest failed: {first.stderr[-2000:]}")
    store = open_store(f"sqlite:///{folder / 'digest.db'}")
    stored = len(store.list_items())
    store.close()
    sources = f"{len(urls)} feeds" + (f" and the documents of {documents}" if documents else "")
    figures = [Figure(stored, wall, cpu, f"items stored; {sources}")]
    note = f"every source unchanged; median of {repeat}"
    figures.append(Figure(stored, *median_child([*digest, "ingest"], repeat, env), note))
    for command in ("status", "items"):
        figures.append(
            Figure(stored, *median_child([*digest, command], repeat, env), f"median of {repeat}")
        )
    floor = [sys.executable, "-c", "import click, sqlalchemy.orm"]
    note = f"the interpreter importing click and SQLAlchemy; median of {repeat}"
    figures.append(Figure(0, *median_child(floor, repeat), note))
    return figures


def r2e_binary() -> Path:
    """The r2e of a venv holding rss2email 3.14, created at R2E_VENV on first use."""
    r2e = R2E_VENV / "bin" / "r2e"
    if r2e.exists():
        version = subprocess.run([r2e, "--version"], capture_output=True, text=True).stdout
        if version.split()[-1:] == [R2E_VERSION]:
            return r2e
    print(f"(installing rss2email {R2E_VERSION} into {R2E_VENV})", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", R2E_VENV], check=True)
    pip = [str(R2E_VENV / "bin" / "pip"), "install", "-q", f"rss2email=={R2E_VERSION}"]
    subprocess.run(pip, check=True, capture_output=True)
    return r2e


def bench_r2e(r2e: Path, urls: dict[str, str], work: Path) -> list[Figure]:
    """`r2e run --no-send` on a fresh data file (first run), then again (re-run)."""
    config, data, opml = work / "r2e.cfg", work / "r2e.json", work / "feeds.opml"
    base = [str(r2e), "-c", str(config), "-d", str(data)]
    outlines = "".join(
        f"<outline text={quoteattr(name)} xmlUrl={quoteattr(url)}/>" for name, url in urls.items()
    )
    opml.write_text(f'<opml version="1.0"><body>{outlines}</body></opml>', encoding="utf-8")
    subprocess.run([*base, "new", "you@example.org"], check=True, capture_output=True)
    subprocess.run([*base, "opmlimport", str(opml)], check=True, capture_output=True)
    startup = run_child([*base, "list"])[1]  # interpreter start-up + imports, in its runs
    (first, wall, cpu), (_, again, again_cpu) = (
        run_child([*base, "run", "--no-send"]) for _ in range(2)
    )
    state = json.loads(data.read_text(encoding="utf-8"))["feeds"]
    seen = sum(len(feed.get("seen", {})) for feed in state)
    said = [line for line in first.stderr.splitlines() if re.search(r"\[(WARNING|ERROR)\]", line)]
    said += [f"exit code {first.returncode}"] if first.returncode else []
    note = (
        f"entries marked seen; one feed after another; includes {startup:.2f} s start-up; "
        f"{len(said)} warning(s)/error(s) logged"
    )
    return [
        Figure(seen, wall, cpu, note, tuple(f"rss2email said: {line}" for line in said[:5])),
        Figure(seen, again, again_cpu, "its feedparser sends If-None-Match / If-Modified-Since"),
    ]


# -- report ------------------------------------------------------------------------------


def verdict(label: str, ratio: float, target: float) -> str:
    met = "MET" if ratio >= target else "NOT MET"
    return f"{label}: {ratio:.1f}x (target >= {target:g}x): {met}"


def report_processes(figures: list[Figure]) -> None:
    """The whole-process figures: ingest first and unchanged, the commands that do not build."""
    first, again, status, items, floor = figures
    print(first.lines("digest ingest process, first"))
    print(again.lines("digest ingest process, unchanged"))
    print(verdict("process re-ingest speed-up", first.wall / again.wall, PROCESS_REINGEST_TARGET))
    for label, figure in (("digest status", status), ("digest items", items)):
        met = "MET" if figure.wall <= STARTUP_TARGET else "NOT MET"
        print(
            f"{label}: {figure.wall:.3f} s ({figure.wall * figure.cpu:.3f} s CPU; {figure.note}; "
            f"target <= {STARTUP_TARGET} s): {met}"
        )
    # What no change to digest can remove: how loaded the machine is shows here.
    print(f"  floor: {floor.wall:.3f} s ({floor.wall * floor.cpu:.3f} s CPU) for {floor.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path, default=Path("/work/shared/feeds"))
    parser.add_argument("--repeat", type=int, default=3, help="re-ingest runs (median kept)")
    parser.add_argument("--documents", type=Path, help="a documents folder for the processes")
    parser.add_argument("--without-rss2email", action="store_true", help="digest's figures only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # malformed-feed warnings would bury the figures
    try:
        r2e: Path | str = "left out (--without-rss2email)"
        if not args.without_rss2email:
            r2e = r2e_binary()
    except (OSError, subprocess.CalledProcessError) as exc:  # no PyPI: report without it
        r2e = f"{type(exc).__name__}: {exc}"
    port_in, port_out = multiprocessing.Pipe(duplex=False)
    no_validators = multiprocessing.Event()
    server = multiprocessing.Process(
        target=_serve, args=(args.feeds, port_out, no_validators), daemon=True
    )
    server.start()
    try:
        if not port_in.poll(60):
            raise RuntimeError(f"the feed server did not start (exit code {server.exitcode})")
        port, paths = port_in.recv()
        urls = {Path(path).stem: f"http://127.0.0.1:{port}{path}" for path in paths}
        print(f"{len(urls)} feeds from {args.feeds} on 127.0.0.1:{port}; {os.cpu_count()} CPUs")
        feeds = [FeedSource(name=name, url=url) for name, url in urls.items()]
        with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
            ours = bench_digest(feeds, Path(tmp), args.repeat, no_validators)
            processes = bench_process(urls, Path(tmp), args.repeat, args.documents)
            theirs = bench_r2e(r2e, urls, Path(tmp)) if isinstance(r2e, Path) else []
    finally:
        server.terminate()
        server.join()
    labels = ("digest first ingest", "digest re-ingest", "digest re-ingest without validators")
    for label, figure in zip(labels, ours, strict=True):
        print(figure.lines(label))
    print(verdict("re-ingest speed-up", ours[1].rate / ours[0].rate, REINGEST_TARGET))
    report_processes(processes)
    if not theirs:
        print(f"rss2email {R2E_VERSION}: not measured ({r2e})")
        return
    print(theirs[0].lines(f"rss2email {R2E_VERSION} first run"))
    print(theirs[1].lines(f"rss2email {R2E_VERSION} re-run"))
    print(
        verdict("digest / rss2email", ours[0].rate / theirs[0].rate, VS_R2E_TARGET)
        + f" (wall-clock ratio on the same feeds: {theirs[0].wall / ours[0].wall:.1f}x)"
    )


if __name__ == "__main__":
    main()
