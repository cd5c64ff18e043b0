"""Cut one document into stories, the way a careful editor would.

Takes the repaired text of a document; gives its `Segment`s in order. Documents come in a
few shapes, recognised by their features rather than by name:

- a markdown report (headings and bullets, seed 001): one story per bullet, grouped
  under its heading; paragraphs under a heading are editorial context;
- a newsletter issue (« Source » lines, « Enjeux et perspectives » parts, seed 003): one
  story per headline, with its « enjeux » kept apart; promotion at the end dropped;
- prose (seeds 000, 002, 004): one long dump of articles is cut at FAQ ends and at
  shifts of vocabulary (`dump.py`); a short text with headings is one article; a short
  editorial without headings is chained paragraph by paragraph (`editorial.py`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from digest.models import ItemKind, Link
from digest.sentences import count_words


@dataclass(frozen=True, slots=True)
class Credit:
    """The original source a document credits for a story: « [1] Frandroid. (2025,
    12 novembre). Titre » (seed 000), « Source : Le Monde https://… »."""

    name: str
    url: str | None = None
    reference: str = ""  # the whole reference, which may give the source's date


@dataclass(frozen=True, slots=True)
class Segment:
    """A story (or a piece of context) as cut from its document, text still raw."""

    text: str
    title: str | None = None
    enjeux: str | None = None
    section: str | None = None
    kind: ItemKind = ItemKind.STORY
    links: tuple[Link, ...] = ()  # links given as such (« Source : https://… » lines)
    credit: Credit | None = None
    # What a saved web page says of its article (webpage.extract_page): its canonical
    # address, byline and publication date (ISO 8601).
    url: str | None = None
    author: str | None = None
    published: str | None = None  # the page's date


@dataclass(frozen=True, slots=True)
class CutDocument:
    shape: str  # "report", "newsletter", "dump", "article" or "editorial"
    title: str | None
    segments: tuple[Segment, ...]


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
# « Source », « Sources : » alone on a line, or followed by a name and/or the addresses.
_SOURCE_LINE = re.compile(
    r"^\s*sources?\s*"
    r"(?::\s*(?P<name>(?!https?:)[^\s:.!?][^\n:.!?]{0,79}?))?"  # a name: « Source : Le Monde »
    r"\s*:?\s*(?P<urls>(?:https?://\S+\s*)*)$",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?»”]")
# A numbered reference: « [1] Frandroid. (2025, 12 novembre). GPT-5.1 est là… ».
_REFERENCE_ENTRY = re.compile(r"^\[(?P<number>\d{1,3})\]\s+(?P<text>.+)$", re.DOTALL)
_CREDIT_NAME_END = re.compile(r"\.\s|\s\(|\s[–—-]\s|,\s|\.$|\shttps?://")
_ENJEUX_LINE = re.compile(r"^\s*enjeux\s+et\s+perspectives\s*:?\s*$", re.IGNORECASE)
_BOLD_LEAD = re.compile(r"^\*\*(?P<title>.+?)\*\*\s*(?:[:–—-]\s*)?(?P<rest>.*)$", re.DOTALL)
_SENTENCE_END = re.compile(r"[.,;:…»\"”)]$")
_DUMP_MIN_WORDS = 3000  # a text this long without headings of its own holds several articles


def cut_document(text: str) -> CutDocument:
    """Recognise the document's shape and cut it into segments."""
    lines = text.splitlines()
    if _is_markdown_report(lines):
        return _cut_report(lines)
    if _is_newsletter(lines):
        return _cut_newsletter(text)
    return _cut_prose(text)


def is_heading(line: str, max_words: int = 14) -> bool:
    """A short line that does not end like a sentence: a headline or a section title."""
    stripped = line.strip()
    if not stripped or len(stripped) > 110 or len(stripped.split()) > max_words:
        return False
    if stripped.startswith(("•", "- ", "* ", "[")):
        return False
    return not _SENTENCE_END.search(stripped)


def blocks_of(text: str) -> list[str]:
    """Paragraphs: blank-line separated blocks, or lines when the text has no blank lines."""
    if re.search(r"\n[ \t\u00a0]*\n", text):
        parts = re.split(r"\n[ \t\u00a0]*\n", text)
    else:
        parts = text.split("\n")
    return [p.strip() for p in parts if p.strip()]


# -- markdown reports ------------------------------------------------------------------


def _is_markdown_report(lines: list[str]) -> bool:
    headings = sum(1 for line in lines if _MD_HEADING.match(line))
    bullets = sum(1 for line in lines if _MD_BULLET.match(line))
    return headings >= 2 and bullets >= 2


def _cut_report(lines: list[str]) -> CutDocument:
    title: str | None = None
    section: str | None = None  # the nearest heading above
    segments: list[Segment] = []
    bullet: list[str] | None = None
    context: list[str] = []

    def flush_bullet() -> None:
        nonlocal bullet
        if bullet:
            segments.append(_bullet_segment(" ".join(bullet), section))
        bullet = None

    def flush_context() -> None:
        if context and section:
            segments.append(
                Segment(
                    text="\n\n".join(context), title=section, section=section, kind=ItemKind.CONTEXT
                )
            )
        context.clear()

    for line in lines:
        heading = _MD_HEADING.match(line)
        item = _MD_BULLET.match(line)
        if heading:
            flush_bullet()
            flush_context()
            if len(heading[1]) == 1 and title is None:
                title = clean_heading(heading[2])
            else:
                section = clean_heading(heading[2])
        elif item:
            flush_bullet()
            flush_context()
            bullet = [item[1]]
        elif not line.strip():
            continue
        elif _is_reference_list(line):
            flush_bullet()  # "**Sources :** …": the report's bibliography, not a story
        elif line.strip().startswith("(["):
            continue  # a figure's caption, led by its citation: the figure itself is gone
        elif bullet is not None:
            bullet.append(line.strip())  # a continuation line of the bullet
        else:
            context.append(line.strip())
    flush_bullet()
    flush_context()
    return CutDocument("report", title, tuple(segments))


def _bullet_segment(text: str, section: str | None) -> Segment:
    lead = _BOLD_LEAD.match(text)
    if lead and lead["rest"].strip():
        return Segment(text=lead["rest"], title=lead["title"].strip(" :"), section=section)
    return Segment(text=text, section=section)


def _is_reference_list(line: str) -> bool:
    return bool(re.match(r"^\W*(sources?|références|references)\W*\s*:", line, re.IGNORECASE))


def parse_reference(block: str) -> tuple[int, Credit] | None:
    """A numbered reference's number and credit, or None when the block is not one."""
    entry = _REFERENCE_ENTRY.match(block.strip())
    if entry is None:
        return None
    credit = credit_from(entry["text"])
    return (int(entry["number"]), credit) if credit else None


def credit_from(text: str) -> Credit | None:
    """The source named at the start of a reference (up to its first period, parenthesis
    or dash) and its first address; None when no plausible name leads it."""
    text = " ".join(text.split())
    url = _URL.search(text)
    head = text[: url.start()] if url and url.start() == 0 else text
    end = _CREDIT_NAME_END.search(head)
    name = (head[: end.start()] if end else head).strip(" :–—-")
    if url and name.startswith("http"):
        name = ""
    if not name and url:
        name = _host(url[0])
    name = readable_name(name, max_chars=60) or ""
    if not name or len(name.split()) > 6:
        return None
    return Credit(name=name, url=url[0] if url else None, reference=text)


def readable_name(text: str, max_chars: int) -> str | None:
    """A name as readers will see it: no control, format or private-use characters (a
    document is hostile input: a bidi override, a stray NUL), spaces collapsed; None when
    nothing is left or it is too long to be a name."""
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    name = " ".join(kept.split())
    return name if name and len(name) <= max_chars else None


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc.lower().removeprefix("www.")


def clean_heading(text: str) -> str:
    """Heading text without markdown emphasis or leading pictograms (🔹)."""
    text = re.sub(r"\*+|_{2,}", "", text)
    text = re.sub(r"^[^\w«\"(]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


# -- newsletters -------------------------------------------------------------------------


def is_newsletter(text: str) -> bool:
    """Whether a text is a newsletter issue (« Source » lines, « Enjeux » parts)."""
    return _is_newsletter(text.splitlines())


def _is_newsletter(lines: list[str]) -> bool:
    sources = sum(1 for line in lines if _SOURCE_LINE.match(line))
    enjeux = sum(1 for line in lines if _ENJEUX_LINE.match(line))
    return sources >= 2 or enjeux >= 2


@dataclass
class _Draft:
    title: str | None
    body: list[str]
    enjeux: list[str]
    links: list[Link] = field(default_factory=list)
    in_enjeux: bool = False
    credit: Credit | None = None

    def segment(self) -> Segment:
        return Segment(
            text="\n\n".join(self.body),
            title=self.title,
            enjeux="\n\n".join(self.enjeux) or None,
            links=tuple(self.links),
            credit=self.credit,
        )


def _cut_newsletter(text: str) -> CutDocument:
    blocks = blocks_of(text)
    title = None
    if blocks and _is_masthead(blocks[0]):
        title = " ".join(line.strip() for line in blocks[0].splitlines())
        blocks = blocks[1:]
    drafts: list[_Draft] = []
    current: _Draft | None = None
    for block in blocks:
        source = _SOURCE_LINE.match(block)
        if source:
            if current is not None:
                current.links.extend(Link(url=u) for u in source["urls"].split())
                if source["name"]:
                    current.credit = credit_from(f"{source['name']} {source['urls']}")
            current = None  # « Source » closes a story
        elif _ENJEUX_LINE.match(block):
            if current is not None:
                current.in_enjeux = True
        elif "\n" not in block and is_heading(block):
            current = _Draft(title=block, body=[], enjeux=[])
            drafts.append(current)
        else:
            if current is None:  # the untitled lead story
                current = _Draft(title=None, body=[], enjeux=[])
                drafts.append(current)
            (current.enjeux if current.in_enjeux else current.body).append(block)
    # What has no paragraph of substance is not a story: sign-up forms, course ads and
    # "download the excerpt" blurbs at the end of seed 003.
    stories = [d.segment() for d in drafts if _has_substance(d.body + d.enjeux)]
    return CutDocument("newsletter", title, tuple(stories))


def _is_masthead(block: str) -> bool:
    lines = block.splitlines()
    return len(lines) >= 2 and all(is_heading(line, max_words=5) for line in lines)


def _has_substance(paragraphs: list[str]) -> bool:
    return any(len(p) >= 120 and count_words(p) >= 20 for p in paragraphs)


# -- prose ----------------------------------------------------------------------------


def _cut_prose(text: str) -> CutDocument:
    from digest.ingest import dump, editorial

    blocks = blocks_of(text)
    if count_words(text) >= _DUMP_MIN_WORDS:
        return CutDocument("dump", None, tuple(dump.cut_articles(blocks)))
    if blocks and is_heading(blocks[0]) and len(blocks) > 1:
        body = "\n\n".join(blocks[1:])
        return CutDocument("article", blocks[0], (Segment(text=body, title=blocks[0]),))
    if any(is_heading(b) for b in blocks):
        return CutDocument("article", None, (Segment(text="\n\n".join(blocks)),))
    return CutDocument("editorial", None, tuple(editorial.cut_editorial(blocks)))
