"""The public archive in headless Chromium: the list of sent issues, an issue's web version,
the subscribe page, the unsubscribe page and an error page read well at phone and desktop
widths, light and dark; a reader finds their way from the index to a story and back; the
feed parses with each issue's content."""

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


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize(
    "path", ["/", "/issues/{n}", "/subscribe", "/u/{token}", "/preferences/{token}"]
)
def test_public_pages_read_well(
    browser: Any, site: Site, path: str, width: int, scheme: str, tmp_path: Path
) -> None:
    url = site.url + path.format(n=site.number, token=site.token)
    with opened(browser, url, width, color_scheme=scheme) as page:
        check_readable(page, f"{path} at {width}px, {scheme}")
        assert page.evaluate(_STYLED_JS), f"{path}: /site.css did not apply"
        page.screenshot(path=tmp_path / f"page-{width}-{scheme}.png", full_page=True)


# The site's stylesheet applied (a page blocked from /site.css by its own CSP would read
# unstyled): the masthead's rule is the brand colour, light or dark.
_STYLED_JS = """
() => ["rgb(29, 53, 87)", "rgb(168, 200, 236)"].includes(
  getComputedStyle(document.querySelector("header.site")).borderBottomColor)
"""


@pytest.mark.parametrize("path", ["/issues/abc", "/?page=-1", "/?q=" + "x" * 3000])
def test_error_pages_read_well(browser: Any, site: Site, path: str) -> None:
    # Not through `opened`: the browser logs the page's own 404 as a console error.
    context = browser.new_context(viewport={"width": 375, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        response = page.goto(site.url + path, wait_until="load")
        assert response is not None and response.status in (400, 404)
        check_readable(page, path)
        assert page.evaluate(_STYLED_JS) and page.locator("h1").inner_text()
    finally:
        context.close()


def test_dark_mode_changes_the_palette(browser: Any, site: Site) -> None:
    backgrounds = {}
    for scheme in ("light", "dark"):
        with opened(browser, f"{site.url}/issues/{site.number}", 1280, color_scheme=scheme) as page:
            backgrounds[scheme] = page.evaluate(
                "() => getComputedStyle(document.querySelector('.page')).backgroundColor"
            )
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(27, 30, 35)"}


def test_a_reader_goes_from_the_index_to_a_story_and_back(browser: Any, site: Site) -> None:
    with opened(browser, site.url + "/", 375) as page:
        page.click(f"a[href='/issues/{site.number}']")
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/issues/{site.number}")
        assert "Bonjour" not in page.inner_text("body")
        page.click("nav.toc a[href='#s2']")  # the table of contents jumps to the section
        assert page.url.endswith("#s2")
        section_top = page.evaluate(
            "() => document.getElementById('s2').getBoundingClientRect().top"
        )
        assert 0 <= section_top < 100
        story = page.locator("#s2e1")
        assert story.count() == 1 and story.locator("h3").inner_text()
        page.click("header.site a.brand")
        page.wait_for_load_state("load")
        assert page.url == site.url + "/"
        page.click(".cta a.button")
        page.wait_for_load_state("load")
        assert page.url == site.url + "/subscribe" and page.locator("input#email").count() == 1


def test_the_archive_links_to_the_issue_and_the_feed_parses(browser: Any, site: Site) -> None:
    with opened(browser, site.url + "/", 1280) as page:
        page.click(f"a[href='/issues/{site.number}']")
        page.wait_for_load_state("load")
        assert "Le Fil IA" in page.content() and page.url.endswith(f"/issues/{site.number}")
    parsed = feedparser.parse(httpx.get(site.url + "/feed.xml").content)
    assert not parsed.bozo and len(parsed.entries) == 1
    assert 'id="s1e1"' in parsed.entries[0].content[0].value
