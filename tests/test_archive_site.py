"""The archive site (issue 14), in-process on a real store: each issue's web version (no
greeting, no subscriber's footer, anchors per story, navigation, a call to subscribe,
canonical and Open Graph tags), the paged index, the full-content Atom feed, robots.txt
and noindex, and what hostile addresses get."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest

from digest.app import archive
from digest.app.build import run_build
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.mail.identity import unsubscribe_token
from digest.models import SubscriberStatus
from digest.render import personalize, render_issue
from digest.settings import Settings
from digest.store import Store
from digest.typography import french
from digest.web.public import PublicApp

from .conftest import DOCUMENTS, REPLAYS, REPO, build_key
from .test_public import call

SECRET = "site-secret"
BASE = "https://lettre.example.org"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    loaded = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": SECRET})
    newsletter = replace(loaded.newsletter, base_url=BASE)
    return replace(loaded, newsletter=newsletter, mail=replace(loaded.mail, outbox_dir=tmp_path))


@pytest.fixture
def app(settings: Settings, store: Store, now: datetime) -> PublicApp:
    return PublicApp(settings, store, clock=lambda: now)


def sent_issue(store: Store, settings: Settings, document: str, now: datetime) -> int:
    """An issue built from `document` at `now` and gone out (no subscriber to mail)."""
    ingest_documents(store, [DOCUMENTS / document], now - timedelta(hours=1))
    issue = run_build(store, settings, now).issue
    assert issue is not None
    store.approve_issue(issue.number, now)
    store.open_deliveries(issue.number, now)
    assert store.close_issue_if_done(issue.number, now)
    return issue.number


@pytest.fixture
def two_issues(store: Store, settings: Settings, now: datetime) -> tuple[int, int]:
    """Two issues gone out a week apart; after the first test, their rows written back."""

    def send_two() -> tuple[int, int]:
        first = sent_issue(store, settings, "003_186302cdc7413e06.txt", now)
        second = sent_issue(store, settings, "004_c8bb9166e346ef4b.txt", now + timedelta(days=7))
        return first, second

    return REPLAYS.run(store, build_key(settings, now, "two_issues"), send_two)


def test_the_web_version_is_the_issue_without_the_emails_personal_parts(
    app: PublicApp, store: Store, settings: Settings, two_issues: tuple[int, int]
) -> None:
    first, _ = two_issues
    status, _, page = call(app, "GET", f"/issues/{first}")
    assert status == "200 OK"
    for personal in ("Bonjour", "Vous recevez", "abonné·e", "Se désabonner", "__DIGEST_"):
        assert personal not in page, personal
    issue, items = store.load_issue(first)
    email, _ = personalize(
        render_issue(issue, items, settings), f"{BASE}/u/t", "Ada", f"{BASE}/preferences/t"
    )
    assert "Bonjour Ada" in email and "Vous recevez" in email  # there, to be left out
    for s, section in enumerate(issue.sections, 1):  # the same sections and stories
        assert f'id="s{s}"' in page and f">{french(section.title)}</h2>" in page
        for e, entry in enumerate(section.entries, 1):
            anchor = re.search(f'id="s{s}e{e}"[^>]*>(.*?)</(p|article)>', page, re.S)
            assert anchor is not None and french(entry.title) in anchor.group(1)
    assert page.count("Enjeux et perspectives") == sum(1 for s in issue.sections if s.blurb)


def test_an_issue_page_links_back_its_neighbours_and_to_subscribing(
    app: PublicApp, two_issues: tuple[int, int]
) -> None:
    first, second = two_issues
    pages = {n: call(app, "GET", f"/issues/{n}")[2] for n in two_issues}
    for page in pages.values():
        assert 'href="/"' in page and 'class="button" href="/subscribe"' in page
    assert f'rel="next" href="/issues/{second}"' in pages[first]
    assert 'rel="prev"' not in pages[first]
    assert f'rel="prev" href="/issues/{first}"' in pages[second]
    assert 'rel="next"' not in pages[second]


def meta(page: str, key: str) -> str:
    found = re.search(f'<meta (?:property|name)="{key}" content="([^"]*)"', page)
    assert found is not None, key
    return found.group(1)


def test_canonical_and_open_graph_tags_are_absolute(
    app: PublicApp, store: Store, settings: Settings, two_issues: tuple[int, int]
) -> None:
    first, _ = two_issues
    page = call(app, "GET", f"/issues/{first}")[2]
    issue = store.get_issue(first)
    assert issue is not None
    assert f'<link rel="canonical" href="{BASE}/issues/{first}">' in page
    assert meta(page, "og:url") == f"{BASE}/issues/{first}"
    assert meta(page, "og:title") == french(issue.subject) and meta(page, "og:type") == "article"
    assert meta(page, "og:description") == french(issue.preheader) != ""
    assert "noindex" not in page
    index = call(app, "GET", "/")[2]
    assert f'<link rel="canonical" href="{BASE}/">' in index and meta(index, "og:url") == f"{BASE}/"


def test_the_index_shows_subject_date_and_lead_twenty_per_page(
    app: PublicApp, store: Store, two_issues: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_issues
    index = call(app, "GET", "/")[2]
    for number in two_issues:
        issue = store.get_issue(number)
        assert (
            issue is not None
            and french(issue.subject) in index
            and french(issue.preheader) in index
        )
    assert "20 novembre 2026" in index and "27 novembre 2026" in index
    assert index.index(f"/issues/{second}") < index.index(f"/issues/{first}")  # newest first
    assert archive.PER_PAGE == 20
    monkeypatch.setattr(archive, "PER_PAGE", 1)
    status, _, page_one = call(app, "GET", "/")
    assert f"/issues/{second}" in page_one and f"/issues/{first}" not in page_one
    assert 'rel="next" href="/?page=2"' in page_one and "Page 1 sur 2" in page_one
    status, _, page_two = call(app, "GET", "/", environ={"QUERY_STRING": "page=2"})
    assert (
        status == "200 OK" and f"/issues/{first}" in page_two and 'rel="prev" href="/"' in page_two
    )
    assert f'<link rel="canonical" href="{BASE}/?page=2">' in page_two
    assert call(app, "GET", "/", environ={"QUERY_STRING": "page=3"})[0] == "404 Not Found"


def test_an_issue_built_before_subjects_were_stored_is_named_by_its_lead_story(
    app: PublicApp, store: Store, settings: Settings, now: datetime
) -> None:
    ingest_documents(store, [DOCUMENTS / "003_186302cdc7413e06.txt"], now - timedelta(hours=1))
    built = run_build(store, settings, now).issue
    assert built is not None
    store.save_draft(replace(built, subject="", preheader=""), now)
    store.approve_issue(built.number, now)
    store.open_deliveries(built.number, now)
    store.close_issue_if_done(built.number, now)
    lead = built.entries[0].title
    index, feed = call(app, "GET", "/")[2], call(app, "GET", "/feed.xml")[2]
    assert f"Le Fil IA n°\u202f{built.number} — {escape(lead)}</a>" in index
    title = feedparser.parse(feed.encode()).entries[0].title
    assert title == f"Le Fil IA n°\u202f{built.number} — {lead}"


def test_an_empty_archive_has_one_page(app: PublicApp) -> None:
    status, _, page = call(app, "GET", "/")
    assert status == "200 OK" and "Aucun numéro n’est encore paru." in page
    assert call(app, "GET", "/", environ={"QUERY_STRING": "page=2"})[0] == "404 Not Found"


@pytest.mark.parametrize(
    "path, query, status, heading",
    [
        ("/issues/abc", "", "404 Not Found", "Page introuvable"),
        ("/issues/999999999999999999999", "", "404 Not Found", "Numéro introuvable"),
        ("/issues/-1", "", "404 Not Found", "Page introuvable"),
        ("/", "page=-1", "404 Not Found", "Page introuvable"),
        ("/", "page=0", "404 Not Found", "Page introuvable"),
        ("/", "page=abc", "404 Not Found", "Page introuvable"),
        ("/", "page=02", "404 Not Found", "Page introuvable"),
        ("/", "page=" + "9" * 400, "404 Not Found", "Page introuvable"),
        ("/", "page=%C2%B2", "404 Not Found", "Page introuvable"),  # « ² » is a digit to str
        ("/", "page=1%00", "404 Not Found", "Page introuvable"),
        ("/", "q=" + "a" * 5000, "400 Bad Request", "Adresse trop longue"),
        ("/issues/1", "x=" + "%41" * 2000, "400 Bad Request", "Adresse trop longue"),
    ],
)
def test_hostile_addresses_get_clean_french_pages(
    app: PublicApp, path: str, query: str, status: str, heading: str
) -> None:
    got, headers, page = call(app, "GET", path, environ={"QUERY_STRING": query})
    assert got == status and f"<h1>{heading}</h1>" in page and 'lang="fr"' in page
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta name="robots" content="noindex, nofollow">' in page


def test_robots_txt_keeps_crawlers_off_the_token_paths(
    app: PublicApp, store: Store, now: datetime
) -> None:
    status, headers, body = call(app, "GET", "/robots.txt")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/plain")
    rules = [line for line in body.splitlines() if line and not line.startswith("#")]
    assert rules[0] == "User-agent: *"
    assert {"Disallow: /u/", "Disallow: /confirm/", "Disallow: /preferences/"} <= set(rules)
    assert "Disallow: /issues" not in body and "Disallow: /\n" not in body
    (reader,) = store.add_subscribers([("ada@example.org", "Ada")], SubscriberStatus.ACTIVE, now)
    token = unsubscribe_token(SECRET, reader.id, reader.token_nonce)
    for path in (f"/u/{token}", "/confirm/forged.token"):
        page = call(app, "GET", path)[2]
        assert '<meta name="robots" content="noindex, nofollow">' in page, path
    assert "noindex" not in call(app, "GET", "/subscribe")[2]


def test_a_draft_is_in_no_page_the_feed_or_the_index(
    app: PublicApp, store: Store, settings: Settings, now: datetime
) -> None:
    ingest_documents(store, [DOCUMENTS / "003_186302cdc7413e06.txt"], now - timedelta(hours=1))
    draft = run_build(store, settings, now).issue
    assert draft is not None
    assert call(app, "GET", f"/issues/{draft.number}")[0] == "404 Not Found"
    assert draft.subject not in call(app, "GET", "/")[2]
    assert draft.subject not in call(app, "GET", "/feed.xml")[2]


ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_feed_carries_each_issue_whole(
    app: PublicApp, store: Store, two_issues: tuple[int, int]
) -> None:
    status, headers, body = call(app, "GET", "/feed.xml")
    assert status == "200 OK" and headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(body.encode("utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.link for e in parsed.entries] == [f"{BASE}/issues/{n}" for n in reversed(two_issues)]
    for entry in parsed.entries:
        number = int(entry.link.rsplit("/", 1)[1])
        issue = store.get_issue(number)
        assert issue is not None and entry.title == french(issue.subject)
        (content,) = entry.content
        assert content.type == "text/html" and 'id="s1e1"' in content.value
        assert all(french(e.title) in content.value for e in issue.entries[:5])
        assert "Bonjour" not in content.value and "Vous recevez" not in content.value
        # the table of contents' #s1, resolved through xml:base as readers do
        assert f'href="{BASE}/issues/{number}#s1"' in content.value
        assert entry.summary == french(issue.preheader) and entry.updated and entry.published


def test_the_feed_follows_the_atom_rules_the_w3c_validator_checks(
    app: PublicApp, two_issues: tuple[int, int]
) -> None:
    feed = ET.fromstring(call(app, "GET", "/feed.xml")[2].encode("utf-8"))
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):  # exactly one of each (RFC 4287, 4.1.1)
        assert len(feed.findall(f"{ATOM}{tag}")) == 1, tag
    assert feed.findtext(f"{ATOM}author/{ATOM}name")
    (self_link,) = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link.get("href") == f"{BASE}/feed.xml"
    assert self_link.get("type") == "application/atom+xml"
    entries = feed.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids) == 2 and all(i and i.startswith(BASE) for i in ids)
    updated = [datetime.fromisoformat(e.findtext(f"{ATOM}updated") or "") for e in entries]
    assert all(u.tzinfo is not None for u in updated)  # RFC 3339 needs the offset
    assert feed.findtext(f"{ATOM}updated") == max(updated).isoformat()
    for entry in entries:
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html" and content.text
        assert content.get("{http://www.w3.org/XML/1998/namespace}base") == entry.findtext(
            f"{ATOM}id"
        )
