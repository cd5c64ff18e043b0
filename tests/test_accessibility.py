"""Accessibility judged by axe-core (issue 16): the WCAG 2.0 / 2.1 A and AA rules in headless
Chromium on the rendered email (600 and 375 px, light and dark), the editors' preview, and
every public page (archive, an issue, subscribe, confirm, unsubscribe). No serious or
critical violation; a lesser one must be listed with its reason in tests/axe.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.app.render import run_render
from digest.config import load_settings
from digest.mail.confirm import confirm_token
from digest.mail.identity import unsubscribe_token
from digest.models import SubscriberStatus
from digest.web.preview import PreviewApp
from digest.web.public import PublicApp

from .axe import assert_accessible
from .browser import opened, served
from .conftest import REPO, SeedIssue

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SECRET = "accessibility"
SCHEMES = ["light", "dark"]


@dataclass(frozen=True)
class Served:
    email: Path  # issue.html as `digest render` writes it
    preview: str  # base URLs
    public: str
    number: int
    unsubscribe: str  # tokens of a reader and of a pending sign-up
    confirm: str


@pytest.fixture(scope="module")
def served_seed(
    tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue
) -> Iterator[Served]:
    """The seed issue rendered to files, in the preview as a draft, then sent and public."""
    folder = tmp_path_factory.mktemp("accessibility")
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": SECRET})
    settings = replace(base, mail=replace(base.mail, outbox_dir=folder / "outbox"))
    store, number = seed_issue.copy(folder), seed_issue.issue.number
    run_render(store, settings, number, folder / "rendered", NOW)
    preview = PreviewApp(store, REPO / "feeds.yaml", clock=lambda: NOW, env={})
    store.approve_issue(number, NOW)
    store.open_deliveries(number, NOW)
    store.close_issue_if_done(number, NOW)
    (reader,) = store.add_subscribers([("ada@example.org", "Ada")], SubscriberStatus.ACTIVE, NOW)
    (pending,) = store.add_subscribers([("bob@example.org", None)], SubscriberStatus.PENDING, NOW)
    public = PublicApp(settings, store, clock=lambda: NOW)
    with served(preview) as preview_url, served(public) as public_url:
        yield Served(
            folder / "rendered" / "issue.html",
            preview_url,
            public_url,
            number,
            unsubscribe_token(SECRET, reader.id, reader.token_nonce),
            confirm_token(SECRET, pending.id, pending.token_nonce),
        )
    store.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", [600, 375])
def test_the_email_passes_axe(browser: Any, served_seed: Served, width: int, scheme: str) -> None:
    url = served_seed.email.as_uri()
    with opened(browser, url, width, color_scheme=scheme, bypass_csp=True) as page:
        assert_accessible(page, f"the email at {width}px, {scheme}")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_preview_passes_axe(browser: Any, served_seed: Served, scheme: str) -> None:
    for path in ("/", f"/issues/{served_seed.number}", f"/issues/{served_seed.number}/texte"):
        url = served_seed.preview + path
        with opened(browser, url, 1280, color_scheme=scheme, bypass_csp=True) as page:
            assert_accessible(page, f"the preview's {path}, {scheme}")


PUBLIC_PAGES = [
    "/",
    "/issues/{number}",
    "/subscribe",
    "/confirm/{confirm}",
    "/u/{unsubscribe}",
    "/preferences/{unsubscribe}",
]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_public_pages_pass_axe(
    browser: Any, served_seed: Served, path: str, scheme: str
) -> None:
    url = served_seed.public + path.format(
        number=served_seed.number,
        confirm=served_seed.confirm,
        unsubscribe=served_seed.unsubscribe,
    )
    for width in (375, 1280):
        with opened(browser, url, width, color_scheme=scheme, bypass_csp=True) as page:
            assert_accessible(page, f"{path} at {width}px, {scheme}")
