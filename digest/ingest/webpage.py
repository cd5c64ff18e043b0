"""The main text of a web page as a browser saved it: the article, not the site around it.

Takes a whole HTML page (and the address it came from, when known); gives its title,
author, date, canonical URL and main text, paragraphs separated by blank lines. Menus,
cookie banners, « Mentions légales », related links and comments are left out.

The extraction is trafilatura's (issue 15, item 1): measured on the 121 pages of the Zyte
article-extraction benchmark in /work/shared/pages/zyte (bench/extract.py), it scores
F1 0.96 where the whole page's text scores 0.67. It is the reference of the field
(published F1 0.958 on the whole benchmark, readability-lxml 0.922, goose3 0.896),
maintained, pure Python on lxml, and it reads the page's metadata (og:, JSON-LD, <link
rel=canonical>) in the same pass. No I/O.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

# trafilatura logs every page it finds little text in at WARNING; a page with no article
# is an ordinary outcome here (the caller falls back), not something to warn about.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)

_BLANK_LINES = re.compile(r"\n{2,}")
# Pages beyond this are not articles (a saved page is capped by guard.read_document too):
# lxml would parse them, but the time goes to pages nobody reads.
MAX_PAGE_CHARS = 5_000_000
# Below this, what the extractor kept is a menu entry or a notice, not an article (the
# shortest story in the seeds, a brief of 40 words, has 250). Characters, not words:
# Japanese and Chinese pages do not put spaces between words.
MIN_ARTICLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class WebPage:
    """What a page says about itself, and its main text (paragraphs joined by blank lines)."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD), as the page gives it
    url: str | None = None  # the canonical address, when the page names one


def extract_page(html: str, url: str | None = None) -> WebPage | None:
    """The page's main text and metadata; None when no main text can be told apart (a
    page of links, an empty shell whose text is drawn by JavaScript)."""
    import trafilatura

    if not html.strip():
        return None
    document = trafilatura.bare_extraction(
        html[:MAX_PAGE_CHARS],
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        # trafilatura's deduplication remembers paragraphs across calls (a process-wide
        # cache): a page read twice, or two pages quoting the same lines, would lose them.
        deduplicate=False,
    )
    if document is None:
        return None
    fields = document if isinstance(document, dict) else document.as_dict()
    text = _paragraphs(str(fields.get("text") or ""))
    if len("".join(text.split())) < MIN_ARTICLE_CHARS:
        return None
    return WebPage(
        text=text,
        title=_field(fields.get("title")),
        author=_field(fields.get("author")),
        date=_field(fields.get("date")),
        url=_field(fields.get("url")),
    )


def _paragraphs(text: str) -> str:
    """trafilatura's text has one paragraph a line; the cutter reads blank-line paragraphs."""
    lines = (line.strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n\n".join(line for line in lines if line))


def _field(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None
