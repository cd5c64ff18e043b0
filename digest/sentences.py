"""French-aware sentence splitting and title derivation, shared by ingest and summarize."""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence (French and English news).
_ABBREVIATIONS = frozenset(
    [
        "m",
        "mm",
        "mme",
        "mmes",
        "mlle",
        "dr",
        "pr",
        "me",
        "st",
        "ste",
        "etc",
        "cf",
        "ex",
        "p",
        "pp",
        "vol",
        "no",
        "n°",
        "art",
        "env",
        "av",
        "apr",
        "jc",
        "mr",
        "mrs",
        "ms",
        "vs",
        "inc",
        "ltd",
        "co",
        "corp",
        "jr",
        "sr",
        "fig",
        "éd",
        "ed",
    ]
)
# A sentence ends at . ! ? … (and their closing quotes/brackets), before a space and a
# capital, a quote or a digit. Scraped text glues sentences ("domestique.Consternant",
# OrangeSum), so a period directly followed by a capitalised word also ends one.
_BOUNDARY = re.compile(
    r"(?<=[.!?…])(?:[»”\"')\]]+)?(?:\s+|(?=[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ][a-zàâäçéèêëîïôöùûüÿ]))"
)
_WORD = re.compile(r"[\w’'-]+")


def split_sentences(text: str) -> list[str]:
    """Split French (or English) prose into sentences; keeps abbreviations and decimals."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        pending = ""
        for piece in _BOUNDARY.split(paragraph.strip()):
            if not piece:
                continue
            pending = f"{pending} {piece}".strip() if pending else piece.strip()
            if not _ends_with_abbreviation(pending):
                sentences.append(pending)
                pending = ""
        if pending:
            sentences.append(pending)
    return [s for s in sentences if s]


def _ends_with_abbreviation(sentence: str) -> bool:
    if not sentence.endswith("."):
        return False
    words = sentence[:-1].split()
    if not words:
        return False
    last = words[-1].lower().strip("(«“\"'")
    # Single capitals are initials ("J. Dupont"), not sentence ends.
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


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
