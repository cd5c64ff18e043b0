"""French typography, in one place: what the email, its text part, the web pages and the
mails we send do to the words a reader sees (issue 14).

- `french(text)`: typographic apostrophes (l'IA → l’IA), a narrow no-break space (U+202F)
  before « : ; ! ? % », inside « » and between groups of digits (175 000), never inside a
  URL, an address, `code` or a time (10:30). Idempotent: text already set is unchanged.
- `french_html(page)`: the same on the text of an HTML page (not its tags, attributes,
  styles or scripts).
- `foreign(text)`: text in another language (an English feed's title), which the two
  above then leave as it is but for its apostrophes: « What’s next? », not « next ? ».
- `title_forms(title, article)`: a newsletter's name after « à » and « de » (« au Fil
  IA », « du Fil IA », « à L’Hebdo », « d’Usbek & Rica »).
- `french_day(day)`: « 1er décembre 2026 », « 7 décembre 2026 ».
- `wrap_lines(text, width)`: plain text cut at `width` columns, a URL never cut.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

NNBSP = "\u202f"  # narrow no-break space: French before : ; ! ? % and inside « »
NBSP = "\u00a0"
APOSTROPHE = "\u2019"

# Around text in another language (`foreign`): private-use characters, taken out by
# `french` and `french_html` once they have left the text inside alone.
_FOREIGN_OPEN, _FOREIGN_CLOSE = "\ue0fe", "\ue0ff"
# Spans left exactly as written: another language's text, a URL, a bare www. host, an
# e-mail address, `code`.
_PROTECTED = re.compile(
    "\ue0fe[^\ue0ff]*\ue0ff"
    r"|(?:https?|ftp)://\S+|mailto:\S+|\bwww\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|`[^`\n]*`",
    re.IGNORECASE,
)
_SPACE = f"[ {NBSP}{NNBSP}]"
_MARKS = tuple(chr(c) for c in range(0xE000, 0xE000 + 64))  # private use: never in news text
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
# What `french` does to the words, in order: each pattern and what its matches become.
_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_APOSTROPHE, APOSTROPHE),
    # A colon ends a word and is followed by a space or the end: « Piste : », « Note: » —
    # not 10:30, 16:9, std::move or C:\ (no space after them).
    (re.compile(rf"(?<=[^\s:]){_SPACE}?:(?=\s|$)"), f"{NNBSP}:"),
    # ; ! ? after a word (the first of « ?! » only), before a space, the end or a closing sign.
    (re.compile(rf"(?<=[^\s;!?(\[]){_SPACE}?([;!?])(?=[\s;!?»)\]”\"’.,…]|$)"), rf"{NNBSP}\1"),
    (re.compile(rf"«{_SPACE}*"), f"«{NNBSP}"),
    (re.compile(rf"{_SPACE}*»"), f"{NNBSP}»"),
    # « 175 000 »: French groups thousands with the same narrow space, so a line never ends
    # on « 175 ». Only groups of exactly three digits after a number of one to three.
    (
        re.compile(rf"(?<!\d[.,])\b\d{{1,3}}(?:{_SPACE}\d{{3}})+\b"),
        lambda m: re.sub(_SPACE, NNBSP, m.group()),
    ),
    (re.compile(rf"(?<=\d){_SPACE}?%"), f"{NNBSP}%"),
    # « n° 3 »: the sign and its number are one word, separated yet never apart.
    (re.compile(rf"\b([nN]°){_SPACE}?(?=\d)"), rf"\1{NNBSP}"),
)


def french(text: str) -> str:
    """`text` with French typography; URLs, addresses, `code` and times untouched."""
    # Each protected span is set aside as one private-use character, which the rules see
    # as a word (« voir https://… ! » gets its space), then put back.
    mark = next((c for c in _MARKS if c not in text), None)
    if mark is None:  # every mark taken: hostile text, left as it came
        return _unmarked(text)
    kept = _PROTECTED.findall(text)
    typeset = _set(_PROTECTED.sub(mark, text))
    if kept:
        spans = iter(kept)
        typeset = re.sub(mark, lambda _: next(spans), typeset)
    return _unmarked(typeset)


def foreign(text: str) -> str:
    """`text` in another language: `french` and `french_html` will only have given it
    typographic apostrophes (« it’s »), no French spaces."""
    inside = _APOSTROPHE.sub(APOSTROPHE, _unmarked(text))
    return f"{_FOREIGN_OPEN}{inside}{_FOREIGN_CLOSE}"


def _unmarked(text: str) -> str:
    return text.replace(_FOREIGN_OPEN, "").replace(_FOREIGN_CLOSE, "")


def _set(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


# A tag, a comment (Outlook's conditional ones hold tags) or the text between them.
_MARKUP = re.compile(r"<!--.*?-->|<[^>]*>|[^<]+", re.DOTALL)
_RAW_TEXT = re.compile(r"<(style|script|pre|code|textarea)\b", re.IGNORECASE)


def french_html(page: str) -> str:
    """`french` applied to the text nodes of `page`: tags, attributes, comments and the
    content of style, script, pre, code and textarea elements are left as they are."""
    out: list[str] = []
    raw_until: str | None = None  # the end tag that closes a raw-text element
    for match in _MARKUP.finditer(page):
        token = match.group()
        if token.startswith("<"):
            opening = _RAW_TEXT.match(token)
            if raw_until is None and opening:
                raw_until = f"</{opening.group(1).lower()}"
            elif raw_until is not None and token.lower().startswith(raw_until):
                raw_until = None
            out.append(token)
        elif raw_until is not None or not token.strip():
            out.append(token)
        else:  # as if a word came first: « <a>…</a> ! » is « lien ! »
            word = _MARKS[0]
            text = french(word + html.unescape(token).replace(word, ""))[1:]
            out.append(html.escape(text, quote=False))
    return _unmarked("".join(out))  # attributes too: a foreign title in title="…"


# -- the newsletter's name after a preposition ----------------------------------------------

ARTICLES = ("auto", "le", "la", "les", "l’", "l'", "none")
_LEADING_ARTICLE = re.compile(r"^(?:(le|la|les)\s+|(l['’]))(?=\w)", re.IGNORECASE)
_VOWEL = re.compile(r"^[aeiouyàâäéèêëîïôöùûüœæ]", re.IGNORECASE)
_CONTRACTED = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}


@dataclass(frozen=True, slots=True)
class TitleForms:
    """A newsletter's name alone and after « à » and « de »."""

    name: str  # « Le Fil IA »
    to: str  # « au Fil IA »
    of: str  # « du Fil IA »


def title_forms(title: str, article: str = "auto") -> TitleForms:
    """The forms of `title`. `article` is the one the name takes: `auto` reads it from the
    name's first word (« Le Fil IA », « L’Hebdo », « Les Échos »; none for « Mediapart »);
    `le`, `la`, `les`, `l’` give one to a name written without it (« Fil IA » with `le`:
    « au Fil IA »); `none` says the first word is part of the name, not an article."""
    name = french(title.strip())
    found = _LEADING_ARTICLE.match(name)
    if article == "auto":
        word, rest = (_article_of(found), name[found.end() :]) if found else ("", name)
    elif article == "none":
        word, rest = "", name
    else:
        word, rest = article.replace("'", APOSTROPHE), name
        if found and _article_of(found) == word:  # the name spells it already
            rest = name[found.end() :]
    return TitleForms(name, _after("à", word, rest, name), _after("de", word, rest, name))


def _article_of(found: re.Match[str]) -> str:
    return (found.group(1) or "l’").lower().replace("'", APOSTROPHE)


def _after(preposition: str, article: str, rest: str, name: str) -> str:
    """« au Fil IA », « de La Croix », « d’Arte »: `article` + `rest` after `preposition`.
    A capital article the name spells stays (« à La Croix », « de L’Hebdo »)."""
    contracted = _CONTRACTED.get((preposition, article))
    if contracted:
        return f"{contracted} {rest}"
    if article:  # la, l’: no contraction; the article as the name writes it, if it does
        spelled = name[: len(name) - len(rest)].strip() if name.endswith(rest) else ""
        shown = spelled if spelled.lower().replace("'", APOSTROPHE) == article else article
        glue = "" if shown.endswith(APOSTROPHE) else " "
        return f"{preposition} {shown}{glue}{rest}"
    if preposition == "de" and _VOWEL.match(rest):
        return f"d’{rest}"
    return f"{preposition} {rest}"


# -- dates ----------------------------------------------------------------------------------

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_day(day: date) -> str:
    """« 1er décembre 2026 » (French writes the first of the month 1er), « 7 mars 2025 »."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


# -- plain text -----------------------------------------------------------------------------

# What starts an item of a list; the lines after its first are indented under its text.
_BULLET = re.compile(r"(\s*)((?:[*•→-]|\[\d+\]|\d+\.)\s+)?")


def wrap_lines(text: str, width: int) -> str:
    """Every line of `text` longer than `width` cut at spaces, keeping its indent (and
    hanging under a list item's text: « * », « → », « [3] »). A word longer than a line
    (a URL) stands alone on its line, uncut; no-break spaces are never cut."""
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        marker = _BULLET.match(line)
        indent, bullet = (marker.group(1), marker.group(2) or "") if marker else ("", "")
        if not re.search(r"[ \t]", line[marker.end() if marker else 0 :]):
            lines.append(line)  # « → https://… »: one word after its bullet, kept whole
            continue
        lines += textwrap.wrap(
            line[len(indent) :],
            width=width,
            initial_indent=indent,
            subsequent_indent=indent + " " * len(bullet),
            break_long_words=False,  # a URL is cut nowhere
            break_on_hyphens=False,  # « l’anti- / progressisme » is no way to read
        ) or [line]
    return "\n".join(lines)
