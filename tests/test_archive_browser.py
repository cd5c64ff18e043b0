"""The public archive in headless Chromium: the list of sent issues, an issue, the subscribe
page and the unsubscribe page read well at phone and desktop widths; the feed parses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from digest.config import load_settings
from digest.mail.identity import unsubscribe_token
from digest.models import SubscriberStatus
from digest.web.public import PublicApp

from .browser import check_readable, opened, served
from .conftest import REPO, SeedIssue

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Site:
    url: str
    number: int
    token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("archive")
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": "archive"})
    settings = replace(base, mail=replace(base.mail, outbox_dir=folder / "outbox"))
    store, issue = seed_issue.copy(folder), seed_issue.issue
    store.approve_issue(issue.number, NOW)
    store.open_deliveries(issue.number, NOW)
    store.close_issue_if_done(issue.number, NOW)  # published: no subscriber left to mail
    reader = store.add_subscribers([("ada@example.org", "Ada")], SubscriberStatus.ACTIVE, NOW)[0]
    with served(PublicApp(settings, store, clock=lambda: NOW)) as url:
        yield Site(url, issue.number, unsubscribe_token("archive", reader.id, reader.token_nonce))
    store.close()


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("path", ["/", "/issues/{n}", "/subscribe", "/u/{token}"])
def test_public_pages_read_well(
    browser: Any, site: Site, path: str, width: int, tmp_path: Path
) -> None:
    url = site.url + path.format(n=site.number, token=site.token)
    with opened(browser, url, width) as page:
        check_readable(page, f"{path} at {width}px")
        page.screenshot(path=tmp_path / f"page-{width}.png", full_page=True)


def test_the_archive_links_to_the_issue_and_the_feed_parses(browser: Any, site: Site) -> None:
    with opened(browser, site.url + "/", 600) as page:
        page.click(f"a[href='/issues/{site.number}']")
        page.wait_for_load_state("load")
        assert "Le Fil IA" in page.content() and page.url.endswith(f"/issues/{site.number}")
    parsed = feedparser.parse(httpx.get(site.url + "/feed.xml").content)
    assert not parsed.bozo and len(parsed.entries) == 1
