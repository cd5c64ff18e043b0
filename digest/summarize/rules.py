"""Editorial rules on a story summary (issue 11), as cheap tests on sentences.

- A summary never repeats its title: an untitled story's title is its first sentence (or
  that sentence's main clause) cut to a headline, and 14 of 45 entries on the seeds read
  the title twice. `repeats_title` says whether a sentence is such a copy.
- A summary names its story's subject: « Le boss démâte » started at « Depuis sa sortie »
  and never named GPT-5. `main_entity` finds the story's most named capitalised word — a
  stand-in for its main named entity, with no parser (a build summarizes 10k–20k items).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"\w+")
# A capitalised word: a name, a place, a brand, an acronym (« GPT-5 », « OpenAI », « BMW »).
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-ÞŒ][\w’'-]*")
# Capitalised words that are not names: sentence openers, function words, dates, and
# « IA » / « AI », the newsletter's topic rather than any story's subject.
# fmt: off
_NOT_NAMES = frozenset("""
ia ai puis
le la les l un une des de du d au aux ce cet cette ces il ils elle elles on nous vous je
mais et ou donc or ni car si en dans par pour sur sous avec sans selon depuis après avant
pendant lors alors ainsi enfin cependant pourtant toutefois aussi outre c qu que qui quand
comment pourquoi où a à y the a an in on at of for and but this that it he she they we
m mme mm dr pr monsieur madame lundi mardi mercredi jeudi vendredi samedi dimanche janvier
février mars avril mai juin juillet août septembre octobre novembre décembre
""".split())
# fmt: on
# A title this many words or more, found word for word inside a sentence, is that
# sentence's copy (« Zilliz a publié le 30 janvier 2026 un modèle… »). Shorter titles
# (« Intelligence artificielle ») are topics any sentence may name.
_CONTAINED_TITLE_WORDS = 4
# Near-copies: the title and the sentence share this share of their distinct words.
_NEAR_COPY = 0.7


def repeats_title(sentence: str, title: str | None) -> bool:
    """Whether the sentence is its story's title again: equal, containing it, or near it."""
    title_words = _WORD.findall((title or "").lower())
    if not title_words:
        return False
    words = _WORD.findall(sentence.lower())
    if title_words == words:
        return True
    if len(title_words) >= _CONTAINED_TITLE_WORDS and _contains_run(words, title_words):
        return True
    shared = set(title_words) & set(words)
    return len(shared) >= _NEAR_COPY * len(set(title_words) | set(words))


def _contains_run(words: Sequence[str], run: Sequence[str]) -> bool:
    size = len(run)
    return any(words[i : i + size] == run for i in range(len(words) - size + 1))


def names_in(text: str, *, opening: bool = True) -> list[str]:
    """The capitalised words of a text that may be names, lowercase, in order.

    With `opening=False` the text's first word is left out: a capital there says nothing.
    """
    names: list[str] = []
    for match in _CAPITALISED.finditer(text):
        word = match.group().lower().rstrip("’'-")
        if (opening or match.start() > 0) and word not in _NOT_NAMES and len(word) > 1:
            names.append(word)
    return names


def main_entity(texts: Sequence[str]) -> str | None:
    """The story's most named capitalised word, or None if none is named twice."""
    found = main_entities(texts, at_most=1)
    return found[0] if found else None


def main_entities(texts: Sequence[str], at_most: int = 2) -> list[str]:
    """The story's most named capitalised words, most named first: each named at least twice
    and at least half as often as the first (« Teleperformance », then « Klarna »).

    A word opening a sentence counts only if it is also capitalised inside one: « Klarna
    a annoncé… » counts for Klarna once Klarna is seen mid-sentence, while « Depuis » or
    « Face » never are. Ties go to the alphabetically first, never to hashing order.
    """
    inside = {name for text in texts for name in names_in(text, opening=False)}
    counts = Counter(name for text in texts for name in names_in(text) if name in inside)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if not ranked:
        return []
    floor = max(2, ranked[0][1] / 2)
    return [name for name, count in ranked[:at_most] if count >= floor]
