"""A web page saved from the browser (`.html`, `.htm`) cut into stories.

Takes the page's decoded HTML; gives its `CutDocument` and the text the stories were cut
from. An article page is one story: its main text (webpage.extract_page), its title,
byline, date and canonical address as the story's source, without the site around it.
A page that holds a list of stories (a newsletter's web version, with its « Source »
lines) is cut like any newsletter.
"""

from __future__ import annotations

from dataclasses import replace

from digest.errors import DocumentError
from digest.ingest.clean import drop_boilerplate
from digest.ingest.sanitize import canonical_url
from digest.ingest.segment import CutDocument, Segment, cut_document, is_newsletter, readable_name
from digest.ingest.webpage import WebPage, extract_page
from digest.models import Link


def cut_saved_page(html: str, name: str = "the page") -> tuple[CutDocument, str]:
    """The page's stories and the text they come from; DocumentError (naming `name`) when
    the page has no text to tell apart from its site, rather than menus as stories."""
    page = extract_page(html)
    if page is None:
        raise DocumentError(
            f"{name} has no article text (only menus and links, or text drawn by scripts)",
            hint="save the page once it has loaded, or paste the article into a .txt document",
        )
    text = drop_boilerplate(page.text)
    if is_newsletter(text):
        return _cut_newsletter(page, text)
    return CutDocument("article", _title(page), (_article(page, text),)), text


def _cut_newsletter(page: WebPage, text: str) -> tuple[CutDocument, str]:
    """A newsletter's web version: its masthead is the page's title (its <h1>), which
    names the publication rather than a story."""
    title = _title(page)
    first, _, rest = text.partition("\n\n")
    if title and " ".join(first.split()) == title:
        text = rest
    cut = cut_document(text)
    return (replace(cut, title=cut.title or title), text)


def _article(page: WebPage, text: str) -> Segment:
    url = canonical_url(page.url) if page.url else None
    return Segment(
        text=text,
        title=_title(page),
        links=(Link(url, page.title or ""),) if url else (),
        url=url,
        author=readable_name(page.author or "", max_chars=120),
        published=page.date,
    )


def _title(page: WebPage) -> str | None:
    return readable_name(page.title or "", max_chars=300)
