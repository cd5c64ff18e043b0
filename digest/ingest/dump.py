"""Cut a dump of articles pasted one after another (seed 002) into one segment per article.

An FAQ closes an article (the first block after its last answer that is not a question
opens the next one). Where no FAQ marks the end, the vocabulary changes at the boundary
far more than anywhere inside an article, read one of two ways by the kind of span:

- plain paragraphs, news articles pasted together with nothing between them (issue 15,
  item 6): the global choice of boundaries of boundaries.py;
- articles sectioned by their own subheadings (seed 002): TextTiling (Hearst, 1997)
  reduced to what these texts need, cosine similarity of the word counts in a window
  before and after each candidate lede, where it is sure; and the bottom-up joining of
  paragraphs into pieces of one subject and one cast of names (topics.py). These keep a
  long sectioned article whole, where the global choice cuts it at its turns.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

from digest.ingest import boundaries, topics
from digest.ingest.segment import Segment, is_heading
from digest.sentences import count_words

_FAQ = re.compile(
    r"^(faq|foire aux questions|questions fréquentes|questions-réponses)\s*:?$", re.IGNORECASE
)
_WORD = re.compile(r"[\w’'-]+")
_ELISION = re.compile(r"^(?:l|d|qu|n|s|c|j|m|t)[’']")
_STOPWORDS = frozenset(
    [
        "alors",
        "après",
        "aussi",
        "autre",
        "autres",
        "avant",
        "avec",
        "avoir",
        "bien",
        "cela",
        "celle",
        "celles",
        "celui",
        "cette",
        "ceux",
        "chez",
        "comme",
        "dans",
        "depuis",
        "donc",
        "dont",
        "elle",
        "elles",
        "encore",
        "entre",
        "être",
        "fait",
        "faire",
        "leur",
        "leurs",
        "lors",
        "mais",
        "même",
        "moins",
        "nous",
        "notre",
        "peut",
        "plus",
        "pour",
        "quand",
        "quel",
        "quelle",
        "quelles",
        "quels",
        "sans",
        "selon",
        "sera",
        "sont",
        "sous",
        "toujours",
        "tous",
        "tout",
        "toute",
        "toutes",
        "très",
        "votre",
        "vous",
        "with",
        "that",
        "this",
        "from",
        "have",
        "their",
        "which",
        "about",
    ]
)

WINDOW_CHARS = 2500  # about two screens of text on each side of a candidate boundary
# Inside an article the windows score 0.2 and up (measured on seed 002). With the subject
# cuts beside them, the window cuts are kept only where they are sure: seed
# 002's boundary scores 0.038; 20 window cuts inside OrangeSum articles scored 0.027-0.148,
# 17 of them above 0.08 (the subject cuts find those boundaries on their own).
SURE_SIMILARITY = 0.06
MIN_ARTICLE_WORDS = 300
STRUCTURED_HEADINGS_PER_1000_WORDS = 4
LEDE_MIN_CHARS = 200  # an article opens with a long lede paragraph, never a heading
OPENING_MIN_CHARS = 100  # the subject cuts compare whole pieces, so a shorter lede will do


def cut_articles(blocks: list[str]) -> list[Segment]:
    """One segment per article, FAQs left out."""
    articles: list[Segment] = []
    for span in _split_at_faqs(blocks):
        terms = [_terms(block) for block in span]
        if _is_structured(span):
            cuts = _structured_cuts(span, terms)
        else:
            cuts = boundaries.article_starts(span, terms)
        bounds = sorted({0, *cuts, len(span)})
        for start, end in itertools.pairwise(bounds):
            articles.append(Segment(text="\n\n".join(span[start:end])))
    return articles


def _is_structured(span: list[str]) -> bool:
    """Whether the span's articles carry headings of their own (seed 002: 8 to 52 a
    thousand words); plain news articles pasted together have none (OrangeSum dumps: under
    2, the odd short line « "Oh mon Dieu! Ok! Ca y est! » read as one)."""
    headings = sum(1 for block in span if is_heading(block))
    return headings * 1000 >= STRUCTURED_HEADINGS_PER_1000_WORDS * max(1, _words(span))


def _structured_cuts(span: list[str], terms: list[Counter[str]]) -> set[int]:
    """Cuts in a span of articles with subheadings: where the window and the subject cuts
    are sure. The plain-prose cutter finds the turns inside a long sectioned article
    (seed 002: 16 false cuts in its 9 spans), where these keep its 10 articles."""
    return _window_cuts(span, terms, SURE_SIMILARITY) | topics.subject_cuts(
        span,
        terms,
        [_may_open(span, i) for i in range(len(span))],
        [count_words(block) for block in span],
    )


def _split_at_faqs(blocks: list[str]) -> list[list[str]]:
    spans: list[list[str]] = [[]]
    i = 0
    while i < len(blocks):
        if _FAQ.match(blocks[i]):
            i = _end_of_faq(blocks, i + 1)
            spans.append([])
            continue
        spans[-1].append(blocks[i])
        i += 1
    return [span for span in spans if span]


def _end_of_faq(blocks: list[str], i: int) -> int:
    """Index of the first block after the FAQ's question/answer pairs (one block each)."""
    while i < len(blocks) and _is_question(blocks[i]):
        i += 2  # the question and its answer
    return min(i, len(blocks))


def _is_question(block: str) -> bool:
    # A lede may end on a question too (seed 002's Prism article); an FAQ question is short.
    return block.rstrip().endswith("?") and len(block) < LEDE_MIN_CHARS


def _window_cuts(span: list[str], terms: list[Counter[str]], max_similarity: float) -> set[int]:
    """Where the vocabulary of the windows on each side of a lede differs most."""
    scored = sorted(
        (score, i)
        for i in range(1, len(span))
        if _is_candidate(span, i)
        for score in [_cosine(_window(span, terms, i - 1, -1), _window(span, terms, i, 1))]
        if score < max_similarity
    )
    cuts: list[int] = []
    for _score, i in scored:  # most dissimilar first, each side long enough to be an article
        bounds = sorted([0, *cuts, len(span)])
        before = max(b for b in bounds if b < i)
        after = min(b for b in bounds if b > i)
        if min(_words(span[before:i]), _words(span[i:after])) >= MIN_ARTICLE_WORDS:
            cuts.append(i)
    return set(cuts)


def _may_open(span: list[str], i: int) -> bool:
    """Whether paragraph i may be an article's lede, for the subject cuts: a paragraph of
    some length after one that is not a heading's line."""
    return i > 0 and len(span[i]) >= OPENING_MIN_CHARS and len(span[i - 1]) >= 50


def _is_candidate(span: list[str], i: int) -> bool:
    return len(span[i]) >= LEDE_MIN_CHARS and len(span[i - 1]) >= 50


def _window(span: list[str], terms: list[Counter[str]], start: int, step: int) -> Counter[str]:
    total: Counter[str] = Counter()
    chars, i = 0, start
    while 0 <= i < len(span) and chars < WINDOW_CHARS:
        total.update(terms[i])
        chars += len(span[i])
        i += step
    return total


def _terms(block: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in _WORD.findall(block.lower()):
        word = _ELISION.sub("", word).strip("’'-")
        if len(word) >= 4 and word not in _STOPWORDS and not word.isdigit():
            counts[word[:6]] += 1  # a crude stem: "modèle", "modèles" count together
    return counts


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[word] for word, count in a.items() if word in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _words(blocks: list[str]) -> int:
    return sum(count_words(b) for b in blocks)
