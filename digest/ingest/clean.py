"""Text repair and scrape-residue removal, shared by documents and feeds.

Takes raw bytes or text as scraped; gives clean Unicode text plus the links that were
buried in it. No I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from digest.ingest.cutwords import SITE, Vocabulary, mend_cut_words
from digest.ingest.leftovers import drop_code
from digest.models import Link
from digest.typography import NBSP, NNBSP


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), else UTF-16 by BOM, else the detected charset."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:  # binary noise: keep what can be kept rather than fail the document
        return data.decode("utf-8", errors="replace")
    return str(best)


# ftfy cannot undo one loss: in seed 001 the third byte of ” (E2 80 9D) was dropped when
# the text went through cp1252, which has no character for 0x9D. What remains is "â€"
# (ftfy leaves it) or "†" (ftfy reads the following space as a lost NBSP, E2 80 A0, and
# swallows it). Both stand where a closing quote was.
_LOST_QUOTE_BEFORE_WORD = re.compile(r"(?<=\S)†(?=\w)")
_LOST_QUOTE = re.compile(r"(?<=\S)(?:â€(?=[\s*,.;:!?)»]|$)|†)")
_BROKEN_NBSP = re.compile(r"Â(?=\u00a0)")  # NBSP's own mojibake left beside a lost quote


def repair_text(text: str) -> str:
    """Undo mojibake (double-encoded UTF-8 and the like) and normalise to NFC."""
    # Most text is not broken: ftfy's cheap detector spares it the full repair, which was
    # a fifth of a first ingest's parse time (bench/ingest.py).
    if text.isascii():
        return text
    from ftfy.badness import is_bad

    if not is_bad(text):
        return unicodedata.normalize("NFC", text)
    import ftfy

    # Curly quotes are French typography, not damage: keep them (ftfy straightens them by default).
    fixed = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False)
    fixed = _BROKEN_NBSP.sub("", fixed)
    fixed = _LOST_QUOTE_BEFORE_WORD.sub("” ", fixed)  # ftfy took the space with it
    fixed = _LOST_QUOTE.sub("”", fixed)
    return unicodedata.normalize("NFC", fixed)


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str
    links: tuple[Link, ...]


# A citation as chat assistants export it: ` ([Title](https://…#:~:text=…))` followed by a
# marker such as `】`, `L45】` or `79】` (seed 001). The title may contain brackets.
_CITATION = re.compile(
    r"\s?\(\[(?P<title>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<url>https?://[^\s)]+(?:\([^\s)]*\)[^\s)]*)*)\)\)"
    r"(?:L?\d+)?】?"
)
_MD_LINK = re.compile(r"\[(?P<title>[^\]]+)\]\((?P<url>https?://[^\s)]+)\)")
_LONE_MARKER = re.compile(r"(?:L?\d+)?】")
_BOLD_ITALIC = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
# Unbalanced emphasis: the scrape that cut words before citations also cut their closing
# "**" (seed 001: "**photoréalisme et … vari ([…](…))】").
_STRAY_ASTERISKS = re.compile(r"\*+(?=\S)|(?<=\S)\*+")
_SPACES = re.compile(rf"[ \t{NBSP}{NNBSP}]{{2,}}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.)])")
_NBSP_BETWEEN_WORDS = re.compile(rf"(?<=[\w.])[{NBSP}{NNBSP}](?=[\w(])")


def mark_citations(text: str) -> str:
    """The text with each citation replaced by a `SITE` mark (for the document's vocabulary)."""
    return _CITATION.sub(SITE, text)


def strip_citations(text: str, vocabulary: Vocabulary | None = None) -> CleanText:
    """Remove citation residue and markdown links; return the text and their targets.

    The export cut the word before a citation (seed 001): each one is mended or taken out
    here, where the citation's place is still known (`cutwords`), against the words of the
    whole document when the caller gives them."""
    links: list[Link] = []

    def keep(match: re.Match[str]) -> str:
        links.append(Link(url=clean_link(match["url"]), title=match["title"].strip()))
        return SITE

    text = _CITATION.sub(keep, text)
    text = mend_cut_words(text, vocabulary or Vocabulary.of(text))

    def inline(match: re.Match[str]) -> str:
        links.append(Link(url=clean_link(match["url"]), title=match["title"].strip()))
        return match["title"]

    text = _MD_LINK.sub(inline, text)
    text = _LONE_MARKER.sub("", text)
    return CleanText(text=text, links=dedupe_links(links))


def clean_link(url: str) -> str:
    """The canonical URL: no tracking parameters, no fragment (chat exports add
    `#:~:text=…` to quoted links and `utm_source=chatgpt.com` to others)."""
    from digest.ingest.sanitize import canonical_url

    return canonical_url(url) or url.split("#", 1)[0]


def dedupe_links(links: list[Link]) -> tuple[Link, ...]:
    seen: dict[str, Link] = {}
    for link in links:
        seen.setdefault(link.url, link)
    return tuple(seen.values())


def strip_markdown(text: str) -> str:
    """Plain text from inline markdown emphasis (`**gras**`, `*italique*`)."""
    previous = None
    while previous != text:  # nested emphasis (*« **x** »*) needs more than one pass
        previous, text = text, _BOLD_ITALIC.sub(r"\2", text)
    return _STRAY_ASTERISKS.sub("", text)


def tidy_spaces(text: str) -> str:
    """Collapse runs of spaces and the space a removed citation left before punctuation."""
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    # NBSP stays where French typography wants it (before : ; ! ? »), not between words.
    text = _NBSP_BETWEEN_WORDS.sub(" ", text)
    return text.strip()


def url_title(url: str) -> str:
    """A readable stand-in title for a bare URL."""
    return unquote(url.split("://", 1)[-1]).rstrip("/")


# A blog's comment form closes the article: everything from its heading on is the form,
# the spam notice and other readers' comments (seed 004 ends with WordPress + Akismet).
_COMMENT_FORM = re.compile(
    r"^\s*(?:laisser|laissez) (?:un commentaire|une réponse)|^\s*leave a (?:reply|comment)"
    r"|^\s*(?:poster|ajouter) un commentaire|^\s*\d+\s+commentaires?\s*$"
    r"|^\s*votre adresse (?:e-?mail|de messagerie) ne sera pas publiée",
    re.IGNORECASE | re.MULTILINE,
)
# Lines that are scrape residue wherever they stand: sign-up and download confirmations,
# newsletter pitches, anti-spam notices (the end of seed 003, the form of seed 004).
_BOILERPLATE_LINE = re.compile(
    r"|".join(
        (
            r"votre demande (?:a|à) été approuvée",
            r"vérifiez? votre bo[iî]te (?:e-?mail|mail|de réception)",
            r"lien de téléchargement",
            r"(?:inscrivez|abonnez)-vous (?:à|a) (?:notre|la) newsletter",
            r"recevez (?:notre|la) newsletter",
            r"akismet",
            r"les champs obligatoires sont indiqués",
            r"enregistrer mon nom, mon e-?mail",
            r"^\s*(?:publicité|sponsorisé|annonce)\s*$",
            r"^\s*(?:partager|share)(?: sur| on)? (?:facebook|twitter|x|linkedin)\b",
        )
    ),
    re.IGNORECASE,
)


def drop_boilerplate(text: str) -> str:
    """Remove the comment form (to the end), residue lines and script or markup left in
    the text; keep everything else."""
    form = _COMMENT_FORM.search(text)
    if form:
        text = text[: form.start()]
    lines = [line for line in text.split("\n") if not _BOILERPLATE_LINE.search(line)]
    return drop_code("\n".join(lines))
