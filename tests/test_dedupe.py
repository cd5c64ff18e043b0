"""Near-duplicate grouping: the rare-term candidates plus the full check must group
exactly as the full pairwise cosine does, across row blocks."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from digest.ingest.documents import stories_from_document
from digest.sentences import split_sentences
from digest.summarize import dedupe
from digest.summarize.dedupe import SAME_STORY, group_duplicates
from digest.summarize.vectors import tfidf

from .conftest import DOCUMENTS


def real_stories() -> list[tuple[str, list[str]]]:
    stories = []
    for path in sorted(DOCUMENTS.glob("*.txt")):
        for draft in stories_from_document(path.read_bytes()):
            sentences = split_sentences(draft.text)
            if len(sentences) >= 2:
                stories.append((draft.title, sentences))
    return stories


def items_with_rewrites(count: int, seed: int) -> list[Any]:
    """Real stories, rewrites of them (cut, reordered, retitled) and mixtures of two, so
    that many pairs sit near the threshold from both sides."""
    rng = random.Random(seed)
    stories = real_stories()
    items = []
    for _ in range(count):
        title, sentences = rng.choice(stories)
        shape = rng.random()
        if shape < 0.3:  # a rewrite: fewer sentences, another order
            kept = sentences[: max(1, len(sentences) * rng.randint(5, 9) // 10)]
            text = " ".join(rng.sample(kept, len(kept)))
        elif shape < 0.6:  # its lede on another story's body
            _, other = rng.choice(stories)
            text = " ".join(sentences[: rng.randint(1, 3)] + other[: rng.randint(1, 6)])
            title = f"{title} {rng.choice(['', 'suite', 'analyse'])}".strip()
        else:
            text = " ".join(sentences)
        items.append(SimpleNamespace(title=title, text=text))
    return items


def brute_force_groups(items: list[Any]) -> list[list[int]]:
    _, matrix = tfidf([dedupe._fingerprint(item) for item in items])
    dense = matrix.toarray()
    cosine = dense @ dense.T
    parent = list(range(len(items)))
    for i, j in zip(*np.nonzero(np.triu(cosine >= SAME_STORY, k=1)), strict=True):
        dedupe._union(parent, int(i), int(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(dedupe._find(parent, i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("share", [0.01, 0.05, 0.2])  # few or many common terms
def test_groups_match_the_full_pairwise_cosine(
    seed: int, share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dedupe, "BLOCK_ROWS", 97)  # several blocks, uneven last one
    monkeypatch.setattr(dedupe, "COMMON_SHARE", share)
    items = items_with_rewrites(600, seed)
    expected = brute_force_groups(items)
    assert sum(len(g) > 1 for g in expected) > 15  # the set really has duplicates
    assert group_duplicates(items) == expected


def test_split_common_separates_terms_and_measures_the_common_part() -> None:
    from scipy.sparse import csr_matrix

    # Column 0 is in every row (common at a 50 % share); the others are rare.
    matrix = csr_matrix(np.array([[0.6, 0.8, 0.0], [0.8, 0.0, 0.6], [1.0, 0.0, 0.0]]))
    before = matrix.toarray().copy()
    rare, common_norm = dedupe._split_common(matrix, 0.5)
    np.testing.assert_allclose(rare.toarray(), [[0, 0.8, 0], [0, 0, 0.6], [0, 0, 0]])
    np.testing.assert_allclose(common_norm, [0.6, 0.8, 1.0])
    assert (matrix.toarray() == before).all()  # the input is left alone
