"""The email and the preview in a real headless Chromium, at phone (375 px) and desktop
(600 px) widths: nothing scrolls sideways, no text under 14 px, every link goes somewhere,
the preview's width toggle and text view work, and it reloads itself after a template edit.
Screenshots land in each test's tmp dir, to look at."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from digest.app.render import run_render
from digest.config import load_settings
from digest.render import templates_dir
from digest.store import Store
from digest.web.preview import PreviewApp

from .browser import check_readable, opened, served
from .conftest import REPO, SeedIssue

WIDTHS = [375, 600]
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    store: Store
    number: int
    issue_html: Path  # written by run_render, as `digest render` does
    preview: str  # base URL of the preview server


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue) -> Iterator[Seed]:
    """The shipped documents built into a draft (a copy of the session's), rendered to
    files and served by the preview."""
    folder = tmp_path_factory.mktemp("seed")
    settings = load_settings(REPO / "feeds.yaml", env={})
    store, issue = seed_issue.copy(folder), seed_issue.issue
    run_render(store, settings, issue.number, folder / "rendered", NOW)
    app = PreviewApp(store, REPO / "feeds.yaml", clock=lambda: NOW, env={})
    with served(app) as url:
        yield Seed(store, issue.number, folder / "rendered" / "issue.html", url)
    store.close()


def email_frame(page: Any) -> Any:
    frame = page.frame(url=re.compile(r"/email\.html$"))
    assert frame is not None, "the preview has no email frame"
    return frame


@pytest.mark.parametrize("width", WIDTHS)
def test_the_rendered_email_reads_well(
    browser: Any, seed: Seed, width: int, tmp_path: Path
) -> None:
    with opened(browser, seed.issue_html.as_uri(), width) as page:
        check_readable(page, f"issue.html at {width}px")
        page.screenshot(path=tmp_path / f"issue-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_preview_reads_well(browser: Any, seed: Seed, width: int, tmp_path: Path) -> None:
    with opened(browser, f"{seed.preview}/issues/{seed.number}", width) as page:
        assert "Brouillon — pas encore envoyé" in page.inner_text(".banner")
        check_readable(page, f"preview at {width}px")
        check_readable(email_frame(page), f"the preview's email at {width}px")
        page.screenshot(path=tmp_path / f"preview-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_issue_list_leads_to_the_issue(
    browser: Any, seed: Seed, width: int, tmp_path: Path
) -> None:
    with opened(browser, f"{seed.preview}/", width) as page:
        check_readable(page, f"issue list at {width}px")
        assert "Brouillon" in page.inner_text("table.issues")
        page.screenshot(path=tmp_path / f"list-{width}.png", full_page=True)
        page.click(f"text=Numéro {seed.number}")
        page.wait_for_url(f"{seed.preview}/issues/{seed.number}")
        assert email_frame(page) is not None


def test_the_width_toggle_resizes_the_email(browser: Any, seed: Seed) -> None:
    with opened(browser, f"{seed.preview}/issues/{seed.number}", 1280) as page:
        frame = page.locator("iframe#email")
        assert frame.bounding_box()["width"] == 600
        page.click("text=Téléphone (375 px)")
        page.wait_for_url(re.compile(r"vue=telephone$"))
        assert frame.bounding_box()["width"] == 375
        assert email_frame(page).evaluate("window.innerWidth") <= 375  # the email's own view
        page.click("text=Bureau (600 px)")
        page.wait_for_url(re.compile(r"vue=bureau$"))
        assert frame.bounding_box()["width"] == 600


@pytest.mark.parametrize("width", WIDTHS)
def test_the_text_link_shows_the_plain_text_part(
    browser: Any, seed: Seed, width: int, tmp_path: Path
) -> None:
    with urlopen(f"{seed.preview}/issues/{seed.number}/email.txt", timeout=10) as answer:
        sent_text = answer.read().decode("utf-8")
    with opened(browser, f"{seed.preview}/issues/{seed.number}", width) as page:
        page.click("text=Partie texte")
        page.wait_for_url(f"{seed.preview}/issues/{seed.number}/texte")
        assert page.inner_text("#text").strip() == sent_text.strip()
        check_readable(page, f"text view at {width}px")
        page.screenshot(path=tmp_path / f"text-{width}.png", full_page=True)


# The text pane's width for its text, and the width of `columns` characters in its font.
_TEXT_PANE_JS = """
(columns) => {
  const pane = document.getElementById("text");
  const style = getComputedStyle(pane);
  const probe = document.createElement("span");
  probe.textContent = "m".repeat(columns);
  probe.style.whiteSpace = "pre";  // measured on one line, not wrapped to the pane
  pane.appendChild(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  const room = pane.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {room, needed};
}
"""


def test_the_text_pane_holds_72_columns_and_a_margin(browser: Any, seed: Seed) -> None:
    """Issue 14: the pane was one character too narrow, so lines of 72 wrapped again."""
    with opened(browser, f"{seed.preview}/issues/{seed.number}/texte", 1280) as page:
        fits = page.evaluate(_TEXT_PANE_JS, 78)
        assert fits["needed"] <= fits["room"], fits


def test_the_preview_reloads_itself_after_a_template_edit(
    browser: Any, seed: Seed, tmp_path: Path
) -> None:
    templates = Path(shutil.copytree(templates_dir(), tmp_path / "templates"))
    app = PreviewApp(seed.store, REPO / "feeds.yaml", templates, clock=lambda: NOW, env={})
    with (
        served(app) as url,
        opened(browser, f"{url}/issues/{seed.number}", 600) as page,
    ):
        assert "Au sommaire" in email_frame(page).content()
        template = templates / "email.html.j2"
        before = template.stat().st_mtime
        edited = template.read_text(encoding="utf-8").replace("Au sommaire", "Dans ce numéro")
        with page.expect_event("load", timeout=10_000):  # the page's own poll reloads it
            template.write_text(edited, encoding="utf-8")
            os.utime(template, (before + 2, before + 2))  # some file systems count seconds
        assert "Dans ce numéro" in email_frame(page).content()
