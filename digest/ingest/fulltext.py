"""Full text for teaser feeds (`full_text: true`): each item's page, its main text kept.

Takes a feed's parsed items, the run's HTTP client and fetch settings, and the store's page
cache; gives the items with the main text of their pages (webpage.extract_page) in place
of the feed's two lines. Each page is fetched once: the cache is by URL, and a page with
no main text is remembered as such, so a re-ingest fetches nothing. The fetch is the
feeds' (same timeout, size cap, redirect cap, gzip-bomb guard), robots.txt is asked first
(RFC 9309), and at most `PER_HOST` requests go to one site at once. Whatever fails (a
timeout, a refusal, a page with no article) leaves the item with the feed's own text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from html import escape
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from digest.errors import FeedError
from digest.ingest.clean import decode_bytes, drop_boilerplate
from digest.ingest.fetch import fetch_feed
from digest.ingest.webpage import extract_page
from digest.models import ItemDraft
from digest.settings import FeedSource, FetchSettings
from digest.store import Store

log = logging.getLogger(__name__)

PER_HOST = 2  # requests at once to one site: a reader's browser opens about as many
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 §2.5: crawlers must read at least 500 KiB
ROBOTS_AGENT = "digest"  # the product token robots.txt groups name
_STAY_OUT = ["User-agent: *", "Disallow: /"]
_HTML_TYPES = ("text/html", "application/xhtml", "")


@dataclass(frozen=True, slots=True)
class _Page:
    text: str | None  # the main text, None when there is none to keep
    lasting: bool  # worth remembering: the page answered (robots refusal included)


class PageFetcher:
    """Article pages over the run's HTTP client, robots.txt and the per-site cap obeyed."""

    def __init__(self, client: httpx.Client, fetch: FetchSettings) -> None:
        self._client = client
        self._fetch = fetch
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    def pages(self, urls: Sequence[str]) -> dict[str, _Page]:
        """Each URL's page, fetched concurrently (at most PER_HOST per site)."""
        if not urls:
            return {}
        workers = max(1, min(self._fetch.concurrency, len(urls)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page") as pool:
            return dict(zip(urls, pool.map(self.page, urls), strict=True))

    def page(self, url: str) -> _Page:
        origin = _origin(url)
        if origin is None:
            return _Page(None, lasting=True)
        try:
            if not self._allowed(origin, url):
                log.info("robots.txt of %s refuses %s: the feed's text is kept", origin, url)
                return _Page(None, lasting=True)
            source = _as_source(url)
            with self._slot(origin):
                result = fetch_feed(self._client, source, None, self._fetch)
        except ValueError:  # an address the fetcher's settings refuse (pydantic's check)
            return _Page(None, lasting=True)
        except FeedError as exc:
            log.info("page %s not fetched (%s): the feed's text is kept", url, exc)
            return _Page(None, lasting=False)
        content_type = result.headers.get("content-type", "").split(";")[0].strip().lower()
        if not content_type.startswith(_HTML_TYPES):
            return _Page(None, lasting=True)
        page = extract_page(decode_bytes(result.body), url=result.url)
        # As a saved page's: sign-up blurbs and script left in the article's text go.
        return _Page(drop_boilerplate(page.text) if page else None, lasting=True)

    def _slot(self, origin: str) -> threading.Semaphore:
        with self._lock:
            return self._slots.setdefault(origin, threading.BoundedSemaphore(PER_HOST))

    def _allowed(self, origin: str, url: str) -> bool:
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:  # one robots.txt request per site, the other pages wait for it
            robots = self._robots.get(origin)
            if robots is None:
                with self._slot(origin):
                    robots = self._read_robots(origin)
                self._robots[origin] = robots
        return robots.can_fetch(ROBOTS_AGENT, url)

    def _read_robots(self, origin: str) -> RobotFileParser:
        """RFC 9309 §2.3.1: a 4xx means no rules; a 5xx or no answer means stay out."""
        robots = RobotFileParser(f"{origin}/robots.txt")
        try:
            with self._client.stream(
                "GET",
                f"{origin}/robots.txt",
                headers={"Accept": "text/plain", "Accept-Encoding": "identity"},
            ) as response:
                status = response.status_code
                body = b""
                if 200 <= status < 300:
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) >= ROBOTS_MAX_BYTES:
                            break
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            log.info("robots.txt of %s unreachable (%s): its pages are not fetched", origin, exc)
            robots.parse(_STAY_OUT)
            return robots
        if 400 <= status < 500:
            robots.parse([])  # no rules: everything allowed
        elif status >= 300:
            robots.parse(_STAY_OUT)
        else:
            robots.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").splitlines())
        return robots


def with_full_text(
    items: Sequence[ItemDraft], pages: PageFetcher, store: Store, now: datetime
) -> tuple[ItemDraft, ...]:
    """The items with their pages' main text where a page gave one longer than the feed's;
    pages come from the cache first, and those fetched now are added to it."""
    urls = list(dict.fromkeys(item.url for item in items if item.url))
    texts = store.cached_pages(urls)
    fetched = pages.pages([url for url in urls if url not in texts])
    store.cache_pages([(url, page.text) for url, page in fetched.items() if page.lasting], now)
    texts.update({url: page.text for url, page in fetched.items()})
    return tuple(_completed(item, texts.get(item.url) if item.url else None) for item in items)


def _completed(item: ItemDraft, text: str | None) -> ItemDraft:
    if not text or len(text) <= len(item.text):
        return item  # extraction failed, or gave less than the feed already had
    html = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
    return replace(item, text=text, html=html)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _as_source(url: str) -> FeedSource:
    """The page as the fetcher names what it GETs (its errors then name the page's URL)."""
    return FeedSource(name="page", url=url)
