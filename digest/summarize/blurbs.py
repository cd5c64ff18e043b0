"""« Enjeux et perspectives »: 2–4 sentences on the stakes and the outlook of a section.

Every sentence is taken from the section's own stories and keeps the id of its item, so
the renderer can cite it. Preferred, in order: a source's own « Enjeux et perspectives »
text (seed 003 has one per story), then sentences that speak of risks, consequences and
what comes next, central to the section and not already used as an entry's summary. The
choice spreads over the section's stories and avoids saying the same thing twice (MMR).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.models import BlurbSentence, StoredItem
from digest.sentences import count_words, split_sentences
from digest.summarize.vectors import fold, tfidf

MIN_SENTENCES, MAX_SENTENCES, MAX_WORDS = 2, 4, 120
MIN_SENTENCE_WORDS, MAX_SENTENCE_WORDS = 8, 40
ENJEUX_BONUS = 2.0
REDUNDANT = 0.45  # cosine above which two sentences say the same thing
_CUES = re.compile(
    r"\b(?:enjeux?|risques?|menaces?|defis?|dangers?|inquiet\w*|craint\w*|pourrai\w*|"
    r"devrai\w*|reste a|restera|a terme|avenir|futur\w*|prochain\w*|d'ici|perspectives?|"
    r"consequences?|impacts?|implications?|tournant|pari|strategi\w*|regulat\w*|regle\w*|"
    r"transform\w*|boulevers\w*|bouscul\w*|redefini\w*|dependance|souverainete|fragil\w*|"
    r"could|would|might|risks?|threats?|future|stakes|concerns?|challenges?)\b"
)


_NOT_PROSE = re.compile(r"[|\[\]{}=→<>#]|\(\d\)")


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    item_id: int
    entry: int  # index of the entry in its section
    order: int  # position in the item, to print sentences in reading order
    score: float


def write_blurb(
    entries: Sequence[Sequence[StoredItem]], used: set[str]
) -> tuple[BlurbSentence, ...]:
    """The blurb of a section whose entries hold these items; `used` are summary sentences."""
    candidates = _candidates(entries, used, strict=True)
    if len(candidates) < MIN_SENTENCES:  # a thin section: any sentence of its stories
        candidates = _candidates(entries, set(), strict=False)
    chosen = _select(candidates, one_per_entry=len(entries) > 1)
    chosen.sort(key=lambda c: (c.entry, c.order))
    return tuple(BlurbSentence(text=c.text, item_id=c.item_id) for c in chosen)


def _candidates(
    entries: Sequence[Sequence[StoredItem]], used: set[str], *, strict: bool
) -> list[_Candidate]:
    raw: list[tuple[str, int, int, int, float]] = []
    for e, items in enumerate(entries):
        for item in items:
            own = split_sentences(item.enjeux or "")
            pool = [(s, ENJEUX_BONUS) for s in own] + [
                (s, 0.0)
                for s in split_sentences(item.text)[1:]  # the lede is the summary's
            ]
            for order, (sentence, bonus) in enumerate(pool):
                if sentence in used or (strict and not _fit_for_blurb(sentence)):
                    continue
                raw.append((sentence, item.id, e, order, bonus))
    if not raw:
        return []
    centrality = _centrality([r[0] for r in raw])
    return [
        _Candidate(text, item_id, e, order, bonus + _cue_score(text) + centrality[i])
        for i, (text, item_id, e, order, bonus) in enumerate(raw)
    ]


def _fit_for_blurb(sentence: str) -> bool:
    # A real sentence: long enough to say something, short enough to read, ending like a
    # statement (an intertitle of a pasted article has no final point; a question is not
    # an answer).
    words = count_words(sentence)
    ends = sentence.rstrip("»”\"') ").endswith((".", "!", "…"))
    return MIN_SENTENCE_WORDS <= words <= MAX_SENTENCE_WORDS and ends and _is_prose(sentence)


def _is_prose(sentence: str) -> bool:
    # Tables, prompt templates and formulas flattened into text (seed 002's how-to
    # articles: "Registre avec colonnes : Risque | Catégorie | …") are not prose.
    if _NOT_PROSE.search(sentence):
        return False
    letters = sum(c.isalpha() or c.isspace() for c in sentence)
    return letters >= 0.85 * len(sentence)


def _cue_score(sentence: str) -> float:
    return min(len(_CUES.findall(fold(sentence))), 2) * 0.75


def _centrality(sentences: list[str]) -> list[float]:
    """Cosine of each sentence to the section's centroid: what the section is about."""
    if len(sentences) < 2:
        return [0.0] * len(sentences)
    _vectorizer, matrix = tfidf(sentences)
    centroid = matrix.mean(axis=0)
    scores = (matrix @ centroid.T).A.ravel()
    top = float(scores.max()) or 1.0
    return [float(s) / top for s in scores]


def _select(candidates: list[_Candidate], *, one_per_entry: bool) -> list[_Candidate]:
    ranked = sorted(candidates, key=lambda c: (-c.score, c.entry, c.order))
    if not ranked:
        return []
    _vectorizer, matrix = tfidf([c.text for c in ranked])
    chosen: list[int] = []
    words = 0
    for spread in (one_per_entry, False):  # first one sentence per story, then any
        for i, candidate in enumerate(ranked):
            if len(chosen) >= MAX_SENTENCES or i in chosen:
                continue
            if spread and any(ranked[j].entry == candidate.entry for j in chosen):
                continue
            if any(float((matrix[i] @ matrix[j].T).toarray()[0, 0]) > REDUNDANT for j in chosen):
                continue
            length = count_words(candidate.text)
            if words + length > MAX_WORDS:
                continue
            chosen.append(i)
            words += length
    return [ranked[i] for i in chosen]
