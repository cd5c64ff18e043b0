"""GET one RSS / Atom feed over HTTP: conditional, time-limited and size-capped.

Takes a feed source, its stored HTTP validators (`SourceState`) and the fetch settings; gives
a `FetchResult`: the final URL, status, headers, the body undone from its Content-Encoding
(empty on 304) with its hash, and the new validators. Any failure is a `FeedError` with a
hint for the operator. No parsing and no store: `digest.ingest.parse` reads the body.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from digest.errors import FeedError
from digest.models import SourceState
from digest.settings import FeedSource, FetchSettings

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


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
            if response.status_code == 304:
                # It has no body (RFC 9110 §15.4.5), but only reading to its end hands the
                # connection back to the pool: left unread, httpx closed it, and a re-ingest
                # opened one connection per feed (53 for bench/ingest.py's 53 feeds).
                body = response.read()
            else:
                body = _read_capped(feed, response, fetch.max_bytes, deadline, timeout)
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
