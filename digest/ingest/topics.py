"""Where the subject changes in a run of paragraphs: the boundaries between articles.

Takes a span's paragraphs with their term counts (dump._terms), whether each may open an
article (a lede: long enough, after a real paragraph) and its word count; gives the
indexes where a new article starts. Bottom-up: every paragraph starts as its own piece,
pieces too short to be an article join their closer neighbour, then the two adjacent
pieces most alike (cosine of their TF-IDF vectors, IDF over the span's paragraphs) join,
until no two neighbours are alike enough. A piece's vocabulary grows as it joins, so the
comparison gets surer as it goes, where a fixed window straddles two short articles.
Then each boundary moves by a paragraph where that paragraph reads more like the other
side (the joining is greedy: a short lede may have gone the wrong way). Last, a boundary
whose new lede names the people or places the piece before it named (two capitalised
names in common) is not a change of article but a turn in it.

Used since issue 15 item 6 for spans of articles with their own subheadings (seed 002),
which it keeps whole; plain prose goes to boundaries.py. Measured before that by
bench/cut.py on 30 dumps of 8 OrangeSum articles with no FAQ between them: article
starts found as story starts, precision 0.94 and recall 0.92; 13 of the 30 dumps cut into
exactly the 8 articles (on the 60-dump tune and held-out splits of today's bench: 12 and 27).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

MERGE_SIMILARITY = 0.10  # neighbours this alike (TF-IDF cosine) are one article
MIN_PIECE_WORDS = 200  # a news article is rarely shorter; a piece below it joins one
SHARED_NAMES = 2  # a lede naming this many of the previous piece's names continues it
# A capitalised word inside a sentence (after a word or a comma): a name, not a sentence start.
_NAME = re.compile(r"(?<=[\w,;’'] )([A-ZÀ-Ý][\w’'-]{2,})")


def subject_cuts(
    paragraphs: Sequence[str],
    terms: Sequence[Counter[str]],
    can_open: Sequence[bool],
    words: Sequence[int],
) -> set[int]:
    """Indexes of the paragraphs that open a new article (0 never is one)."""
    if len(paragraphs) < 2:
        return set()
    idf = _idf(terms)
    pieces: list[list[int]] = []
    for i in range(len(paragraphs)):
        if pieces and not can_open[i]:
            pieces[-1].append(i)  # only a lede can open an article
        else:
            pieces.append([i])
    vectors = [_sum(terms, piece) for piece in pieces]
    while len(pieces) > 1:
        similar = [_cosine(vectors[i], vectors[i + 1], idf) for i in range(len(pieces) - 1)]
        join = _short_piece_join(pieces, words, similar)
        if join is None:
            best = max(range(len(similar)), key=similar.__getitem__)
            if similar[best] < MERGE_SIMILARITY:
                break
            join = best
        pieces[join].extend(pieces.pop(join + 1))
        vectors[join].update(vectors.pop(join + 1))
    _settle_boundaries(pieces, terms, can_open, idf)
    return _keep_changes_of_names(paragraphs, pieces)


def _settle_boundaries(
    pieces: list[list[int]],
    terms: Sequence[Counter[str]],
    can_open: Sequence[bool],
    idf: dict[str, float],
) -> None:
    """Move each boundary by a paragraph where that paragraph reads more like the piece
    on the other side: the joining is greedy, and a short lede may have gone the wrong way."""
    for k in range(1, len(pieces)):
        before, after = pieces[k - 1], pieces[k]
        if len(before) > 1:  # the last paragraph before the boundary, if it opens `after`
            last = before[-1]
            rest = _sum(terms, before[:-1])
            if can_open[last] and _cosine(terms[last], _sum(terms, after), idf) > _cosine(
                terms[last], rest, idf
            ):
                after.insert(0, before.pop())
                continue
        if len(after) > 1 and can_open[after[1]]:  # the first after it, if it ends `before`
            first = after[0]
            rest = _sum(terms, after[1:])
            if _cosine(terms[first], _sum(terms, before), idf) > _cosine(terms[first], rest, idf):
                before.append(after.pop(0))


def _short_piece_join(
    pieces: list[list[int]], words: Sequence[int], similar: list[float]
) -> int | None:
    """The join that absorbs the shortest piece below the minimum, into its closer
    neighbour; None when every piece is long enough."""
    sizes = [sum(words[i] for i in piece) for piece in pieces]
    short = [i for i, size in enumerate(sizes) if size < MIN_PIECE_WORDS]
    if not short:
        return None
    i = min(short, key=sizes.__getitem__)
    if i == 0:
        return 0
    if i == len(pieces) - 1:
        return i - 1
    return i - 1 if similar[i - 1] >= similar[i] else i


def _keep_changes_of_names(paragraphs: Sequence[str], pieces: list[list[int]]) -> set[int]:
    cuts: set[int] = set()
    before = _names(paragraphs[i] for i in pieces[0])
    for piece in pieces[1:]:
        lede = _names(paragraphs[i] for i in piece[:2])
        if len(lede & before) < SHARED_NAMES:
            cuts.add(piece[0])
            before = set()
        before |= _names(paragraphs[i] for i in piece)
    return cuts


def _names(paragraphs: Iterable[str]) -> set[str]:
    return {name.lower() for text in paragraphs for name in _NAME.findall(text)}


def _idf(terms: Sequence[Counter[str]]) -> dict[str, float]:
    frequency: Counter[str] = Counter()
    for counts in terms:
        frequency.update(counts.keys())
    n = len(terms)
    return {term: math.log((n + 1) / (count + 0.5)) for term, count in frequency.items()}


def _sum(terms: Sequence[Counter[str]], piece: list[int]) -> Counter[str]:
    total: Counter[str] = Counter()
    for i in piece:
        total.update(terms[i])
    return total


def _cosine(a: Counter[str], b: Counter[str], idf: dict[str, float]) -> float:
    dot = sum(count * b[term] * idf[term] ** 2 for term, count in a.items() if term in b)
    norm_a = math.sqrt(sum((count * idf[term]) ** 2 for term, count in a.items()))
    norm_b = math.sqrt(sum((count * idf[term]) ** 2 for term, count in b.items()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0
