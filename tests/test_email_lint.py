"""The email lint: every HTML element and CSS property the inlined seed issue uses is
supported by Gmail, Outlook, Apple Mail, Yahoo, Orange, SFR, La Poste and Free (latest
version of each platform, in ../shared/caniemail), or is an exception listed here with why
it degrades acceptably. A listed exception the email no longer needs fails too."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.app.render import run_render
from digest.config import load_settings

from .conftest import REPO, SHARED, SeedIssue
from .emaillint import features_used, support
from .needs import missing_tool

DATA = SHARED / "caniemail" / "_features"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

EXCEPTIONS = {
    "css-at-media": "phone widths only tighten paddings and sizes; without the query the "
    "layout is already fluid (100% wide, 600 px at most)",
    "css-at-media-prefers-color-scheme": "the dark palette is progressive: clients that ignore "
    "it show the light one, which is readable (several apply their own dark mode)",
    "css-max-height": "only on the hidden preheader, which display:none (and mso-hide:all for "
    "Outlook) already hides",
    "css-overflow": "only on the hidden preheader, as max-height",
    "css-text-decoration": "only underlines links; where unsupported links keep the client's "
    "default underline",
    "html-body": "nothing depends on <body> styles: the wrapper table carries the background",
    "html-style": "the <style> block holds only the media queries; every base style is "
    "inlined, so clients that drop it get the fluid light version",
}


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue) -> str:
    if not DATA.is_dir():
        missing_tool("../shared/caniemail is not beside this checkout")
    folder = tmp_path_factory.mktemp("lint")
    settings = load_settings(REPO / "feeds.yaml", env={})
    store, issue = seed_issue.copy(folder), seed_issue.issue
    run_render(store, settings, issue.number, folder / "out", NOW)
    store.close()
    return Path(folder / "out" / "issue.html").read_text(encoding="utf-8")


def test_every_feature_is_supported_or_an_explained_exception(html: str) -> None:
    used = features_used(html, DATA)
    assert {"css-padding", "css-background-color", "html-table"} <= used  # the lint sees them
    unsupported = {s.feature: s.unsupported for f in sorted(used) if not (s := support(f, DATA)).ok}
    unexplained = {f: why for f, why in unsupported.items() if f not in EXCEPTIONS}
    assert not unexplained, f"unsupported and not listed as an exception: {unexplained}"
    stale = sorted(set(EXCEPTIONS) - set(unsupported))
    assert not stale, f"exceptions the email no longer needs (remove them): {stale}"


def test_the_lint_flags_an_unsupported_property() -> None:
    if not DATA.is_dir():
        missing_tool("../shared/caniemail is not beside this checkout")
    page = '<table><tr><td style="display:flex; padding:4px">x</td></tr></table>'
    used = features_used(page, DATA)
    assert {"css-display", "css-padding", "html-table"} <= used
    assert not support("css-display-flex", DATA).ok  # Outlook for Windows has no flexbox
