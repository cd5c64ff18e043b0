"""Email accessibility the WCAG rules don't cover (issue 16), read from the rendered seed
issue without a browser: the content wrapper says it is an article and in which language,
one h1 and headings in order, layout tables marked as presentation, images with alt text,
link texts that say where they go, and a text part that carries everything the HTML says."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from digest.app.render import run_render
from digest.config import load_settings

from .conftest import REPO, SeedIssue

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
# Link texts that say nothing of where they lead (WCAG 2.4.4 asks for purpose in context;
# email practice asks for it in the text alone, as screen readers list links out of context).
VAGUE = {"ici", "cliquez ici", "lien", "lire la suite", "en savoir plus", "plus", "voir", "link"}


@dataclass(frozen=True)
class Rendered:
    tree: lxml_html.HtmlElement
    text: str  # the text part, its lines joined: wrapping must not hide a phrase


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue) -> Rendered:
    folder = tmp_path_factory.mktemp("email-a11y")
    settings = load_settings(REPO / "feeds.yaml", env={})
    store = seed_issue.copy(folder)
    run_render(store, settings, seed_issue.issue.number, folder / "out", NOW)
    store.close()
    page = Path(folder / "out" / "issue.html").read_text(encoding="utf-8")
    text = Path(folder / "out" / "issue.txt").read_text(encoding="utf-8")
    return Rendered(lxml_html.fromstring(page), _flat(text))


def _flat(text: str) -> str:
    """Whitespace as one space; a compound cut after its hyphen at a line's end joined."""
    return re.sub(r"(?<=\w-)\s+(?=\w)", "", re.sub(r"\s+", " ", text)).strip()


def test_the_content_wrapper_is_a_labelled_french_article(rendered: Rendered) -> None:
    tree = rendered.tree
    assert tree.get("lang") == "fr" and tree.get("dir") == "ltr"
    articles = tree.xpath("//body/div[@role='article']")
    assert len(articles) == 1, "one role=article wrapper right inside <body>"
    article = articles[0]
    assert article.get("lang") == "fr" and article.get("dir") == "ltr"
    assert article.get("aria-label", "").strip() == tree.findtext(".//title").strip()
    assert not tree.xpath("//body/*[not(self::div[@role='article'])]"), "all content inside"


def test_one_h1_and_headings_in_order(rendered: Rendered) -> None:
    levels = [int(h.tag[1]) for h in rendered.tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels.count(1) == 1 and levels[0] == 1
    skips = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
    assert not skips, f"heading levels skipped: {skips}"


def test_layout_tables_are_presentation_and_images_have_alt(rendered: Rendered) -> None:
    tables = rendered.tree.xpath("//table")
    assert tables and all(t.get("role") == "presentation" for t in tables)
    assert all(img.get("alt") is not None for img in rendered.tree.iter("img"))


def test_link_texts_say_where_they_go(rendered: Rendered) -> None:
    names = []
    for link in rendered.tree.iter("a"):
        name = (link.get("aria-label") or link.text_content()).strip()
        names.append(name)
        assert name.lower().strip(" .…") not in VAGUE, f"vague link text: {name!r}"
        assert not re.fullmatch(r"\[\d+\]", name), f"a bare reference marker: {name!r}"
    assert any(re.match(r"Source \d+\u202f: \w", name) for name in names)  # markers named


def test_the_text_part_says_all_the_html_says(rendered: Rendered) -> None:
    tree, text = rendered.tree, rendered.text
    titles = [_flat(h.text_content()) for h in tree.iter("h2", "h3")]
    titles += [_flat(s.text_content()) for s in tree.xpath("//p[@class='brief']/strong")]
    sentences = [
        _flat(node) for node in tree.xpath("//p[@class='enjeux-text']/text()") if node.strip()
    ]
    urls = {a.get("href") for a in tree.iter("a")} - {None}
    assert titles and sentences and urls
    missing = [t for t in titles + sentences if t not in text]
    assert not missing, f"in the HTML, not in the text part: {missing[:5]}"
    missing_urls = sorted(u for u in urls if u not in text)
    assert not missing_urls, f"links of the HTML missing from the text part: {missing_urls[:5]}"
