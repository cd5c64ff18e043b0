"""Ingest RSS / Atom feeds: pick the due ones, fetch and parse them, store their items.

Takes the configured feed sources, the fetch settings and the store; gives item rows (via
`Store.add_items`), the sources' HTTP validators, failure counts and backoff, and one
`SourceReport` per feed. Fetching (`digest.ingest.fetch`, I/O, in threads) and parsing
(`digest.ingest.parse`, CPU, in processes when there are several feeds) hand over frozen
dataclasses; only this module writes to the store.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import httpx

from digest.errors import FeedError
from digest.ingest.fetch import FetchResult, fetch_feed, open_client
from digest.models import ItemDraft, Outcome, SourceKind, SourceReport, SourceState
from digest.settings import FeedSource, FetchSettings
from digest.store import SourceSuccess, Store

if TYPE_CHECKING:  # the type only: a run whose feeds are unchanged fetches no page
    from digest.ingest.fulltext import PageFetcher

log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """A fetched feed and its items; items is None when it had not changed (not parsed)."""

    result: FetchResult
    items: tuple[ItemDraft, ...] | None
    malformed: str | None = None  # why feedparser found it malformed, when it still read it


def ingest_feeds(
    store: Store,
    feeds: Sequence[FeedSource],
    fetch: FetchSettings,
    now: datetime,
    *,
    force: bool = False,
    rng: random.Random | None = None,
    on_done: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """Fetch the due feeds concurrently, store their new items; one report per feed, in order."""
    rng = rng if rng is not None else random.Random()
    reports: dict[str, SourceReport] = {}
    due: list[tuple[FeedSource, SourceState]] = []
    states = store.ensure_sources([(f.name, SourceKind.FEED, f.url) for f in feeds], now)
    for feed in feeds:
        state = states[feed.name]
        reason = None if force else _skip_reason(feed, state, now)
        if reason is None:
            due.append((feed, state))
        else:
            reports[feed.name] = _done(
                SourceReport(feed.name, SourceKind.FEED, Outcome.SKIPPED, message=reason), on_done
            )
    for report in _ingest_due(store, due, fetch, now, rng, on_done):
        reports[report.name] = report
    return [reports[feed.name] for feed in feeds]


def _skip_reason(feed: FeedSource, state: SourceState, now: datetime) -> str | None:
    if not feed.enabled:
        return "disabled in the configuration"
    if state.next_attempt_at is not None and state.next_attempt_at > now:
        return (
            f"backing off until {state.next_attempt_at.isoformat(timespec='minutes')} "
            f"after {state.consecutive_failures} failure(s): {state.last_error}"
        )
    return None


def _ingest_due(
    store: Store,
    due: list[tuple[FeedSource, SourceState]],
    fetch: FetchSettings,
    now: datetime,
    rng: random.Random,
    on_done: Callable[[SourceReport], None] | None,
) -> list[SourceReport]:
    """Fetch and parse in worker threads; write to the store here, as each feed completes
    (the bookkeeping of the unchanged ones in one transaction at the end)."""
    if not due:
        return []
    reports: list[SourceReport] = []
    bugs: list[Exception] = []
    unchanged: list[SourceSuccess] = []
    workers = max(1, min(fetch.concurrency, len(due)))
    # Feeds never read before will need parsing: start the parsers now, while the first
    # feeds are fetched. A re-ingest (all feeds known, most unchanged) starts them only
    # if a feed turns out to have changed.
    first_reads = any(state.content_hash is None for _, state in due)
    with open_client(fetch) as client, _parser_pool(len(due), eager=first_reads) as parsers:
        pages = _page_fetcher(client, fetch)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feed")
        try:
            futures = {
                pool.submit(update_feed, client, feed, state, fetch, now, parsers): (feed, state)
                for feed, state in due
            }
            for future in as_completed(futures):
                feed, state = futures[future]
                report, bug = _settle(store, feed, state, future, fetch, now, rng, unchanged, pages)
                reports.append(_done(report, on_done))
                if bug is not None:
                    bugs.append(bug)
        finally:  # on Ctrl-C or a store failure, do not start the feeds still queued
            pool.shutdown(wait=True, cancel_futures=True)
    # Interrupted before this, an unchanged feed only keeps its previous check time.
    store.record_successes(unchanged, now)
    # A bug while handling one feed (anything but a FeedError) must show its traceback, yet
    # must not cost the other feeds their items: each was stored as it completed above and
    # the buggy feed was recorded as failed, so raising now loses nothing.
    if bugs:
        raise bugs[0]
    return reports


def _settle(
    store: Store,
    feed: FeedSource,
    state: SourceState,
    future: Future[FeedUpdate],
    fetch: FetchSettings,
    now: datetime,
    rng: random.Random,
    unchanged: list[SourceSuccess],
    pages: Callable[[], PageFetcher] | None = None,
) -> tuple[SourceReport, Exception | None]:
    """Record one feed's outcome (an unchanged feed's success is appended to `unchanged`,
    for the caller to record); return its report and the exception if it was a bug."""
    try:
        update = future.result()
        return _record_success(store, feed, state, update, now, unchanged, pages), None
    except FeedError as exc:
        log.warning("feed %s failed: %s", feed.name, exc)
        return _record_failure(store, feed, state, str(exc), fetch, now, rng), None
    # A bug in parsing, or an item the database refuses: re-raised by _ingest_due once the
    # other feeds are stored. If the database itself is down, recording fails too and
    # that error propagates at once, which is right: no other feed could be stored either.
    except Exception as exc:
        log.error("bug while ingesting feed %s (%s)", feed.name, feed.url, exc_info=exc)
        message = f"internal error: {type(exc).__name__}: {exc}"
        return _record_failure(store, feed, state, message, fetch, now, rng), exc


def _record_failure(
    store: Store,
    feed: FeedSource,
    state: SourceState,
    message: str,
    fetch: FetchSettings,
    now: datetime,
    rng: random.Random,
) -> SourceReport:
    retry_at = next_attempt_after(state.consecutive_failures + 1, now, fetch, rng)
    store.record_failure(feed.name, now, message, retry_at)
    return SourceReport(feed.name, SourceKind.FEED, Outcome.FAILED, message=message)


def _record_success(
    store: Store,
    feed: FeedSource,
    state: SourceState,
    update: FeedUpdate,
    now: datetime,
    unchanged: list[SourceSuccess],
    pages: Callable[[], PageFetcher] | None = None,
) -> SourceReport:
    result = update.result
    # A 304 may omit the validators (RFC 9110 §15.4.5 only says SHOULD): keep the old ones.
    etag = result.etag or (state.etag if result.not_modified else None)
    last_modified = result.last_modified or (state.last_modified if result.not_modified else None)
    if update.items is None:
        unchanged.append(SourceSuccess(feed.name, "not-modified", etag, last_modified))
        why = "not modified (HTTP 304)" if result.not_modified else "same content as last time"
        log.info("feed %s unchanged: %s", feed.name, why)
        return SourceReport(feed.name, SourceKind.FEED, Outcome.UNCHANGED, message=why)
    if update.malformed:
        # lazy: feedparser's wrapper and the text cleaners, for a feed that changed
        from digest.ingest.parse import warn_malformed

        warn_malformed(feed, update.malformed, len(update.items), log)
    items = update.items
    if feed.full_text and pages is not None:  # a teaser feed: its items' pages, main text
        # lazy: the page extractor and robots.txt, for a teaser feed that changed
        from digest.ingest.fulltext import with_full_text

        items = with_full_text(items, pages(), store, now)
    new = store.add_items(feed.name, items, now)
    store.record_success(
        feed.name, now, "ok", etag=etag, last_modified=last_modified, content_hash=result.body_hash
    )
    total = len(update.items)
    log.info("feed %s: %d new item(s) of %d", feed.name, new, total)
    return SourceReport(
        feed.name,
        SourceKind.FEED,
        Outcome.NEW if new else Outcome.UNCHANGED,
        new_items=new,
        total_items=total,
        message=f"{new} new item(s) of {total}",
    )


def _page_fetcher(client: httpx.Client, fetch: FetchSettings) -> Callable[[], PageFetcher]:
    """The run's one PageFetcher (one robots.txt per site), made on first use: only a
    changed teaser feed (full_text) needs it."""

    @functools.cache
    def pages() -> PageFetcher:
        # lazy: the page extractor and robots.txt, for a teaser feed that changed
        from digest.ingest.fulltext import PageFetcher

        return PageFetcher(client, fetch)

    return pages


def _done(report: SourceReport, on_done: Callable[[SourceReport], None] | None) -> SourceReport:
    if on_done is not None:
        on_done(report)
    return report


def next_attempt_after(
    failures: int, now: datetime, fetch: FetchSettings, rng: random.Random
) -> datetime:
    """When to retry after `failures` consecutive failures: doubling, capped, jittered ±20 %."""
    # Never a permanent stop (miniflux stops after 3 errors): the cap bounds the wait. The
    # exponent is bounded too, so a source failing for years cannot overflow a float.
    exponent = min(max(failures, 1) - 1, 32)
    minutes = min(fetch.backoff_base_minutes * 2**exponent, fetch.backoff_max_hours * 60)
    return now + timedelta(minutes=minutes * rng.uniform(0.8, 1.2))


def update_feed(
    client: httpx.Client,
    feed: FeedSource,
    state: SourceState | None,
    fetch: FetchSettings,
    now: datetime,
    parsers: Executor | None = None,
) -> FeedUpdate:
    """Fetch a feed and parse it unless the server or the body hash says it did not change.
    With `parsers` (a process pool) the parse runs there, off this process's GIL."""
    result = fetch_feed(client, feed, state, fetch)
    if result.not_modified or (state is not None and result.body_hash == state.content_hash):
        return FeedUpdate(result, None)
    if parsers is None:
        items, malformed = read_feed(feed, result, now)
    else:
        # A worker is handed the parser itself (pickled by its name), not this module,
        # which it would have to import.
        # lazy: feedparser's wrapper and the text cleaners, for a feed that changed
        from digest.ingest.parse import read_feed as parse_feed

        items, malformed = parsers.submit(parse_feed, feed, result, now).result()
    return FeedUpdate(result, tuple(items), malformed)


def read_feed(
    feed: FeedSource, result: FetchResult, now: datetime
) -> tuple[list[ItemDraft], str | None]:
    """A changed feed's items, parsed in this process, and why feedparser found it
    malformed (digest.ingest.parse.read_feed)."""
    # lazy: feedparser's wrapper and the text cleaners, for a feed that changed
    from digest.ingest.parse import read_feed as parse_feed

    return parse_feed(feed, result, now)


PARALLEL_PARSE_MIN_FEEDS = 4  # below this, starting processes costs more than it saves


@contextmanager
def _parser_pool(feeds: int, *, eager: bool = False) -> Iterator[Executor | None]:
    """Processes for parsing: feedparser, ftfy and nh3 are CPU work that threads serialise
    under the GIL (bench/ingest.py: one core busy of two). Started on the first parse
    unless `eager`: an unchanged re-ingest parses nothing, and the pool's queues alone
    spawn multiprocessing's resource tracker, one more interpreter to start."""
    cores = os.cpu_count() or 1
    if feeds < PARALLEL_PARSE_MIN_FEEDS or cores < 2:
        yield None
        return
    workers = min(cores, feeds)
    parsers = _OnFirstUse(functools.partial(_start_parsers, workers))
    try:
        if eager:  # one no-op task per worker makes the pool start them all now
            for _ in range(workers):
                parsers.submit(int)
        yield parsers
    finally:
        parsers.shutdown(wait=True)


def _start_parsers(workers: int) -> Executor:
    """forkserver, not fork: fetch threads are running, and forking a threaded process can
    deadlock the child. The forkserver imports the parsing modules once, so each worker
    forks ready to parse."""
    # lazy: multiprocessing's forkserver machinery, for an ingest that has feeds to parse
    # (concurrent.futures loads its process pool, and multiprocessing, on first mention)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    # The forkserver outlives this pool (a service's next ingest reuses it), and the
    # preload is read when it starts: the language model loads once per process tree.
    context.set_forkserver_preload([PARSER_PRELOAD])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_warm_parser)


class _OnFirstUse(Executor):
    """An executor made by `start` when the first task is submitted (from any thread)."""

    def __init__(self, start: Callable[[], Executor]) -> None:
        self._start = start
        self._executor: Executor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        with self._lock:
            if self._executor is None:
                self._executor = self._start()
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait, cancel_futures=cancel_futures)


PARSER_PRELOAD = "digest.ingest.parser_preload"


def _warm_parser() -> None:
    """What the forkserver preloads, in case it could not (a no-op when it did)."""
    import importlib

    importlib.import_module(PARSER_PRELOAD)
