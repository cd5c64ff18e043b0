"""Fetch RSS / Atom feeds over HTTP and store their entries as items.

Takes the configured feed sources, the fetch settings and the store; gives item rows (via
`Store.add_items`), the sources' HTTP validators and failure counts, and one `SourceReport`
per feed. Fetching (`fetch_feed`, I/O) and parsing (`parse_feed`, CPU) are separate and hand
over frozen dataclasses, so parsing can later move to a process pool.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import html
import io
import logging
import os
import random
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx

from digest.config import FeedSource, FetchSettings
from digest.errors import FeedError
from digest.ingest.clean import content_hash, repair_text, url_title
from digest.ingest.language import detect_language, normalise_language
from digest.ingest.sanitize import (
    canonical_url,
    derive_title,
    html_to_text,
    one_line,
    sanitize_html,
)
from digest.models import ItemDraft, Link, Outcome, SourceKind, SourceReport, SourceState
from digest.store import Store

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
MAX_KEY_LENGTH = 512  # item.key is String(512); PostgreSQL enforces it, SQLite does not
FUTURE_TOLERANCE = timedelta(days=1)  # time-zone slop; beyond it a date is a publisher bug


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one GET of a feed gave: the decoded body (empty on 304) and its headers."""

    url: str  # the final URL, after redirects
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes = b""
    body_hash: str = ""  # sha256 of the body: spots an unchanged feed without validators
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """A fetched feed and its items; items is None when it had not changed (not parsed)."""

    result: FetchResult
    items: tuple[ItemDraft, ...] | None
    malformed: str | None = None  # why feedparser found it malformed, when it still read it


# -- orchestration -----------------------------------------------------------------------


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
    """Fetch and parse in worker threads; write to the store here, as each feed completes."""
    if not due:
        return []
    reports: list[SourceReport] = []
    bugs: list[Exception] = []
    workers = max(1, min(fetch.concurrency, len(due)))
    with open_client(fetch) as client, _parser_pool(len(due)) as parsers:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feed")
        try:
            futures = {
                pool.submit(update_feed, client, feed, state, fetch, now, parsers): (feed, state)
                for feed, state in due
            }
            for future in as_completed(futures):
                feed, state = futures[future]
                report, bug = _settle(store, feed, state, future, fetch, now, rng)
                reports.append(_done(report, on_done))
                if bug is not None:
                    bugs.append(bug)
        finally:  # on Ctrl-C or a store failure, do not start the feeds still queued
            pool.shutdown(wait=True, cancel_futures=True)
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
) -> tuple[SourceReport, Exception | None]:
    """Record one feed's outcome; return its report and the exception if it was a bug."""
    try:
        return _record_success(store, feed, state, future.result(), now), None
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
) -> SourceReport:
    result = update.result
    # A 304 may omit the validators (RFC 9110 §15.4.5 only says SHOULD): keep the old ones.
    etag = result.etag or (state.etag if result.not_modified else None)
    last_modified = result.last_modified or (state.last_modified if result.not_modified else None)
    if update.items is None:
        store.record_success(feed.name, now, "not-modified", etag=etag, last_modified=last_modified)
        why = "not modified (HTTP 304)" if result.not_modified else "same content as last time"
        log.info("feed %s unchanged: %s", feed.name, why)
        return SourceReport(feed.name, SourceKind.FEED, Outcome.UNCHANGED, message=why)
    if update.malformed:
        _warn_malformed(feed, update.malformed, len(update.items))
    new = store.add_items(feed.name, update.items, now)
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
        # The worker leaves undeclared languages to this process: one language model
        # loaded here instead of one per worker, and detection overlaps the parsing.
        items, malformed = parsers.submit(read_feed, feed, result, now, False).result()
        items = [_with_language(item) for item in items]
    return FeedUpdate(result, tuple(items), malformed)


def _with_language(item: ItemDraft) -> ItemDraft:
    if item.language is not None:
        return item
    return dataclasses.replace(item, language=detect_language(item.text))


PARALLEL_PARSE_MIN_FEEDS = 4  # below this, starting processes costs more than it saves


@contextmanager
def _parser_pool(feeds: int) -> Iterator[Executor | None]:
    """Processes for parsing: feedparser, ftfy and nh3 are CPU work that threads serialise
    under the GIL (bench/ingest.py: one core busy of two). forkserver, not fork: fetch
    threads are running, and forking a threaded process can deadlock the child."""
    cores = os.cpu_count() or 1
    if feeds < PARALLEL_PARSE_MIN_FEEDS or cores < 2:
        yield None
        return
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=min(cores, feeds), mp_context=context, initializer=_warm_parser
    ) as pool:
        yield pool  # workers start on the first parse: a re-ingest of unchanged feeds spawns none


def _warm_parser() -> None:
    """Import what every parse needs once per worker, not on its first feed."""
    import feedparser  # noqa: F401
    import ftfy  # noqa: F401
    import nh3  # noqa: F401


# -- fetching ----------------------------------------------------------------------------


def open_client(fetch: FetchSettings) -> httpx.Client:
    """One HTTP client for a run, shared by the worker threads (httpx.Client is thread-safe)."""
    return httpx.Client(
        # Only the encodings _decoded() can inflate under the cap (httpx would add br and
        # zstd when their packages happen to be installed).
        headers={
            "User-Agent": fetch.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate",
        },
        timeout=fetch.timeout_seconds,
        follow_redirects=True,
        max_redirects=fetch.max_redirects,
        limits=httpx.Limits(max_connections=fetch.concurrency),
    )


def fetch_feed(
    client: httpx.Client, feed: FeedSource, state: SourceState | None, fetch: FetchSettings
) -> FetchResult:
    """GET a feed, conditional, time-limited and size-capped; FeedError on any failure."""
    timeout = feed.timeout_seconds if feed.timeout_seconds is not None else fetch.timeout_seconds
    deadline = time.monotonic() + timeout
    try:
        with client.stream(
            "GET", feed.url, headers=_conditional_headers(state), timeout=timeout
        ) as response:
            _check_status(feed, response)
            body = (
                b""
                if response.status_code == 304
                else _read_capped(feed, response, fetch.max_bytes, deadline, timeout)
            )
    except httpx.TimeoutException as exc:
        raise _timed_out(feed, timeout) from exc
    except httpx.TooManyRedirects as exc:
        raise FeedError(
            f"{feed.url} redirected more than {fetch.max_redirects} times",
            hint="open it in a browser and put the final address in url",
        ) from exc
    # InvalidURL is not an HTTPError, but it is the feed's fault (a bad url or Location).
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        raise FeedError(
            f"{feed.url} could not be fetched: {type(exc).__name__}: {exc}",
            hint="check the address and the network; it will be retried",
        ) from exc
    return FetchResult(
        url=str(response.url),
        status=response.status_code,
        headers={name.lower(): value for name, value in response.headers.items()},
        body=body,
        body_hash=hashlib.sha256(body).hexdigest(),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _conditional_headers(state: SourceState | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _check_status(feed: FeedSource, response: httpx.Response) -> None:
    code = response.status_code
    if 200 <= code < 300 or code == 304:
        return
    where = "" if str(response.url) == feed.url else f" (redirected to {response.url})"
    raise FeedError(
        f"{feed.url} answered HTTP {code} {response.reason_phrase}{where}", hint=_status_hint(code)
    )


def _status_hint(code: int) -> str:
    if code in {404, 410}:
        return "the feed moved or was removed: find its new address on the site"
    if code in {401, 403}:
        return "the site refuses the fetcher: check the address, or ask the publisher"
    return "the server is failing; the fetch will be retried with backoff"


def _read_capped(
    feed: FeedSource, response: httpx.Response, max_bytes: int, deadline: float, timeout: float
) -> bytes:
    """The decoded body, aborted past max_bytes so a gzip bomb is never inflated in full."""
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in {"", "identity"} and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(feed, max_bytes)  # no need to download it to know
    chunks: list[bytes] = []
    size = 0
    for chunk in _decoded(feed, response, encoding):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(feed, max_bytes)
        if time.monotonic() > deadline:  # the read timeout is per chunk; a trickle evades it
            raise _timed_out(feed, timeout)
        chunks.append(chunk)
    return b"".join(chunks)


INFLATE_STEP = 64 * 1024


def _decoded(feed: FeedSource, response: httpx.Response, encoding: str) -> Iterator[bytes]:
    """The body undone from its Content-Encoding, never more than 64 KiB inflated at once."""
    # Not iter_bytes(): httpx inflates each network read whole, and one 64 KiB read of a
    # gzip bomb is 66 MB (deflate reaches 1032:1), twice that while zlib grows its buffer;
    # measured at 141 MB for a 200 MB bomb. zlib's max_length bounds each step instead.
    if encoding in {"", "identity"}:
        yield from response.iter_raw()
        return
    if encoding not in {"gzip", "x-gzip", "deflate"}:  # the only ones the client asks for
        raise FeedError(
            f"{feed.url} sent an unsupported Content-Encoding: {encoding}",
            hint="the server ignores Accept-Encoding; ask its owner",
        )
    inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in encoding else 32))
    try:
        for raw in response.iter_raw():
            yield from _inflate(inflater, raw)
        yield from _inflate(inflater, b"")
    except zlib.error as exc:
        raise FeedError(
            f"{feed.url} sent a corrupt {encoding} body ({exc})",
            hint="the server's compression is broken; it will be retried",
        ) from exc


def _inflate(inflater: Any, data: bytes) -> Iterator[bytes]:
    while out := inflater.decompress(data, INFLATE_STEP):
        yield out
        data = inflater.unconsumed_tail


def _too_large(feed: FeedSource, max_bytes: int) -> FeedError:
    return FeedError(
        f"{feed.url} sent a body larger than {max_bytes / 2**20:.1f} MB (cap fetch.max_bytes)",
        hint="raise fetch.max_bytes if this feed really is that large",
    )


def _timed_out(feed: FeedSource, timeout: float) -> FeedError:
    return FeedError(
        f"{feed.url} timed out after {timeout:.1f} s",
        hint="the server is slow or down; raise the feed's timeout_seconds "
        "if it is always this slow",
    )


# -- parsing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FeedContext:
    """What every entry of one feed shares."""

    base_url: str
    site_title: str
    language: str | None
    now: datetime
    detect: bool = True  # False in worker processes: the parent detects (one model loaded)


def parse_feed(feed: FeedSource, result: FetchResult, now: datetime) -> list[ItemDraft]:
    """Items from a fetched feed body; FeedError if the body is not a feed at all."""
    items, malformed = read_feed(feed, result, now)
    if malformed:
        _warn_malformed(feed, malformed, len(items))
    return items


def read_feed(
    feed: FeedSource, result: FetchResult, now: datetime, detect: bool = True
) -> tuple[list[ItemDraft], str | None]:
    """parse_feed without logging, for worker processes: the items, and why feedparser
    found the body malformed when it could still read entries (the caller logs it)."""
    import feedparser

    # BytesIO, not bytes: feedparser treats a bytes argument as a file name first, so a body
    # reading "/etc/passwd" would be opened from disk. Its own sanitiser and relative-URI
    # resolver are off: nh3 is the one allow-list and resolves links in the same pass
    # (_draft), and those two extra sgmllib passes over every fragment were half the
    # parse time on the shared feeds (bench/ingest.py).
    parsed = feedparser.parse(
        io.BytesIO(result.body),
        response_headers=_parser_headers(result),
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    _check_is_feed(feed, result, parsed)
    malformed = str(parsed.get("bozo_exception")) if parsed.get("bozo") and parsed.entries else None
    context = _FeedContext(
        base_url=result.url,
        now=now,
        site_title=_text_of(parsed.feed, "title") or feed.name,
        language=normalise_language(parsed.feed.get("language"))
        or normalise_language(feed.language),
        detect=detect,
    )
    items = [_draft(entry, position, context) for position, entry in enumerate(parsed.entries)]
    return items, malformed


def _warn_malformed(feed: FeedSource, why: str, entries: int) -> None:
    log.warning(
        "feed %s (%s) is malformed (%s); keeping its %d entries", feed.name, feed.url, why, entries
    )


def _parser_headers(result: FetchResult) -> dict[str, str]:
    """Response headers as feedparser needs them to pick the encoding and resolve links."""
    headers = {
        name: value
        for name, value in result.headers.items()
        if name not in {"content-encoding", "content-length", "transfer-encoding"}
    }
    # Without a Content-Type feedparser assumes ISO-8859-1 (RFC 3023 for text/*), which
    # garbles a UTF-8 feed with no XML declaration; application/xml means "trust the
    # declaration, else UTF-8", the XML default.
    headers.setdefault("content-type", "application/xml")
    headers["content-location"] = urljoin(result.url, headers.get("content-location", ""))
    return headers


def _check_is_feed(feed: FeedSource, result: FetchResult, parsed: Any) -> None:
    if parsed.entries or parsed.get("version"):
        return  # a feed, perhaps an empty one
    if not result.body.strip():
        raise FeedError(
            f"{feed.url} returned an empty body, not a feed",
            hint="open the address in a browser; the site may be down or moved",
        )
    if _looks_like_html(result):
        alternates = [
            link.get("href")
            for link in parsed.feed.get("links", [])
            if "xml" in link.get("type", "")
        ]
        hint = (
            f"the page links to a feed at {alternates[0]}: use that as url"
            if alternates
            else "find the site's RSS/Atom link and use it as url"
        )
        raise FeedError(f"{feed.url} returned an HTML page, not a feed", hint=hint)
    reason = parsed.get("bozo_exception")
    raise FeedError(
        f"{feed.url} is not an RSS or Atom feed" + (f" ({reason})" if reason else ""),
        hint="open it in a browser: a feed starts with <rss, <feed or <rdf:RDF",
    )


def _looks_like_html(result: FetchResult) -> bool:
    content_type = result.headers.get("content-type", "").lower()
    if content_type.startswith(("text/html", "application/xhtml")):
        return True
    head = result.body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _draft(entry: Any, position: int, context: _FeedContext) -> ItemDraft:
    url = canonical_url(entry.get("link") or "", context.base_url)
    raw_html, base = _entry_html(entry)
    # Relative links in the content resolve against its xml:base (Atom), else the entry's
    # own link: feedparser's resolver is off (see read_feed), nh3 does it in one pass.
    body = sanitize_html(raw_html, base or url or context.base_url)
    text = repair_text(html_to_text(body))
    title, derived = _entry_title(entry, text, url, position, context)
    return ItemDraft(
        key=_entry_key(entry, url, raw_html),
        title=title,
        text=text,
        html=body,
        url=url,
        links=(Link(url=url, title=context.site_title),) if url else (),
        author=_author(entry),
        published_at=_published(entry, context.now),
        language=_language(entry, context, text),
        position=position,
        title_derived=derived,
    )


def _entry_key(entry: Any, url: str | None, raw_html: str) -> str:
    key = (entry.get("id") or "").strip() or url or (entry.get("link") or "").strip()
    if not key:
        key = "sha256:" + content_hash((entry.get("title") or "") + "\n" + raw_html)
    if len(key) > MAX_KEY_LENGTH:
        key = "sha256:" + content_hash(key)
    return key


def _entry_html(entry: Any) -> tuple[str, str | None]:
    """content[0] (the first HTML one if several), else the summary, as HTML; with the
    xml:base in effect where it stood."""
    contents = entry.get("content") or []
    chosen = next((c for c in contents if "html" in c.get("type", "")), None)
    if chosen is None and contents:
        chosen = contents[0]
    if chosen is None:
        chosen = entry.get("summary_detail") or {"value": entry.get("summary") or ""}
    value = chosen.get("value") or ""
    base = chosen.get("base") or None
    if chosen.get("type") == "text/plain":  # arXiv summaries: text that may hold a '<'
        paragraphs = (html.escape(p.strip()) for p in value.split("\n\n") if p.strip())
        return "".join(f"<p>{p}</p>" for p in paragraphs), base
    return str(value), base


def _text_of(container: Any, field: str) -> str:
    """A title-like field as one line of plain text (Atom type="html" titles carry markup)."""
    value = container.get(field) or ""
    kind = (container.get(f"{field}_detail") or {}).get("type", "text/plain")
    text = html_to_text(value) if "html" in kind else value
    return one_line(repair_text(text))


def _entry_title(
    entry: Any, text: str, url: str | None, position: int, context: _FeedContext
) -> tuple[str, bool]:
    title = _text_of(entry, "title")
    if title:
        return title, False
    derived = derive_title(text) or (url_title(url) if url else "")
    return derived or f"{context.site_title} #{position + 1}", True


def _author(entry: Any) -> str | None:
    """The author's name; RSS <author> is "email (Name)" and the email is not for print."""
    name = (entry.get("author_detail") or {}).get("name") or entry.get("author") or ""
    return one_line(name) or None


def _published(entry: Any, now: datetime) -> datetime | None:
    """published, else updated, as aware UTC; None if absent; clamped to now if future."""
    # dict.get: FeedParserDict.get("updated_parsed") falls back to published with a warning.
    parsed = entry.get("published_parsed") or dict.get(entry, "updated_parsed")
    if not parsed:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return now if when > now + FUTURE_TOLERANCE else when


def _language(entry: Any, context: _FeedContext, text: str) -> str | None:
    """xml:lang of the entry, else the feed's or the source's, else detected from the text."""
    details = [
        *(entry.get("content") or []),
        entry.get("summary_detail"),
        entry.get("title_detail"),
    ]
    declared = next((d["language"] for d in details if d and d.get("language")), None)
    if not context.detect:
        return normalise_language(declared or context.language)
    # Detection reads the text alone: titles are short and full of names (a Hacker News
    # title plus "Comments" came out as Nigerian Pidgin).
    return detect_language(text, declared or context.language)
