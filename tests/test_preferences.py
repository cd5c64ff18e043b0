"""The preferences page (issue 14, item 4) against the real WSGI app and store: pause,
resume and unsubscribe behind the unsubscribe link's signed token; sends leave a paused
reader out until the pause ends, with nothing failed in the ledger; hostile posts change
nothing. One run through the real form in headless Chromium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from digest.app.build import run_build
from digest.ingest.documents import ingest_documents
from digest.mail.identity import unsubscribe_token
from digest.models import DeliveryStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.web.public import PublicApp

from .browser import check_readable, opened, served
from .conftest import DOCUMENTS
from .test_public import SECRET, app, call, link_token, published_issue, settings, subscriber

__all__ = ["app", "settings"]  # fixtures, shared with test_public

WEEK = timedelta(weeks=1)


def post(
    app: PublicApp, token: str, fields: dict[str, str], environ: dict[str, str] | None = None
) -> tuple[str, dict[str, str], str]:
    body = urlencode({"token": token, **fields}).encode()
    return call(app, "POST", f"/preferences/{token}", body, environ=environ)


def events(store: Store, sid: int) -> list[str]:
    return [e.status for e in store.subscriber_events() if e.subscriber_id == sid]


def test_the_page_shows_the_forms_and_changes_nothing(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now, "jeanne@exemple.fr")
    status, headers, page = call(app, "GET", f"/preferences/{link_token(store, sid)}")
    assert status == "200 OK" and "Gérer mon abonnement" in page
    assert "Mettre en pause" in page and "Me désabonner" in page
    assert 'value="2"' in page and 'value="4" checked' in page and 'value="8"' in page
    assert "j•••@e•••.fr" in page and "jeanne" not in page  # masked, like /u/
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert "Set-Cookie" not in headers and "Content-Security-Policy" in headers
    assert "Reprendre" not in page  # nothing to resume
    person = store.get_subscriber(sid)
    assert person.status is SubscriberStatus.ACTIVE and person.paused_until is None


def test_a_pause_replaces_itself_and_resume_ends_it(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    token = link_token(store, sid)
    for _ in range(3):  # the same post again: the same pause, not three of them
        status, _, page = post(app, token, {"action": "pause", "weeks": "4"})
        assert status == "200 OK" and "pause jusqu’au 18 décembre 2026" in page
    assert store.get_subscriber(sid).paused_until == now + 4 * WEEK
    assert events(store, sid) == ["active", "paused"]
    assert "Reprendre dès maintenant" in call(app, "GET", f"/preferences/{token}")[2]
    post(app, token, {"action": "pause", "weeks": "8"})  # changed their mind: 8 from now
    assert store.get_subscriber(sid).paused_until == now + 8 * WEEK
    for _ in range(2):
        status, _, page = post(app, token, {"action": "resume"})
        assert status == "200 OK" and "vous recevrez le prochain numéro" in page
    assert store.get_subscriber(sid).paused_until is None
    assert events(store, sid) == ["active", "paused", "paused", "active"]


def test_unsubscribing_from_the_page_is_idempotent(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    token = link_token(store, sid)
    post(app, token, {"action": "pause", "weeks": "2"})
    for _ in range(2):
        status, _, page = post(app, token, {"action": "unsubscribe"})
        assert status == "200 OK" and "Désabonnement confirmé" in page
    person = store.get_subscriber(sid)
    assert person.status is SubscriberStatus.UNSUBSCRIBED and person.unsubscribed_at == now
    assert person.status_reason == "unsubscribed by the person (preferences page)"
    assert person.paused_until is None and events(store, sid)[-1] == "unsubscribed"


def test_sends_skip_a_paused_reader_until_the_date_and_fail_no_one(
    app: PublicApp, store: Store, settings: Settings, now
) -> None:
    number = published_issue(store, settings, now)
    store.approve_issue(number, now)
    paused, reader = subscriber(store, now), subscriber(store, now, "bob@example.org")
    late = subscriber(store, now, "late@example.org")
    post(app, link_token(store, paused), {"action": "pause", "weeks": "2"})
    store.open_deliveries(number, now)
    rows = {d.subscriber_id for d in store.deliveries(number)}
    assert rows == {reader, late}  # no row for the paused reader
    post(app, link_token(store, late), {"action": "pause", "weeks": "2"})  # rows made, then a pause
    claim = store.claim_deliveries(number, "w1", now, 10, stale_before=now - timedelta(hours=1))
    assert [d.subscriber_id for d in claim.deliveries] == [reader]
    assert claim.skipped == [("late@example.org", "paused at claim time")]
    counts = store.delivery_counts(number)
    assert DeliveryStatus.FAILED not in counts and counts[DeliveryStatus.SKIPPED] == 1
    # Two weeks on, the pause is over by itself: the next issue reaches them again, while
    # the old one is not sent late (its audience was fixed when its send started).
    later = now + 2 * WEEK
    assert store.open_deliveries(number, later) == 0
    assert paused not in {d.subscriber_id for d in store.deliveries(number)}
    ingest_documents(store, [DOCUMENTS / "004_c8bb9166e346ef4b.txt"], later - timedelta(hours=1))
    following = run_build(store, settings, later).issue
    assert following is not None
    store.approve_issue(following.number, later)
    assert store.open_deliveries(following.number, later) == 3
    assert paused in {d.subscriber_id for d in store.deliveries(following.number)}


@pytest.mark.parametrize(
    "fields, status",
    [
        ({"action": "pause", "weeks": weeks}, "400 Bad Request")
        for weeks in ("0", "3", "-4", "9" * 30, "inf", "4.0", " 4", "4\r\n", "4\x00", "")
    ]
    + [
        ({"action": "pause"}, "400 Bad Request"),
        ({"action": "pause\r\nX-Evil: 1", "weeks": "4"}, "400 Bad Request"),
        ({"action": "delete", "weeks": "4"}, "400 Bad Request"),
    ],
)
def test_hostile_fields_change_nothing(
    app: PublicApp, store: Store, now, fields: dict[str, str], status: str
) -> None:
    sid = subscriber(store, now)
    got, _, page = post(app, link_token(store, sid), fields)
    assert got == status and "Gérer mon abonnement" in page  # the page again, with why
    person = store.get_subscriber(sid)
    assert person.status is SubscriberStatus.ACTIVE and person.paused_until is None


def test_forged_altered_and_mismatched_tokens(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    token = link_token(store, sid)
    nonce = store.get_subscriber(sid).token_nonce
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (
        altered,
        unsubscribe_token("not-our-secret", sid, nonce),
        unsubscribe_token(SECRET, sid, "another-nonce"),
        unsubscribe_token(SECRET, sid + 1000, nonce),
    ):
        assert call(app, "GET", f"/preferences/{bad}")[0] == "404 Not Found"
        status, _, page = post(app, bad, {"action": "unsubscribe"})
        assert status == "404 Not Found" and "Lien invalide" in page
    # The right URL, but the form carries another token (or none): not our own form.
    for carried in ("", altered, token + "\r\n", token + "\x00"):
        body = urlencode({"token": carried, "action": "unsubscribe"}).encode()
        status, _, _ = call(app, "POST", f"/preferences/{token}", body)
        assert status == "403 Forbidden"
    assert call(app, "GET", f"/preferences/{token}%0D%0A")[0] == "404 Not Found"
    assert store.get_subscriber(sid).status is SubscriberStatus.ACTIVE


def test_an_unsubscribed_readers_link_offers_only_to_come_back(
    app: PublicApp, store: Store, now
) -> None:
    sid = subscriber(store, now)
    token = link_token(store, sid)
    store.set_subscriber_status(sid, SubscriberStatus.UNSUBSCRIBED, now)
    status, _, page = call(app, "GET", f"/preferences/{token}")
    assert status == "200 OK" and "ne reçoit plus" in page and "Mettre en pause" not in page
    assert 'href="/subscribe"' in page  # back only by the double opt-in
    for action in ("pause", "resume"):
        status, _, page = post(app, token, {"action": action, "weeks": "4"})
        assert status == "409 Conflict" and "plus actif" in page
    person = store.get_subscriber(sid)
    assert person.status is SubscriberStatus.UNSUBSCRIBED and person.paused_until is None


@pytest.mark.parametrize(
    "environ, status",
    [
        ({"HTTP_ORIGIN": "https://evil.example"}, "403 Forbidden"),
        ({"HTTP_ORIGIN": "null"}, "403 Forbidden"),
        ({"HTTP_SEC_FETCH_SITE": "cross-site"}, "403 Forbidden"),
        ({"HTTP_SEC_FETCH_SITE": "same-site"}, "403 Forbidden"),
        ({"CONTENT_TYPE": "text/plain"}, "415 Unsupported Media Type"),
        ({"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "cross-site"}, "403 Forbidden"),
        ({"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "none"}, "403 Forbidden"),
        ({"HTTP_ORIGIN": "http://127.0.0.1:8080", "HTTP_SEC_FETCH_SITE": "same-origin"}, "200 OK"),
        # What Chromium sends from the page's own form under Referrer-Policy: no-referrer.
        ({"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}, "200 OK"),
    ],
)
def test_posts_from_another_site_are_refused(
    app: PublicApp, store: Store, now, environ: dict[str, str], status: str
) -> None:
    sid = subscriber(store, now)
    got, _, _ = post(app, link_token(store, sid), {"action": "pause", "weeks": "2"}, environ)
    assert got == status
    assert (store.get_subscriber(sid).paused_until is not None) is (status == "200 OK")


def test_a_huge_body_is_refused_unread(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    token = link_token(store, sid)
    body = urlencode({"token": token, "action": "unsubscribe", "x": "a" * 10_000_000}).encode()
    status, _, page = call(app, "POST", f"/preferences/{token}", body)
    assert status == "413 Content Too Large" and "trop long" in page
    twice = f"token={token}&action=pause&weeks=2&weeks=8".encode()
    assert call(app, "POST", f"/preferences/{token}", twice)[0] == "400 Bad Request"
    assert store.get_subscriber(sid).status is SubscriberStatus.ACTIVE


def test_chromium_pauses_through_the_real_form(
    browser: Any, app: PublicApp, store: Store, now
) -> None:
    sid = subscriber(store, now, "jeanne@exemple.fr")
    with (
        served(app) as url,
        opened(browser, f"{url}/preferences/{link_token(store, sid)}", 375) as page,
    ):
        check_readable(page, "preferences at 375px")
        page.get_by_label("8 semaines").check()
        page.get_by_role("button", name="Mettre en pause").click()
        page.wait_for_load_state("load")
        assert "pause jusqu’au 15" in page.inner_text("main")  # 8 weeks after 20 November
        assert store.get_subscriber(sid).paused_until == now + 8 * WEEK
        page.get_by_role("button", name="Reprendre dès maintenant").click()
        page.wait_for_load_state("load")
        assert "prochain numéro" in page.inner_text("main")
    assert store.get_subscriber(sid).paused_until is None
