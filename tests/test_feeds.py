"""Feed ingest against a real HTTP server on 127.0.0.1: the 53 shared real feeds, feeds that
are not feeds, and servers that misbehave. No HTTP mocks; the store is SQLite and, when
DIGEST_TEST_DATABASE_URL is set, PostgreSQL too."""

from __future__ import annotations

import csv
import logging
import random
import re
import tracemalloc
from collections import defaultdict
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import digest.ingest.feeds as feeds_module
from digest.errors import FeedError
from digest.ingest.feeds import ingest_feeds, next_attempt_after
from digest.ingest.fetch import FetchResult, fetch_feed, open_client
from digest.models import Outcome, SourceReport, StoredItem
from digest.settings import FeedSource, FetchSettings
from digest.store import Store

from .conftest import SHARED
from .feedserver import FeedServer, Route, gzip_bomb

FEEDS = SHARED / "feeds"
MANIFEST = list(csv.DictReader((FEEDS / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
FETCH = FetchSettings(timeout_seconds=10.0, concurrency=4)
MB = 2**20
LAST_MODIFIED = "Tue, 17 Nov 2026 08:00:00 GMT"


def _name(row: dict[str, str]) -> str:
    return Path(row["local_file"]).stem


def _items_by_source(store: Store) -> dict[str, list[StoredItem]]:
    grouped: dict[str, list[StoredItem]] = defaultdict(list)
    for item in store.list_items():
        grouped[item.source_name].append(item)
    return grouped


# -- the 53 shared feeds, served as real servers serve them --------------------------------

_MEDIA = {"atom": "application/atom+xml", "rdf": "application/rdf+xml"}
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([\w.:-]+)["']""")


def _charset_of(data: bytes) -> str:
    """The charset an honest server would announce: the declared one, else what decodes."""
    declared = _DECLARED.match(data)
    if declared:
        return declared.group(1).decode("ascii").lower()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "windows-1252"  # pt_uol_noticias_nodecl.xml: latin-1 bytes, no declaration
    return "utf-8"


def _shared_route(index: int, row: dict[str, str]) -> Route:
    """Vary the headers from file to file, as the web does."""
    data = (FEEDS / row["local_file"]).read_bytes()
    charset = _charset_of(data)
    media = _MEDIA.get(row["kind"].split()[0], "application/rss+xml")
    content_types = [
        f"{media}; charset={charset}",
        media,
        f"text/xml; charset={charset}",
        "text/xml",
        None,  # no Content-Type at all
        f"text/html; charset={charset}",  # misconfigured servers do this
    ]
    validators = index % 4  # 0: ETag, 1: Last-Modified, 2: both, 3: neither
    return Route(
        body=data,
        content_type=content_types[index % len(content_types)],
        etag=f'"{row["sha256"][:16]}"' if validators in {0, 2} else None,
        last_modified=LAST_MODIFIED if validators in {1, 2} else None,
        gzip=index % 3 == 0,
    )


def _serve_shared(server: FeedServer) -> tuple[list[FeedSource], dict[str, Route]]:
    feeds, routes = [], {}
    for index, row in enumerate(MANIFEST):
        path = f"/feeds/{row['local_file']}"
        routes[_name(row)] = _shared_route(index, row)
        feeds.append(FeedSource(name=_name(row), url=server.add(path, routes[_name(row)])))
    return feeds, routes


_URL_ATTRIBUTE = re.compile(r'\b(?:href|src)="([^"]*)"')
_FORBIDDEN_TAG = re.compile(r"<(?:script|style|iframe|object|embed|form|noscript)\b", re.I)


def _check_item(item: StoredItem, now: datetime) -> None:
    where = f"{item.source_name} #{item.position}"
    assert item.title.strip(), where
    assert not re.search(r"</?[a-z][a-z0-9]*[\s/>]", item.title), (where, item.title)
    assert item.published_at.utcoffset() == timedelta(0), where
    assert item.published_at <= now + timedelta(days=1), where
    assert not _FORBIDDEN_TAG.search(item.html), where
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", item.html, re.I), where
    for url in _URL_ATTRIBUTE.findall(item.html):
        assert url.startswith(("http://", "https://", "mailto:")), (where, url)
    if item.url is not None:
        assert item.url.startswith(("http://", "https://")), where
        assert "utm_" not in item.url and "#" not in item.url, (where, item.url)
    assert "Ã©" not in item.title + item.text, where  # no mojibake of é


def test_every_shared_feed_is_ingested_then_found_unchanged(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds, routes = _serve_shared(feed_server)
    done: list[SourceReport] = []
    with caplog.at_level(logging.WARNING, logger="digest.ingest.feeds"):
        reports = ingest_feeds(store, feeds, FETCH, now, rng=random.Random(1), on_done=done.append)

    assert [r.name for r in reports] == [f.name for f in feeds]
    assert sorted(r.name for r in done) == sorted(f.name for f in feeds)
    assert {r.name: (r.outcome, r.message) for r in reports if r.outcome is not Outcome.NEW} == {}
    items = _items_by_source(store)
    for row in MANIFEST:
        # The manifest's count is feedparser's; every shared feed has unique ids or links,
        # so every entry is one item (checked: no feed of the corpus repeats a key).
        stored = items[_name(row)]
        assert len(stored) == int(row["feedparser_entries"]), row["local_file"]
        assert len({i.key for i in stored}) == len(stored)
        for item in stored:
            _check_item(item, now)
    # The manifest's malformed feeds (blank lines before <?xml) keep their entries, with a
    # warning. Its other bozo flags are encoding overrides that depend on the headers.
    malformed = {_name(row) for row in MANIFEST if "not at start of entity" in row["notes"]}
    assert malformed == {
        "en_androidauthority_malformed",
        "en_samruby_feedjira",
        "en_kagi_release_notes",
    }
    for name in malformed:
        assert any(
            name in r.getMessage() and "malformed" in r.getMessage() for r in caplog.records
        ), name
    _check_requests_of_first_run(feed_server)
    _check_entries_by_hand(items, now)

    feed_server.clear_requests()
    again = ingest_feeds(store, feeds, FETCH, now + timedelta(hours=1), rng=random.Random(2))
    assert {r.outcome for r in again} == {Outcome.UNCHANGED}
    assert len(store.list_items()) == sum(int(row["feedparser_entries"]) for row in MANIFEST)
    _check_second_run(feed_server, feeds, routes, again)


def test_a_re_ingest_answered_304_reuses_its_connection(
    store: Store, now: datetime, feed_server: FeedServer
) -> None:
    """A 304 is read to its end, which hands its connection back to the pool: left unread,
    httpx closed it, and a re-ingest opened one connection per feed (issue 12, item 6)."""
    body = (FEEDS / "fr_nota_bene.xml").read_bytes()
    feeds = [
        FeedSource(name, feed_server.add(f"/{name}", Route(body=body, etag=f'"{name}"')))
        for name in ("one", "two", "three")  # parsed in this process (a pool starts at four)
    ]
    one_at_a_time = FetchSettings(timeout_seconds=10.0, concurrency=1)
    ingest_feeds(store, feeds, one_at_a_time, now)
    feed_server.clear_requests()
    again = ingest_feeds(store, feeds, one_at_a_time, now + timedelta(hours=1))
    assert [r.message for r in again] == ["not modified (HTTP 304)"] * 3
    requests = [r for f in feeds for r in feed_server.requests_for(f"/{f.name}")]
    assert [r.status for r in requests] == [304] * 3
    assert len({r.client_port for r in requests}) == 1


def _check_requests_of_first_run(server: FeedServer) -> None:
    for row in MANIFEST:
        [request] = server.requests_for(f"/feeds/{row['local_file']}")
        assert request.headers["user-agent"] == FETCH.user_agent
        assert "gzip" in request.headers["accept-encoding"]
        assert "if-none-match" not in request.headers
        assert "if-modified-since" not in request.headers
        assert request.status == 200


def _check_second_run(
    server: FeedServer,
    feeds: list[FeedSource],
    routes: dict[str, Route],
    reports: list[SourceReport],
) -> None:
    messages = {r.name: r.message for r in reports}
    for feed in feeds:
        route = routes[feed.name]
        [request] = server.requests_for(feed.url.removeprefix(server.base_url))
        assert request.headers.get("if-none-match") == route.etag, feed.name
        assert request.headers.get("if-modified-since") == route.last_modified, feed.name
        if route.etag or route.last_modified:
            assert request.status == 304, feed.name
            assert messages[feed.name] == "not modified (HTTP 304)"
        else:  # no validators: the server sends it all again, the body hash spots it
            assert request.status == 200, feed.name
            assert messages[feed.name] == "same content as last time"


def _by_title(items: list[StoredItem], title: str) -> StoredItem:
    matches = [i for i in items if i.title == title]
    assert matches, (title, [i.title for i in items][:5])
    return matches[0]


def _check_entries_by_hand(items: dict[str, list[StoredItem]], now: datetime) -> None:
    medium = _by_title(
        items["fr_medium_lavertygrenoble"],
        "«\u00a0L’idée est d’éviter des montagnes d’emballages jetables\u00a0»",
    )
    assert "medium.com/_/stat" not in medium.html  # its 1x1 tracking pixel is gone
    assert "<iframe" not in medium.html
    framablog = _by_title(items["fr_framablog"], "Khrys’presso du lundi 15 mars 2021")
    assert framablog.language == "fr"  # <language>fr-FR</language>
    assert framablog.author == "Khrys"
    assert framablog.links[0].title == "Framablog"
    assert "coup d’œil dans le rétroviseur" in framablog.text
    assert _by_title(items["fr_nota_bene"], "J'ai pris le large").author == "Stéphane"
    # ISO-8859-1 and windows-1251 bodies come out as text, not mojibake.
    _by_title(items["pt_jn_latin1"], "Mãe de utente é a nova presidente da Raríssimas")
    assert all("feedburner.com/~r" not in i.html for i in items["pt_jn_latin1"])
    assert any("ü" in i.title or "ö" in i.title for i in items["de_golem_latin1"])
    assert all("cpx.golem.de" not in i.html for i in items["de_golem_latin1"])
    russian = _by_title(
        items["ru_cp1251_iconv"], "В Бузулуке главные стройплощадки – детсад и Ледовый дворец"
    )
    assert russian.language == "ru"  # no declared language: detected from the text
    assert russian.published_at == datetime(2014, 1, 22, 14, 31, 31, tzinfo=UTC)
    # type="html" titles: entities decoded, tags stripped.
    security = items["en_atom_html_title_entities"]
    _by_title(security, "Firefox Security & Privacy Newsletter 2025 Q4")
    assert not any("&amp;" in i.title or "&lt;" in i.title for i in security)
    assert security[0].links[0].title == "Attack & Defense"
    _by_title(
        items["en_google_alerts"],
        "Slack Stock Has a Compelling Story and the Numbers to Back It Up",
    )
    _by_title(items["en_pet_secret_shopper_xhtml"], "Sentry Calming Collar for dogs")
    # Feeds without usable dates get the fetch time (RSS 0.90; Portuguese 'Seg, 24 Set').
    assert {i.published_at for i in items["de_heise_rss090"]} == {now}
    assert {i.published_at for i in items["pt_uol_noticias_nodecl"]} == {now}
    assert all(i.language == "en" for i in items["en_arstechnica"])  # en-US


# -- bodies that are not feeds, and odd encodings -----------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Le Labo IA</title>
<link rel="alternate" type="application/rss+xml" title="Flux" href="/labo/feed.xml">
</head><body><h1>Le Labo IA</h1><p>Nos articles récents.</p></body></html>""".encode()
EMPTY_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Vide</title>
<link>https://vide.example.org/</link></channel></rss>"""


def _utf16_feed() -> bytes:
    """fr_nota_bene.xml re-encoded as UTF-16 with a BOM, its declaration saying so."""
    text = (FEEDS / "fr_nota_bene.xml").read_text(encoding="utf-8")
    return re.sub(r'encoding="[^"]+"', 'encoding="UTF-16"', text, count=1).encode("utf-16")


def test_bodies_that_are_not_feeds_fail_with_a_clear_message(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
) -> None:
    html_type = "text/html; charset=utf-8"
    sources = {
        "page": feed_server.add("/labo/", Route(body=HTML_PAGE, content_type=html_type)),
        "empty": feed_server.add("/empty.xml", Route(body=b"")),
        "json": feed_server.add(
            "/feed.json",
            Route(
                body=b'{"version": "jsonfeed", "items": []}', content_type="application/feed+json"
            ),
        ),
        "no-items": feed_server.add("/no-items.xml", Route(body=EMPTY_FEED)),
        "utf16": feed_server.add(
            "/utf16.xml", Route(body=_utf16_feed(), content_type="application/rss+xml")
        ),
    }
    feeds = [FeedSource(name, url) for name, url in sources.items()]
    reports = {r.name: r for r in ingest_feeds(store, feeds, FETCH, now, rng=random.Random(3))}

    assert reports["page"].outcome is Outcome.FAILED
    assert reports["page"].message == (
        f"{sources['page']} returned an HTML page, not a feed (hint: the page links to a feed "
        f"at {feed_server.url('/labo/feed.xml')}: use that as url)"
    )
    assert reports["empty"].outcome is Outcome.FAILED
    assert reports["empty"].message.startswith(f"{sources['empty']} returned an empty body")
    assert reports["json"].outcome is Outcome.FAILED
    assert reports["json"].message.startswith(f"{sources['json']} is not an RSS or Atom feed")
    assert reports["no-items"].outcome is Outcome.UNCHANGED  # a feed, with nothing in it yet
    assert reports["utf16"].outcome is Outcome.NEW
    assert {i.title for i in store.list_items("utf16")} >= {"J'ai pris le large"}
    state = store.source_state("page")
    assert state is not None and state.last_error == reports["page"].message


LABO_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Labo IA</title><link>https://labo.example.fr/</link>
<language>fr-FR</language>
<item><title>Premier &lt;b&gt;article&lt;/b&gt; &amp;amp; suite</title>
<link>/2026/11/premier?utm_source=rss&amp;id=7&amp;fbclid=abc#haut</link>
<guid isPermaLink="false">labo-1</guid><pubDate>Thu, 19 Nov 2026 08:00:00 +0100</pubDate>
<author>redac@labo.example.fr (Alice Martin)</author>
<description><![CDATA[<p onclick="steal()" style="color:red">Le
<a href="javascript:alert(1)">texte</a> et la <a href="/suite">suite</a>.</p>
<script>alert(1)</script><iframe src="https://x.org/"></iframe>
<img src="https://labo.example.fr/px.gif" width="1" height="1"><img src="/photo.jpg" alt="Photo">
<img src="data:image/png;base64,iVBORw0KGgo=">]]></description></item>
<item><link>https://labo.example.fr/sans-titre</link>
<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>
<description>Un article sans titre dont le titre sera tiré de la première phrase du texte.
Voilà.</description></item>
<item><title>Ni lien ni guid</title><description>Rien d’autre.</description></item>
{extra}</channel></rss>"""


def test_entries_become_clean_items(store: Store, now: datetime, feed_server: FeedServer) -> None:
    route = Route(body=LABO_FEED.format(extra="").encode(), content_type="text/xml")
    feed_server.add("/labo/feed.xml", route)
    # Through a redirect: relative links resolve against the feed's final address.
    feed = FeedSource(
        "labo", feed_server.add("/old-feed", Route(redirect_to=feed_server.url("/labo/feed.xml")))
    )
    [report] = ingest_feeds(store, [feed], FETCH, now)
    assert (report.outcome, report.new_items, report.total_items) == (Outcome.NEW, 3, 3)

    first, untitled, bare = store.list_items("labo")
    site = feed_server.base_url
    assert first.key == "labo-1"
    assert first.url == f"{site}/2026/11/premier?id=7"
    assert first.title == "Premier article & suite" and not first.title_derived
    assert first.author == "Alice Martin"
    assert first.published_at == datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
    assert first.language == "fr"
    assert first.links[0].url == first.url and first.links[0].title == "Le Labo IA"
    assert first.html == (
        '<p>Le\n<a rel="noopener noreferrer">texte</a> et la <a href="'
        f'{site}/suite" rel="noopener noreferrer">suite</a>.</p>\n\n'
        f'<img src="{site}/photo.jpg" alt="Photo">'  # attributes in the source's order
    )
    assert first.text == "Le texte et la suite."
    assert untitled.title == "Un article sans titre dont le titre sera tiré de la première…"
    assert untitled.title_derived and untitled.key == "https://labo.example.fr/sans-titre"
    assert untitled.published_at == now  # dated 2100: clamped
    assert bare.url is None and bare.links == () and bare.key.startswith("sha256:")
    assert bare.published_at == now and bare.position == 2

    # Re-ingest after the feed gained an entry: only that one is added.
    extra = "<item><guid>labo-4</guid><title>Quatrième</title><description>x</description></item>"
    route.body = LABO_FEED.format(extra=extra).encode()
    [report] = ingest_feeds(store, [feed], FETCH, now + timedelta(hours=1))
    assert (report.outcome, report.new_items, report.total_items) == (Outcome.NEW, 1, 4)
    assert len(store.list_items("labo")) == 4


# -- faults -----------------------------------------------------------------------------

FAULTY = FetchSettings(timeout_seconds=0.5, max_bytes=10 * MB, max_redirects=5, concurrency=8)


def test_faults_are_recorded_and_the_other_feeds_still_come_in(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
) -> None:
    good = (FEEDS / "fr_nota_bene.xml").read_bytes()
    routes = {
        "good": Route(body=good),
        "slow": Route(body=good, delay=1.5),
        "broken": Route(status=500, body=b"<h1>Oops</h1>"),
        "loop": Route(redirect_loop=True),
        "huge": Route(stream_size=50 * MB),
        "huge-declared": Route(body=b" " * (11 * MB)),
        "bomb": Route(body=gzip_bomb(200 * MB), precompressed=True),
    }
    feeds = [FeedSource(name, feed_server.add(f"/{name}", r)) for name, r in routes.items()]
    reports = {r.name: r for r in ingest_feeds(store, feeds, FAULTY, now, rng=random.Random(4))}

    url = {f.name: f.url for f in feeds}
    assert reports["good"].outcome is Outcome.NEW and reports["good"].new_items == 3
    cap = "sent a body larger than 10.0 MB (cap fetch.max_bytes)"
    expected = {
        "slow": f"{url['slow']} timed out after 0.5 s",
        "broken": f"{url['broken']} answered HTTP 500 Internal Server Error",
        "loop": f"{url['loop']} redirected more than 5 times",
        "huge": f"{url['huge']} {cap}",
        "huge-declared": f"{url['huge-declared']} {cap}",
        "bomb": f"{url['bomb']} {cap}",
    }
    for name, start in expected.items():
        assert reports[name].outcome is Outcome.FAILED, name
        assert reports[name].message.startswith(start + " (hint: "), reports[name].message
        state = store.source_state(name)
        assert state is not None and state.consecutive_failures == 1
        assert state.last_error == reports[name].message
        assert state.next_attempt_at is not None
        assert now + timedelta(minutes=12) <= state.next_attempt_at <= now + timedelta(minutes=18)
    assert len(feed_server.requests_for("/loop")) == 1 + FAULTY.max_redirects


def test_a_gzip_bomb_is_never_inflated_in_full(feed_server: FeedServer) -> None:
    url = feed_server.add("/bomb", Route(body=gzip_bomb(200 * MB), precompressed=True))
    tracemalloc.start()
    try:
        with open_client(FAULTY) as client, pytest.raises(FeedError, match=r"cap fetch\.max_bytes"):
            fetch_feed(client, FeedSource("bomb", url), None, FAULTY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Inflated 64 KiB at a time and dropped past the 10 MB cap: the 200 MB never exist.
    assert peak < 2 * FAULTY.max_bytes, peak / MB


def test_a_feed_timeout_overrides_the_default(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
) -> None:
    url = feed_server.add("/slow", Route(body=EMPTY_FEED, delay=1.0))
    feed = FeedSource("slow", url, timeout_seconds=0.3)
    [report] = ingest_feeds(store, [feed], FETCH, now)
    assert report.message.startswith(f"{url} timed out after 0.3 s")


def test_backoff_grows_skips_and_resets(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
) -> None:
    route = Route(status=500)
    feed = FeedSource("flaky", feed_server.add("/flaky", route))

    def run(at: datetime, force: bool = False) -> SourceReport:
        [report] = ingest_feeds(store, [feed], FETCH, at, force=force, rng=random.Random(5))
        return report

    def wait_after(at: datetime) -> timedelta:
        state = store.source_state("flaky")
        assert state is not None and state.next_attempt_at is not None
        return state.next_attempt_at - at

    assert run(now).outcome is Outcome.FAILED
    first_wait = wait_after(now)
    later = now + timedelta(minutes=5)
    skipped = run(later)
    assert skipped.outcome is Outcome.SKIPPED
    assert skipped.message.startswith("backing off until 2026-11-20T09:4")
    assert len(feed_server.requests_for("/flaky")) == 1  # a skipped source is not fetched

    assert run(later, force=True).outcome is Outcome.FAILED
    state = store.source_state("flaky")
    assert state is not None and state.consecutive_failures == 2
    assert wait_after(later) > first_wait  # same rng draw, twice the base delay

    route.status, route.body = 200, EMPTY_FEED
    assert run(later + timedelta(days=2)).outcome is Outcome.UNCHANGED
    state = store.source_state("flaky")
    assert state is not None
    assert (state.consecutive_failures, state.next_attempt_at, state.last_error) == (0, None, None)
    assert state.last_status == "ok"


def test_backoff_doubles_with_jitter_up_to_the_cap_and_never_stops(now: datetime) -> None:
    fetch = FetchSettings(backoff_base_minutes=15, backoff_max_hours=24)
    waits = [next_attempt_after(n, now, fetch, random.Random(6)) - now for n in range(1, 12)]
    factor = random.Random(6).uniform(0.8, 1.2)  # the same draw every time
    assert waits[0] == timedelta(minutes=15 * factor)
    assert waits[1] == timedelta(minutes=30 * factor)
    assert waits[-1] == timedelta(hours=24 * factor)  # capped
    assert waits == sorted(waits)
    rng = random.Random(7)
    for _ in range(200):
        wait = next_attempt_after(1, now, fetch, rng) - now
        assert timedelta(minutes=12) <= wait <= timedelta(minutes=18)
    assert next_attempt_after(10_000, now, fetch, rng) <= now + timedelta(hours=24 * 1.2)


def test_a_bug_in_one_feed_keeps_the_others_and_then_raises(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_read = feeds_module.read_feed

    def read_with_a_bug(feed: FeedSource, result: FetchResult, at: datetime) -> tuple:  # type: ignore[type-arg]
        if feed.name == "buggy":
            raise ZeroDivisionError("a bug")
        return real_read(feed, result, at)

    # Three feeds parse in this process (a process pool starts at four): the patch applies.
    monkeypatch.setattr(feeds_module, "read_feed", read_with_a_bug)
    body = (FEEDS / "fr_nota_bene.xml").read_bytes()
    feeds = [
        FeedSource(name, feed_server.add(f"/{name}", Route(body=body)))
        for name in ("before", "buggy", "after")
    ]
    done: list[SourceReport] = []
    with pytest.raises(ZeroDivisionError, match="a bug"):
        ingest_feeds(store, feeds, FETCH, now, on_done=done.append)
    assert {r.name: r.outcome for r in done} == {
        "before": Outcome.NEW,
        "buggy": Outcome.FAILED,
        "after": Outcome.NEW,
    }
    assert len(store.list_items("before")) == len(store.list_items("after")) == 3
    state = store.source_state("buggy")
    assert state is not None and state.last_error == "internal error: ZeroDivisionError: a bug"


def test_disabled_feeds_are_skipped_unless_forced(
    store: Store,
    now: datetime,
    feed_server: FeedServer,
) -> None:
    feed = FeedSource("off", feed_server.add("/off", Route(body=EMPTY_FEED)), enabled=False)
    [report] = ingest_feeds(store, [feed], FETCH, now)
    assert (report.outcome, report.message) == (Outcome.SKIPPED, "disabled in the configuration")
    [report] = ingest_feeds(store, [feed], FETCH, now, force=True)
    assert report.outcome is Outcome.UNCHANGED


def test_an_unchanged_reingest_is_two_commits_whatever_the_number_of_feeds(
    store: Store, now: datetime, feed_server: FeedServer, commits: list[object]
) -> None:
    feeds = [
        FeedSource(name, feed_server.add(f"/{name}", Route(body=EMPTY_FEED, etag=f'"{name}"')))
        for name in ("un", "deux", "trois")
    ]
    ingest_feeds(store, feeds, FETCH, now)
    commits.clear()
    again = ingest_feeds(store, feeds, FETCH, now + timedelta(hours=1))
    assert [r.message for r in again] == ["not modified (HTTP 304)"] * 3
    assert len(commits) == 2  # every feed's state, then every unchanged feed's success
    state = store.source_state("deux")
    assert state is not None and state.etag == '"deux"'
    assert state.last_success_at == now + timedelta(hours=1)


def test_parser_processes_start_only_when_a_feed_needs_parsing(
    store: Store, now: datetime, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged re-ingest starts no process pool: its queues alone would spawn
    multiprocessing's resource tracker, a second interpreter (threads stand in for it here)."""
    started: list[int] = []

    def start_threads(workers: int) -> Executor:
        started.append(workers)
        return ThreadPoolExecutor(workers)

    monkeypatch.setattr(feeds_module, "_start_parsers", start_threads)
    monkeypatch.setattr(feeds_module.os, "cpu_count", lambda: 2)
    names = [f"p{i}" for i in range(feeds_module.PARALLEL_PARSE_MIN_FEEDS)]
    routes = {name: Route(body=EMPTY_FEED, etag=f'"{name}"') for name in names}
    feeds = [FeedSource(name, feed_server.add(f"/{name}", route)) for name, route in routes.items()]
    ingest_feeds(store, feeds, FETCH, now)
    assert len(started) == 1  # new feeds: started at once, while the first ones are fetched
    later = now + timedelta(hours=1)
    assert {r.outcome for r in ingest_feeds(store, feeds, FETCH, later)} == {Outcome.UNCHANGED}
    assert len(started) == 1
    feed_server.add("/p0", Route(body=EMPTY_FEED.replace(b"Vide", b"Vide v2"), etag='"v2"'))
    ingest_feeds(store, feeds, FETCH, later + timedelta(hours=1))
    assert len(started) == 2  # a changed feed: started for it
