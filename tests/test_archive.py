"""The public archive's pages (digest.app.archive): rendered once and kept, written by the
render and the send, dropped when a draft is rebuilt, never served for a draft."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.app import archive
from digest.app.build import run_build
from digest.app.render import run_render
from digest.app.send import send_issue
from digest.config import load_settings
from digest.mail.transport import transport_for
from digest.models import IssuePage
from digest.settings import Settings
from digest.store import Store
from digest.store.schema import IssuePageRow
from digest.web.public import PublicApp
from digest.web_version import with_navigation

from .conftest import REPO
from .test_public import call, published_issue


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": "test-secret"})
    return replace(base, mail=replace(base.mail, outbox_dir=tmp_path / "outbox"))


def mark_sent(store: Store, number: int, now: datetime) -> None:
    store.approve_issue(number, now)
    store.open_deliveries(number, now)
    assert store.close_issue_if_done(number, now)  # no subscriber: nothing left to send


def page_of(html: str) -> IssuePage:
    return IssuePage(page=html, article=html)


def kept_pages(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(IssuePageRow)) or 0


def test_the_first_request_renders_the_page_and_the_next_ones_read_it(
    store: Store, settings: Settings, now, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = published_issue(store, settings, now)
    mark_sent(store, number, now)
    app = PublicApp(settings, store, clock=lambda: now)
    status, _, first = call(app, "GET", f"/issues/{number}")
    kept = store.sent_issue_page(number)
    assert status == "200 OK" and kept is not None
    assert first == with_navigation(kept.page, None, None)

    def no_render(*args: object, **kwargs: object) -> None:
        raise AssertionError("the kept page was rendered again")

    monkeypatch.setattr(archive, "render_issue", no_render)
    monkeypatch.setattr(archive, "render_web_version", no_render)
    status, _, again = call(app, "GET", f"/issues/{number}")
    assert status == "200 OK" and again == first


def test_sending_keeps_the_page_readers_were_sent(
    store: Store, settings: Settings, now, tmp_path: Path
) -> None:
    number = published_issue(store, settings, now)
    store.approve_issue(number, now)
    send_issue(store, settings, number, transport_for(settings, number), clock=lambda: now)
    kept = store.sent_issue_page(number)
    assert kept is not None and "Le boss démâte" in kept.page and "Le boss démâte" in kept.article
    assert "__DIGEST_" not in kept.page and 'href="/subscribe"' in kept.page


def test_a_render_keeps_the_page_and_a_rebuild_drops_it(
    store: Store, settings: Settings, now, tmp_path: Path
) -> None:
    number = published_issue(store, settings, now)
    run_render(store, settings, number, tmp_path / "out", now)
    assert kept_pages(store) == 1
    rebuilt = run_build(store, settings, now)
    assert rebuilt.replaced_draft and rebuilt.issue is not None and rebuilt.issue.number == number
    assert kept_pages(store) == 0  # it showed the draft before its rebuild


def test_a_drafts_kept_page_is_never_served(store: Store, settings: Settings, now) -> None:
    number = published_issue(store, settings, now)
    store.keep_issue_page(number, page_of("<p>brouillon</p>"), now)
    assert store.sent_issue_page(number) is None
    status, _, page = call(
        PublicApp(settings, store, clock=lambda: now), "GET", f"/issues/{number}"
    )
    assert status == "404 Not Found" and "brouillon" not in page
    mark_sent(store, number, now)
    assert store.sent_issue_page(number) == page_of("<p>brouillon</p>")  # what the sender kept


def test_keeping_a_page_again_replaces_it(store: Store, settings: Settings, now) -> None:
    number = published_issue(store, settings, now)
    store.keep_issue_page(number, page_of("<p>premier</p>"), now)
    store.keep_issue_page(number, page_of("<p>second</p>"), now)
    mark_sent(store, number, now)
    assert store.sent_issue_page(number) == page_of("<p>second</p>") and kept_pages(store) == 1
