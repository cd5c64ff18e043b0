"""Same story, several sources: group near-duplicate items into one story.

Two items are the same story when the TF-IDF cosine of their title and lead is high
(two feeds rewriting one press release, or a feed item and a document's story). Pairs
are found by a sparse matrix product in row blocks, so memory stays bounded at 20k items.
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.models import StoredItem
from digest.summarize.vectors import tfidf

SAME_STORY = 0.55  # cosine of title + lead; rewrites of one story score 0.6 and up
LEAD_WORDS = 120
BLOCK_ROWS = 2000


def group_duplicates(items: Sequence[StoredItem]) -> list[list[int]]:
    """Groups of item indexes, each the same story; groups in order of first item."""
    if len(items) < 2:
        return [[i] for i in range(len(items))]
    corpus = [_fingerprint(item) for item in items]
    _vectorizer, matrix = tfidf(corpus)
    import numpy as np

    parent = list(range(len(items)))
    for start in range(0, len(items), BLOCK_ROWS):
        block = (matrix[start : start + BLOCK_ROWS] @ matrix.T).tocoo()
        # Filter in numpy: at 10k items a block holds millions of weak similarities and
        # only a handful of duplicates; a Python loop over all of them was the build's
        # slowest step (bench/build.py).
        rows = block.row.astype(np.int64) + start
        keep = (block.data >= SAME_STORY) & (rows < block.col)
        for i, j in zip(rows[keep].tolist(), block.col[keep].tolist(), strict=True):
            _union(parent, i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(_find(parent, i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _fingerprint(item: StoredItem) -> str:
    lead = " ".join(item.text.split()[:LEAD_WORDS])
    return f"{item.title}. {item.title}. {lead}"  # the title counts twice: it names the story


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], a: int, b: int) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)
