"""Read a fetched feed body into item drafts: feedparser, then nh3, text and metadata.

Takes a feed source and its `FetchResult`; gives one `ItemDraft` per entry (key, title,
sanitised HTML, plain text, canonical URL, author, date, language) and why feedparser found
the body malformed when it could still read it. A body that is no feed at all (empty, an
HTML page) is a `FeedError`. CPU only, no I/O, so it runs in worker processes.
"""

from __future__ import annotations

import calendar
import html
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from digest.errors import FeedError
from digest.ingest.clean import repair_text, url_title
from digest.ingest.fetch import FetchResult
from digest.ingest.language import detect_language, normalise_language
from digest.ingest.sanitize import canonical_url, html_to_text, one_line, sanitize_html
from digest.models import ItemDraft, Link, content_hash
from digest.sentences import derive_title
from digest.settings import FeedSource

log = logging.getLogger(__name__)


MAX_KEY_LENGTH = 512  # item.key is String(512); PostgreSQL enforces it, SQLite does not


FUTURE_TOLERANCE = timedelta(days=1)  # time-zone slop; beyond it a date is a publisher bug


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
        warn_malformed(feed, malformed, len(items))
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
        io.BytesIO(_without_surrogate_references(result.body)),
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


# feedparser turns `&#xD800;` into chr(0xD800), then encodes it and crashes with a
# UnicodeEncodeError (issue 10: a hostile feed became an internal error at every run).
# A reference to a surrogate is no character at all: U+FFFD says so.
_CHARACTER_REFERENCE = re.compile(rb"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")


def _without_surrogate_references(body: bytes) -> bytes:
    if b"&#" not in body:
        return body
    return _CHARACTER_REFERENCE.sub(_replace_surrogate_reference, body)


def _replace_surrogate_reference(match: re.Match[bytes]) -> bytes:
    number = match.group(1)
    code = int(number[1:], 16) if number[:1] in b"xX" else int(number)
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF else match.group()


def warn_malformed(feed: FeedSource, why: str, entries: int, logger: logging.Logger = log) -> None:
    """Log that feedparser found a body malformed yet read its entries (they are kept)."""
    # `logger`: ingest_feeds logs it under digest.ingest.feeds, with its other per-feed
    # events, as it did before parsing had its own module (the CLI's log lines show it).
    logger.warning(
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
