"""Same story, several sources: group near-duplicate items into one story.

Two items are the same story when the TF-IDF cosine of their title and lead is high
(two feeds rewriting one press release, or a feed item and a document's story).

All pairs above the threshold are found exactly, without the full sparse product, whose
size grew with the square of the items through the common words (a 10k-item build spent
5 s here, a 20k one 16 s). The vocabulary is split into rare and common terms (those in
more than COMMON_SHARE of the items). For unit vectors x and y, the two parts share no
term, so x.y = rare(x).rare(y) + common(x).common(y), and the second part is at most
|common(x)| |common(y)|. Hence:
- a pair sharing rare terms can reach SAME_STORY only if rare(x).rare(y) is at least
  SAME_STORY - |common(x)| |common(y)|: those candidates come from the product of the
  rare parts (in row blocks, so memory stays bounded);
- a pair sharing none has x.y <= |common(x)| |common(y)|, so both norms are at least
  SAME_STORY: those few items are compared with each other in full.
Every candidate is then checked with its full vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from digest.models import StoredItem
from digest.summarize.vectors import tfidf

SAME_STORY = 0.55  # cosine of title + lead; rewrites of one story score 0.6 and up
LEAD_WORDS = 120
BLOCK_ROWS = 2000
COMMON_SHARE = 0.02  # a term in more than this share of the items is common


def group_duplicates(items: Sequence[StoredItem]) -> list[list[int]]:
    """Groups of item indexes, each the same story; groups in order of first item."""
    if len(items) < 2:
        return [[i] for i in range(len(items))]
    corpus = [_fingerprint(item) for item in items]
    _vectorizer, matrix = tfidf(corpus)
    matrix = matrix.tocsr()
    rare, common_norm = _split_common(matrix, COMMON_SHARE)
    parent = list(range(len(items)))

    def merge(first: Any, second: Any) -> None:
        cosine = np.asarray(matrix[first].multiply(matrix[second]).sum(axis=1)).ravel()
        same = cosine >= SAME_STORY
        for i, j in zip(first[same].tolist(), second[same].tolist(), strict=True):
            _union(parent, i, j)

    def candidates(vectors: Any, bound: Callable[[Any, Any], Any]) -> Iterator[tuple[Any, Any]]:
        """Pairs (i < j) of rows of `vectors` whose product reaches bound(i, j)."""
        for start in range(0, vectors.shape[0], BLOCK_ROWS):
            block = (vectors[start : start + BLOCK_ROWS] @ vectors.T).tocoo()
            rows = block.row.astype(np.int64) + start
            cols = block.col.astype(np.int64)
            keep = (rows < cols) & (block.data >= bound(rows, cols) - 1e-6)  # float32
            yield rows[keep], cols[keep]

    for first, second in candidates(
        rare, lambda i, j: SAME_STORY - common_norm[i] * common_norm[j]
    ):
        merge(first, second)
    mostly_common = np.flatnonzero(common_norm >= SAME_STORY - 1e-6)
    for first, second in candidates(matrix[mostly_common], lambda i, j: SAME_STORY):
        merge(mostly_common[first], mostly_common[second])
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(_find(parent, i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _split_common(matrix: Any, share: float) -> tuple[Any, Any]:
    """The matrix without its common terms (columns in more than `share` of the rows),
    and each row's norm over the common terms alone."""
    frequency = np.bincount(matrix.indices, minlength=matrix.shape[1])
    common = frequency > max(1, share * matrix.shape[0])
    is_common = common[matrix.indices]
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    common_norm = np.sqrt(
        np.bincount(rows[is_common], weights=matrix.data[is_common] ** 2, minlength=matrix.shape[0])
    )
    rare = matrix.copy()
    rare.data[is_common] = 0
    rare.eliminate_zeros()
    return rare, common_norm


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
