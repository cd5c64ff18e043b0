"""Teaser feeds get their items' full text from the article pages (issue 15, item 5).

A real HTTP server on 127.0.0.1 serves an RSS feed of two-line teasers and the article
pages: real saved pages of the Zyte benchmark and French news pages made of real
OrangeSum articles (tests/test_savedpage.py), with a robots.txt.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from datetime import UTC, datetime, timedelta
from html import escape

from digest.ingest.feeds import ingest_feeds
from digest.models import Outcome
from digest.settings import FeedSource, FetchSettings
from digest.store import Store

from .feedserver import FeedServer, Route
from .test_savedpage import ZYTE, french_news_page, orangesum_articles, shared_file

FETCH = FetchSettings(timeout_seconds=10.0, concurrency=8)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HTML = "text/html; charset=utf-8"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def teaser_feed(server: FeedServer, entries: list[tuple[str, str, str]], build: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{server.url(path)}</link>"
        f"<guid>{server.url(path)}</guid><description>{escape(teaser)}</description>"
        "<pubDate>Mon, 07 Dec 2026 07:00:00 GMT</pubDate></item>"
        for path, title, teaser in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Actu</title><link>{server.base_url}/</link><description>d</description>"
        f"<lastBuildDate>{build}</lastBuildDate>{items}</channel></rss>"
    ).encode()


def serve_articles(server: FeedServer, count: int) -> list[tuple[str, str, str, str]]:
    """(path, title, teaser, last paragraph) of `count` French article pages served."""
    served = []
    for i, record in enumerate(orangesum_articles(count)):
        path = f"/actu/article-{i}.html"
        server.add(path, Route(body=french_news_page(record).encode(), content_type=HTML))
        title = record["title"].split(" : ")[0]
        last = record["article"].split()[-10:]
        served.append((path, title, record["article"][:140] + "…", " ".join(last)))
    return served


def ingest(store: Store, feed: FeedSource, now: datetime) -> Outcome:
    (report,) = ingest_feeds(store, [feed], FETCH, now, force=True, rng=random.Random(1))
    return report.outcome


def page_requests(server: FeedServer, paths: list[str]) -> int:
    return sum(len(server.requests_for(p)) for p in paths)


def test_a_teaser_feed_gets_full_text_and_a_second_ingest_fetches_no_page(
    feed_server: FeedServer, store: Store
) -> None:
    articles = serve_articles(feed_server, 3)
    slashgear = "06ee193de4bd611f7fafbab0c59b0f6fe3495093516720632cd093b24c7a0e98"
    zyte_page = gzip.decompress(shared_file(ZYTE / "html" / f"{slashgear}.html.gz").read_bytes())
    truth = json.loads(shared_file(ZYTE / "ground-truth.json").read_text())[slashgear]
    feed_server.add("/tech/vw.html", Route(body=zyte_page, content_type=HTML))
    feed_server.add("/robots.txt", Route(body=ROBOTS, content_type="text/plain"))
    entries = [(p, t, teaser) for p, t, teaser, _ in articles]
    entries.append(("/tech/vw.html", "VW ID. SPACE VIZZION", truth["articleBody"][:120]))
    entries.append(("/missing.html", "Page disparue", "Deux lignes de teaser seulement."))
    entries.append(("/private/secret.html", "Page privée", "Un teaser que robots.txt garde."))
    feed_server.add("/private/secret.html", Route(body=zyte_page, content_type=HTML))
    route = Route(body=teaser_feed(feed_server, entries, "Mon, 07 Dec 2026 08:00:00 GMT"))
    feed = FeedSource(name="actu", url=feed_server.add("/feed.xml", route), full_text=True)

    assert ingest(store, feed, NOW) is Outcome.NEW
    items = {item.url: item for item in store.list_items("actu")}
    for path, _title, _teaser, last_words in articles:
        text = items[feed_server.url(path)].text
        assert text.endswith(last_words), text[-200:]
        for residue in ("cookies", "Mentions légales", "À lire aussi", "résilie"):
            assert residue not in text
    vw = items[feed_server.url("/tech/vw.html")].text
    assert truth["articleBody"][:300] in vw and "Search SlashGear" not in vw
    # A page that fails, and one robots.txt refuses, keep the feed's own text.
    assert items[feed_server.url("/missing.html")].text == "Deux lignes de teaser seulement."
    assert items[feed_server.url("/private/secret.html")].text.startswith("Un teaser")
    assert feed_server.requests_for("/private/secret.html") == []
    assert len(feed_server.requests_for("/robots.txt")) == 1

    # The feed changes (a new build date), so it is parsed again: every page is cached.
    pages = [p for p, *_ in articles] + ["/tech/vw.html"]
    before = page_requests(feed_server, pages)
    route.body = teaser_feed(feed_server, entries, "Mon, 07 Dec 2026 09:00:00 GMT")
    ingest(store, feed, NOW + timedelta(hours=1))
    assert page_requests(feed_server, pages) == before == len(pages)


def test_a_feed_without_full_text_fetches_no_page(feed_server: FeedServer, store: Store) -> None:
    articles = serve_articles(feed_server, 1)
    entries = [(p, t, teaser) for p, t, teaser, _ in articles]
    route = Route(body=teaser_feed(feed_server, entries, "Mon, 07 Dec 2026 08:00:00 GMT"))
    feed = FeedSource(name="actu", url=feed_server.add("/feed.xml", route))
    assert ingest(store, feed, NOW) is Outcome.NEW
    assert page_requests(feed_server, [articles[0][0]]) == 0
    assert store.list_items("actu")[0].text == entries[0][2]


def test_at_most_two_page_requests_at_once_per_site(feed_server: FeedServer, store: Store) -> None:
    """Six pages that each take 0.4 s: with two at a time, no less than three rounds."""
    articles = serve_articles(feed_server, 6)
    for path, *_ in articles:
        feed_server.routes[path].delay = 0.4
    entries = [(p, t, teaser) for p, t, teaser, _ in articles]
    route = Route(body=teaser_feed(feed_server, entries, "Mon, 07 Dec 2026 08:00:00 GMT"))
    feed = FeedSource(name="actu", url=feed_server.add("/feed.xml", route), full_text=True)
    started = time.monotonic()
    ingest(store, feed, NOW)
    assert time.monotonic() - started >= 3 * 0.4
    assert page_requests(feed_server, [p for p, *_ in articles]) == 6
    assert all(len(item.text) > 600 for item in store.list_items("actu"))


def test_a_site_whose_robots_txt_fails_is_left_alone(feed_server: FeedServer, store: Store) -> None:
    articles = serve_articles(feed_server, 1)
    feed_server.add("/robots.txt", Route(status=503, body=b"down"))
    entries = [(p, t, teaser) for p, t, teaser, _ in articles]
    route = Route(body=teaser_feed(feed_server, entries, "Mon, 07 Dec 2026 08:00:00 GMT"))
    feed = FeedSource(name="actu", url=feed_server.add("/feed.xml", route), full_text=True)
    assert ingest(store, feed, NOW) is Outcome.NEW
    assert page_requests(feed_server, [articles[0][0]]) == 0
    assert store.list_items("actu")[0].text == entries[0][2]
