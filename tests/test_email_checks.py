"""The rendered email: size under Gmail's clipping limit (and what happens near it),
autoescape of hostile titles, a broken template, sample.eml as one message with both
parts, and SpamAssassin's score."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.app.render import run_render
from digest.config import load_settings
from digest.errors import RenderError
from digest.mail.identity import SAMPLE_KEY, read_unsubscribe_token
from digest.models import BRIEF_THEME_ID, Entry, Issue, IssueStatus, Link, Section
from digest.render import MAX_HTML_BYTES, UNSUBSCRIBE_PLACEHOLDER, render_issue, templates_dir
from digest.settings import Settings
from digest.store import Store

from .conftest import REPO, SeedIssue
from .needs import missing_tool

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(REPO / "feeds.yaml", env={})


@pytest.fixture(scope="module")
def seed(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, seed_issue: SeedIssue
) -> tuple[Store, int, Path]:
    folder = tmp_path_factory.mktemp("email")
    store, issue = seed_issue.copy(folder), seed_issue.issue
    out = folder / "rendered"
    run_render(store, settings, issue.number, out, NOW)
    return store, issue.number, out


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def test_the_seed_issue_stays_under_gmails_clipping_limit(seed) -> None:  # type: ignore[no-untyped-def]
    _, _, out = seed
    size = len((out / "issue.html").read_bytes())
    assert size <= MAX_HTML_BYTES, f"issue.html is {size} bytes"
    assert "font-family" in (out / "issue.html").read_text()  # the CSS really got inlined


def entry(n: int) -> Entry:
    summary = " ".join(
        f"Phrase numéro {n}.{k} d’un résumé long qui prend de la place." for k in range(6)
    )
    return Entry(f"Histoire {n}", summary, (Link(f"https://example.org/{n}"),), (n,), ("feed",))


def test_a_huge_issue_sheds_briefs_and_entries_not_its_footer(settings: Settings) -> None:
    themed = [
        Section(f"t{s}", f"Rubrique {s}", (), tuple(entry(s * 100 + i) for i in range(20)))
        for s in range(4)
    ]
    briefs = Section(BRIEF_THEME_ID, "En bref", (), tuple(entry(900 + i) for i in range(30)))
    sections = (*themed, briefs)
    issue = Issue(1, IssueStatus.DRAFT, NOW, NOW, NOW, sections)
    rendered = render_issue(issue, {}, settings)
    assert len(rendered.html.encode()) <= MAX_HTML_BYTES and rendered.trimmed > 0
    assert UNSUBSCRIBE_PLACEHOLDER in rendered.html and "Se désabonner" in rendered.html
    assert rendered.web_url in rendered.html  # the footer made it, whole


def test_hostile_titles_stay_text_in_html_text_and_json(settings: Settings) -> None:
    section = Section("t", "Rubrique", (), (Entry(HOSTILE, HOSTILE, (), (1,), ("feed",)),))
    issue = Issue(1, IssueStatus.DRAFT, NOW, NOW, NOW, (section,))
    rendered = render_issue(issue, {}, settings)
    parsed = elements(rendered.html)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "onerror" not in parsed.attributes
    assert "&lt;script&gt;" in rendered.html
    assert HOSTILE in rendered.text  # shown literally in the text part
    from digest.serialize import issue_json

    assert (
        json.loads(json.dumps(issue_json(issue, {})))["issue"]["sections"][0]["entries"][0]["title"]
        == HOSTILE
    )


def test_a_broken_template_names_itself_and_writes_nothing(
    seed,
    settings: Settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    store, number, _ = seed
    broken = tmp_path / "templates"
    shutil.copytree(templates_dir(), broken)
    page = broken / "email.html.j2"
    page.write_text(page.read_text().replace("{% endfor %}", "{% endfo %}", 1))
    issue = store.get_issue(number)
    with pytest.raises(RenderError, match=r"email\.html\.j2, line \d+"):
        render_issue(issue, {}, settings, templates=broken)
    out = tmp_path / "out"
    from digest import render as render_module

    original = render_module.templates_dir
    render_module.templates_dir = lambda: broken  # type: ignore[assignment]
    try:
        with pytest.raises(RenderError):
            run_render(store, settings, number, out, NOW)
    finally:
        render_module.templates_dir = original  # type: ignore[assignment]
    assert not out.exists() or list(out.iterdir()) == []  # no half-written file


def test_sample_eml_is_one_message_with_both_parts(seed, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    _, _, out = seed
    message = email.message_from_bytes(
        (out / "sample.eml").read_bytes(), policy=email.policy.default
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe"):
        assert message[header], header
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https = re.findall(r"<(https://[^>]+|http://[^>]+)>", str(message["List-Unsubscribe"]))[0]
    claim = read_unsubscribe_token(SAMPLE_KEY, https.rsplit("/", 1)[1])
    assert claim is not None and claim.subscriber_id == 0  # no subscriber's link
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert https in html and https in text and "<" not in text.replace("<http", "")
    assert "Enjeux et perspectives" in text and "En bref" in text
    assert max(len(line) for line in (out / "sample.eml").read_bytes().split(b"\r\n")) <= 998


def test_spamassassin_scores_the_sample_low(seed) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("spamassassin") is None:
        missing_tool("spamassassin is missing: apt-get install spamassassin")
    _, _, out = seed
    report = subprocess.run(
        ["spamassassin", "-L", "-t"],
        input=(out / "sample.eml").read_bytes(),
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode()
    found = re.search(r"Content analysis details:\s+\(([-\d.]+) points", report)
    assert found, report[-2000:]
    assert float(found.group(1)) <= 0.5, report[report.find("Content analysis") :]
