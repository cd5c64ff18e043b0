"""Where one article ends and the next begins in a run of plain paragraphs (issue 15, item 6).

Takes a span's paragraphs, with no FAQ or heading between its articles, and their term
counts (dump._terms); gives the indexes of the paragraphs that open a new article. The
choice is global: of all the ways to cut the span, the one whose pieces each read most like
one text, found by dynamic programming. A piece's score is the probability of its words
under a Dirichlet-multinomial (the model of BayesSeg, Eisenstein and Barzilay, 2008): an
article repeats its own words, its names and its subject, so the words of one article
score better together than apart, and two articles score better apart. Each cut costs a
fixed amount, the prior against cutting, so the number of articles comes out of the text.
A paragraph may open an article only where a writer would start one (`_opening_cost`).

Measured by bench/cut.py on 60 dumps of 8 OrangeSum articles (real French news, no FAQ
or heading between them; each article in at most ceil(480 / available) dumps), tuned on its
`tune` half only. Tune: precision/recall of the article starts 0.97/0.97, 44 of 60 dumps
cut into exactly their 8 articles, 0.93 of the articles whole (the cutter before: 0.94/0.90,
20, 0.79). Held-out: 0.93/0.94, 29 of 60, 0.84 (before: 0.95/0.91, 24, 0.82); over six
draws of the held-out dumps, 25 to 33 exact (before 20 to 30), better in five. What it
still gets wrong on unseen text: a long article cut where its subject turns.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from digest.sentences import count_words

# The Dirichlet prior's total mass, and the cost of a cut. Tuned together on bench/cut.py's
# tune split over dumps of 1 to 16 articles: a larger mass or cost cuts less. The cost
# grows as the span's vocabulary shrinks, by COST_PER_VOCABULARY_NAT per halving-ish of it
# (per nat of log V): with the mass fixed, a small span's words weigh more, and a
# two-article dump or a lone article was cut in three at a fixed cost (precision 0.47 on
# two-article dumps), where a 16-article dump lost a fifth of its boundaries.
PRIOR_MASS = 200.0
CUT_COST = 35.0  # at REFERENCE_VOCABULARY, about that of a dump of 8 news articles
COST_PER_VOCABULARY_NAT = 5.0
REFERENCE_VOCABULARY = 2000
SHORT_LEDE_CHARS = 100
SHORT_LEDE_COST = 5.0  # a short opening paragraph is rarer, but real: « "Oh mon Dieu! Ok! »
HEADING_LIKE_CHARS = 50  # a line this short without a sentence's end labels what follows
# An article longer than this is cut anyway: the bound keeps the search linear in the
# span's length (a 5 MB document), and no article of the seeds or of OrangeSum comes near.
MAX_ARTICLE_WORDS = 5000

_SENTENCE_END = re.compile(r"[.!?…»\"”)]\s*$")
# A paragraph ending on a title runs on into the next: « a rappelé M. » | « Trpak. ».
_TITLE_AT_END = re.compile(r"(?:^|\s)(?:M|MM|Mme|Mmes|Mlle|Me|Dr|Pr|St|Ste)\.\s*$")
# The first quotation mark of a paragraph, told opening or closing (straight quotes by
# their sides: a closing one follows a word and is followed by a space or a punctuation).
_QUOTE = re.compile(r'(?P<closing>(?<=\S)"(?=[\s.,;:!?)]|$)|[»”])|(?P<opening>"|[«“])')
# A credit or source line closes an article, never opens one: « Source : Reuters »,
# « Crédit illustration : SCG », « Photo : … », « (avec AFP) ».
_CREDIT = re.compile(
    r"^(?:\W*(?:sources?|cr[ée]dits?(?:\s+(?:photos?|illustrations?))?|photos?|illustrations?)"
    r"\s*:|\(avec [^)]{1,40}\)\s*$)",
    re.IGNORECASE,
)


def article_starts(paragraphs: Sequence[str], terms: Sequence[Counter[str]]) -> set[int]:
    """Indexes of the paragraphs that open a new article (0 never is one)."""
    count = len(paragraphs)
    if count < 2:
        return set()
    costs = [0.0, *(_opening_cost(paragraphs, i) for i in range(1, count)), 0.0]
    model = _Model(terms)
    words = [count_words(p) for p in paragraphs]
    best = [math.inf] * (count + 1)
    best[0] = 0.0
    back = [0] * (count + 1)
    for start in range(count):
        opening = costs[start]
        if opening is None or best[start] == math.inf:
            continue
        for end, piece in model.pieces(start, words):
            if end < count and costs[end] is None:
                continue  # the piece would end where no article may start
            total = best[start] + piece + opening
            if total < best[end]:
                best[end], back[end] = total, start
    return _starts_of(back, count)


class _Model:
    """The cost of a piece: minus the log of its words' probability, plus the cut's cost."""

    def __init__(self, terms: Sequence[Counter[str]]) -> None:
        self.terms = terms
        self.sizes = [sum(counts.values()) for counts in terms]
        vocabulary: Counter[str] = Counter()
        for counts in terms:
            vocabulary.update(counts)
        types = max(1, len(vocabulary))
        alpha = PRIOR_MASS / types
        # log Γ(k + α) for every count a term can reach in the span, looked up, not computed
        self.log_gamma = [
            math.lgamma(k + alpha) for k in range(max(vocabulary.values(), default=0) + 1)
        ]
        self.cut = CUT_COST - COST_PER_VOCABULARY_NAT * math.log(types / REFERENCE_VOCABULARY)

    def pieces(self, start: int, words: Sequence[int]) -> list[tuple[int, float]]:
        """(end, cost) of each piece starting at `start`, paragraph by paragraph."""
        counts: Counter[str] = Counter()
        log_gamma = self.log_gamma
        terms_part = 0.0  # Σ over terms of log Γ(f + α) − log Γ(α)
        size = length = 0
        out = []
        for end in range(start + 1, len(self.terms) + 1):
            for term, n in self.terms[end - 1].items():
                f = counts[term]
                terms_part += log_gamma[f + n] - log_gamma[f]
                counts[term] = f + n
            size += self.sizes[end - 1]
            length += words[end - 1]
            if length > MAX_ARTICLE_WORDS and end > start + 1:
                break
            log_probability = math.lgamma(PRIOR_MASS) - math.lgamma(size + PRIOR_MASS) + terms_part
            out.append((end, self.cut - log_probability))
        return out


def _opening_cost(paragraphs: Sequence[str], i: int) -> float | None:
    """What it costs to open an article at paragraph i; None where no writer would."""
    previous, paragraph = paragraphs[i - 1], paragraphs[i]
    if _is_label(previous) and not _CREDIT.match(previous):
        return None  # a heading or a label belongs to the paragraph after it
    if _TITLE_AT_END.search(previous) or _starts_inside_quote(paragraph):
        return None  # the previous sentence, or a quotation, runs on into this paragraph
    if len(paragraph) < SHORT_LEDE_CHARS and _CREDIT.match(paragraph):
        return None  # it ends the article before it
    return SHORT_LEDE_COST if len(paragraph) < SHORT_LEDE_CHARS else 0.0


def _is_label(paragraph: str) -> bool:
    return len(paragraph) < HEADING_LIKE_CHARS and not _SENTENCE_END.search(paragraph)


def _starts_inside_quote(paragraph: str) -> bool:
    """Whether the paragraph's first quotation mark closes one: « …récupérer." »."""
    first = _QUOTE.search(paragraph)
    return bool(first and first["closing"])


def _starts_of(back: list[int], end: int) -> set[int]:
    starts: set[int] = set()
    while end > 0:
        end = back[end]
        if end:
            starts.add(end)
    return starts
