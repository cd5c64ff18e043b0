"""A story's candidate sentences, as the extractive summarizer sees them.

Takes a story's text; gives its sentences (the shared splitter's), each lightly cleaned
(runs of spaces, a byline or dateline opening the story), with its rank, its word count,
the *concepts* it covers (content-word stems and bigrams of adjacent stems) and its
per-word prior: the lede position, less what makes a sentence read badly alone (scrape
residue, a quotation, a question, a caption, first-person speech). extractive.py chooses
among them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.sentences import count_words, split_sentences

# A content-word stem, or a bigram of adjacent stems.
Concept = str | tuple[str, str]


@dataclass(frozen=True, slots=True)
class Candidate:
    rank: int  # position among the story's sentences
    text: str
    words: int
    concepts: frozenset[Concept]
    prior: float  # per-word value before any concept: position and fitness to stand alone
    tokens: tuple[str, ...]  # lowercase word tokens, for the learned scorer's features


# A lone sentence up to 25 % over the budget is kept whole: cutting it would lose its end

_STEM = 6  # a light stemmer for French and English: « incarcérations » ≈ « incarcéré »
# The per-word prior (see `_penalty`, `_FIRST_PERSON`). Checked on OrangeSum dev, in
# two halves: without the first-person term drop from 27.80/9.79 to 27.58/9.72;
# the fitness penalty is ROUGE-neutral there and is kept so that captions, fragments and
# questions do not reach the newsletter.
_PENALTY_WEIGHT = 0.6
_FIRST_PERSON_WEIGHT = 8.0

# fmt: off
_STOPWORDS = frozenset("""
a à afin ai aie aient aies ait alors as au aucun aucune aujourd auprès aussi autre autres aux
avaient avais avait avant avec avoir avons ayant c ça car ce ceci cela celle celles celui cependant
ces cet cette ceux chaque chez ci comme comment d dans de depuis des deux dont du elle elles en
encore entre es est et étaient était été être eu eux fait faire font fut hui il ils j je jusqu
l la là le les leur leurs lors lui m ma mais me même mêmes mes moi moins mon n ne ni non nos notre
nous on ont ou où par parce pas peu peut plus plusieurs pour pourquoi qu quand que quel quelle
quelles quels qui s sa sans se selon ses si sien son sont sous soit sur t ta te tes toi ton tous
tout toute toutes très tu un une vers vos votre vous y an ans fois après déjà dit ainsi
about after all also an and any are as at be been but by can could did do does for from had has
have he her his how i if in into is it its just more most my no not of on one or our out over she
so some than that the their them then there these they this those to up was we were what when
which who will with would you your
""".split())
# fmt: on
TOKEN = re.compile(r"\w+")
_SPACES = re.compile(r"\s{2,}")
# Leading bylines and datelines are metadata, not content: « PARIS (AFP) - », « Par Jean
# Dupont – », « (Reuters) - », « Paris, 3 juin 2020 (AFP) – », « WASHINGTON — ». Case
# matters: « Par ailleurs, … - » or « Le député (LR) - » must stay.
_AGENCY = r"\(\s*(?:AFP|Reuters|AP|ANSA|Belga|ATS|dpa|Bloomberg|Xinhua|Relaxnews)\s*\)"
_DATELINE = re.compile(
    r"^(?:(?:Par|By)\s+[A-ZÀ-Þ][\w'’.-]*\s+(?:(?:[A-ZÀ-Þ][\w'’.-]*|et|and)\s+){0,5}[–—-]\s+"
    rf"|[\w'’ .,-]{{0,50}}?{_AGENCY}\s*[–—:-]\s+"
    rf"|{_AGENCY}\s*[–—:-]\s+"
    r"|[A-ZÀ-Þ]{3,}(?:[ -][A-ZÀ-Þ]{2,})*\s*[–—-]\s+)"
)
# Scrape residue that is never the story (lowercase): embedded-video captions glued to
# the text (OrangeSum: « …?par BFMTVConséquence »), links, credits, "read also" teasers.
# Plain substring tests: a regex alternation here cost more than the rest of the scoring.
_RESIDUE = ("http://", "https://", "www.", "©", "?par ", "lire aussi", "voir aussi", "crédit")
_CAPTION = re.compile(r"(?:vidéos?|photos?)\s*[-–:]")
# Direct speech in the first or second person (« Nous refermons un chapitre… ») is the
# least summary-like prose in news: on OrangeSum its bigram precision against the
# abstracts is 2.8 % vs 4.7 % for other sentences.
_FIRST_PERSON = frozenset(
    ["je", "nous", "vous", "mon", "ma", "mes", "notre", "nos", "votre", "vos", "we", "our", "my"]
)
# A sentence that opens on an anaphora or a connective leans on the one before it.
DANGLING_OPENING = re.compile(
    r"^(?:il|ils|elle|elles|cela|ça|mais|or|donc|ainsi|cependant|pourtant|en revanche|"
    r"par ailleurs|de son côté|pour sa part|he|she|they|it|but)\b",
    re.IGNORECASE,
)
_TRAILING_CLOSERS = "»”\"' )"


def story_candidates(text: str) -> list[Candidate]:
    """The text's sentences, cleaned of bylines, with their concepts and prior."""
    sentences: list[Candidate] = []
    for raw in split_sentences(text):
        sentence = _clean(raw, first=not sentences)
        words = count_words(sentence)
        if words == 0:
            continue
        lower = sentence.lower()
        tokens = TOKEN.findall(lower)
        prior = _position_prior(len(sentences)) - _PENALTY_WEIGHT * _penalty(sentence, lower, words)
        prior -= _FIRST_PERSON_WEIGHT * _first_person(lower, tokens) / words
        concepts = concepts_of(tokens)
        sentences.append(Candidate(len(sentences), sentence, words, concepts, prior, tuple(tokens)))
    return sentences


def _clean(sentence: str, *, first: bool) -> str:
    """Collapse runs of spaces; drop a byline or dateline opening the story."""
    sentence = _SPACES.sub(" ", sentence)
    if not first:
        return sentence
    stripped = _DATELINE.sub("", sentence, count=1)
    if stripped != sentence and count_words(stripped) >= 3:
        return stripped[0].upper() + stripped[1:]
    return sentence


def _first_person(lower: str, tokens: list[str]) -> int:
    pronouns = sum(map(_FIRST_PERSON.__contains__, tokens))
    return pronouns + lower.count("j'") + lower.count("j’")


def concepts_of(tokens: list[str]) -> frozenset[Concept]:
    """Content-word stems, and bigrams of adjacent stems unless both are stopwords."""
    content = [len(t) > 1 and t not in _STOPWORDS for t in tokens]
    stems = [t[:_STEM] for t in tokens]
    concepts: set[Concept] = {stem for stem, keep in zip(stems, content, strict=True) if keep}
    concepts.update(
        (a, b)
        for a, b, a_counts, b_counts in zip(stems, stems[1:], content, content[1:], strict=False)
        if a_counts or b_counts
    )
    return frozenset(concepts)


def _position_prior(rank: int) -> float:
    """Flat over the first three sentences, then falling off.

    A news lede spans the first few sentences; on OrangeSum (whose bodies start after the
    chapô) the 2nd and 3rd sentences are as close to the abstract as the 1st, the 4th
    much less (bigram precision 6.2, 8.0, 7.7, then 5.0 %).
    """
    return 1.0 if rank < 3 else 1.0 / (rank - 1)


def _penalty(sentence: str, lower: str, words: int) -> float:
    """How unfit a sentence is to stand alone in a summary, from 0 (fine) up."""
    penalty = 0.0
    end = sentence.rstrip(_TRAILING_CLOSERS)
    if any(marker in lower for marker in _RESIDUE) or _CAPTION.match(lower):
        penalty += 1.0
    if sentence[0] in '«“"':
        penalty += 0.3  # a quotation is rarely the news itself
    if end.endswith("?"):
        penalty += 0.3
    elif not end.endswith((".", "!", "…")):
        penalty += 0.3  # a heading or a caption, not a sentence
    if DANGLING_OPENING.match(sentence):
        penalty += 0.1
    if words < 6:
        penalty += 0.5
    return penalty
