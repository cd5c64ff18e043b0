"""French-aware sentence splitting and title derivation, shared by ingest and summarize."""

from __future__ import annotations

import re

# Abbreviations after which a period never ends a sentence: mostly titles before a name.
# fmt: off
_TITLES = frozenset([
    "m", "mm", "mme", "mmes", "mlle", "mlles", "me", "mes", "dr", "drs", "pr", "mgr", "gén",
    "gal", "st", "ste", "mr", "mrs", "ms", "cf", "vs", "av", "apr", "jc", "éd",
])
# Abbreviations that only stand before a number ("art. 12", "p. 3", "janv. 2020"); elsewhere
# the same word ends sentences (« de l'art. Il »). "etc." ends one before a capital.
_BEFORE_NUMBER = frozenset([
    "art", "p", "pp", "vol", "no", "n°", "fig", "ch", "chap", "env", "janv", "févr", "avr",
    "juil", "juill", "oct", "nov", "déc",
])
# fmt: on
_UPPER = "A-ZÀ-ÖØ-ÞŒŸ"
_LOWER = "a-zß-öø-ÿœ"
_TERMINATOR = re.compile(r"[.!?…]+")
# Scraped text glues sentences (OrangeSum: "domestique.Consternant", "lui.\"C'est",
# "Afghanistan.M. Trump", "seul.A l'issue"): after a terminator with no space, these
# openings still start a sentence. Lowercase, digits and other capitals do not (3.5, U.S.,
# lemonde.fr).
_GLUED_START = re.compile(
    rf"[{_UPPER}](?:[{_LOWER}]|['’])"  # Les, L'État
    r"|[«“\"]\s?\w"  # an opening quote
    r"|M\.\s"  # M. Trump
    r"|[AÀ]\s"  # A l'issue (French often drops the accent on capitals)
    r"|-\s"  # an AFP sub-heading: « .- Antiracisme - »
    rf"|(?<=[{_LOWER}]\.)[{_UPPER}]{{2,}}\b"  # a word then an acronym: « vote.LREM »
)
_CLOSERS = "»”’')]\""
_SPACED_CLOSER = re.compile(r"\s+[»”]")
_SPACE_RUN = re.compile(r"\s+")
_LONGEST_ABBREVIATION = 24  # characters looked at before a period: "(«U.S.A.F", "l'art"
_INITIALISM = re.compile(r"^(?:[^\W\d_]\.-?)+[^\W\d_]$")  # U.S, J.-C (not 3.5)
_WORD = re.compile(r"[\w’'-]+")


def split_sentences(text: str) -> list[str]:
    """Split French (or English) prose into sentences; keeps abbreviations and decimals."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        sentences.extend(_split_paragraph(paragraph.strip()))
    return sentences


def _split_paragraph(paragraph: str) -> list[str]:
    # Indices, not slices: a long paragraph with many inner periods (3.5, lemonde.fr) must
    # not be copied once per period.
    sentences: list[str] = []
    start = 0
    for match in _TERMINATOR.finditer(paragraph):
        if match.start() > 0 and paragraph[match.start() - 1] in "([":
            continue  # "(...)" marks an elision inside a quote
        end = _absorb_closers(paragraph, match.end(), start)
        following = _next_start(paragraph, end)
        if following is None:
            continue
        if match.group() == "." and _is_abbreviation(
            _last_word(paragraph, start, match.start()), paragraph[following : following + 12]
        ):
            continue
        sentences.append(paragraph[start:end].strip())
        start = following
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return [s for s in sentences if s]


def _absorb_closers(paragraph: str, index: int, start: int) -> int:
    """Move past closing quotes and brackets; a straight quote closes only an open one."""
    spaced = _SPACED_CLOSER.match(paragraph, index)  # French « Bravo ! » puts a space first
    if spaced:
        index = spaced.end()
    while index < len(paragraph) and paragraph[index] in _CLOSERS:
        if paragraph[index] == '"' and paragraph.count('"', start, index) % 2 == 0:
            break  # an even count: this quote opens the next sentence ("lui.\"C'est")
        index += 1
    return index


def _next_start(paragraph: str, index: int) -> int | None:
    """Where the next sentence starts after a terminator, or None if it does not end here."""
    if index >= len(paragraph):
        return index
    if paragraph[index].isspace():
        spaces = _SPACE_RUN.match(paragraph, index)
        following = spaces.end() if spaces else index
        if following == len(paragraph):
            return following
        char = paragraph[following]
        # "etc. pour", "? a-t-il demandé", "(...) et": lowercase or a comma continues.
        return None if char.islower() or char in ",;:" else following
    return index if _GLUED_START.match(paragraph, index) else None


def _last_word(paragraph: str, start: int, end: int) -> str:
    """The word before a period, lowercase, without an opening quote or elided article."""
    low = max(start, end - _LONGEST_ABBREVIATION)
    words = paragraph[low:end].split()
    if not words or (low > start and len(words) == 1 and not paragraph[low - 1].isspace()):
        return ""  # no word, or one longer than any abbreviation
    return re.split(r"['’]", words[-1].lower().lstrip("(«“\"'"))[-1]


def _is_abbreviation(last: str, following: str) -> bool:
    if last in _TITLES or _INITIALISM.match(last):
        return True
    if last in _BEFORE_NUMBER:
        return following[:1].isdigit()
    # Single letters are initials ("J. Dupont"), not sentence ends — unless what follows
    # is a word that opens sentences, not a name ("avant la tâche A. Le chemin…").
    next_word = re.split(r"[\s’']", following, maxsplit=1)[0]
    return len(last) == 1 and last.isalpha() and next_word not in _SENTENCE_OPENERS


_SENTENCE_OPENERS = frozenset(
    "Le La Les L Un Une Des Il Elle Ils Elles On Ce Cet Cette Ces Mais Et Puis Or Donc "
    "En Dans Pour Par Sur Avec Nous Vous Je The This That It In An".split()
)


# A lede often opens on a circumstance (« Si GPT-5.1 est une évolution, les TRM… »,
# « Trois mois après un lancement en demi-teinte, OpenAI revient… »): the news is after it.
_CIRCUMSTANCE = re.compile(
    r"^(?:si|quand|lorsque|alors que|bien que|après|avant|depuis|dans|avec|pour|face à|"
    r"selon|malgré|loin de|tandis que|[\w-]+ (?:mois|ans|jours|semaines) après)\b",
    re.IGNORECASE,
)


def _main_clause(sentence: str) -> str:
    head, comma, rest = sentence.partition(", ")
    if comma and _CIRCUMSTANCE.match(head) and len(head.split()) <= 10 and len(rest.split()) >= 3:
        return rest[0].upper() + rest[1:]
    return sentence


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def derive_title(text: str, max_words: int = 12) -> str:
    """A headline-like title from a text: its first sentence, cut at a clause if long."""
    sentences = split_sentences(text)
    first = sentences[0] if sentences else text.strip()
    first = _main_clause(first.rstrip(" ."))
    words = first.split()
    if len(words) <= max_words:
        return first
    # Prefer a natural break (a comma or a colon) late enough to carry the subject.
    for match in re.finditer(r"[,:;]", first):
        head = first[: match.start()]
        if 3 <= len(head.split()) <= max_words:
            return head
    return " ".join(words[:max_words]).rstrip(",;:") + "…"
