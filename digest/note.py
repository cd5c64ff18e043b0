"""The editor's note at the top of an issue (issue 13): short Markdown, paragraphs, links
and emphasis only, turned into sanitised HTML for the email and plain text for its text
part. The note comes from a person's keyboard or a form: raw HTML in it is shown as text
(markdown-it's "js-default" preset), and what Markdown makes passes nh3's allow-list, so
no script, event handler or `javascript:` link reaches a reader.
"""

from __future__ import annotations

import textwrap
from functools import cache
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

NOTE_MAX = 3000  # characters: a few short paragraphs, not an article
_TAGS = {"p", "a", "em", "strong", "br"}
_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # lazy: only a build or render with a note needs it

    # Paragraphs, emphasis, links and line breaks; nothing else is Markdown here (a "#"
    # or a "-" at the start of a line stays what the editor typed).
    return MarkdownIt("zero", {"breaks": True}).enable(["emphasis", "link", "newline"])


def note_html(markdown: str) -> str:
    """The note as HTML an email can carry (empty for an empty note)."""
    if not markdown.strip():
        return ""
    rendered = _parser().render(markdown)
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes=_SCHEMES,
        link_rel=None,
    ).strip()


def note_text(markdown: str, width: int = 72) -> str:
    """The note as the text part shows it: paragraphs wrapped, a link's address in
    parentheses after its words."""
    paragraphs: list[str] = []
    for token in _parser().parse(markdown):
        if token.type == "inline":
            words = _inline_text(token.children or [])
            paragraphs.append("\n".join(textwrap.fill(line, width) for line in words.split("\n")))
    return "\n\n".join(p for p in paragraphs if p.strip())


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    links: list[str] = []
    for child in children:
        if child.type == "text":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            links.append(str(child.attrs.get("href", "")))
        elif child.type == "link_close" and links:
            href = links.pop()
            if href.split(":", 1)[0].lower() in _SCHEMES:
                parts.append(f" ({href})")
    return "".join(parts)
