"""How a set of a story's candidate sentences is valued, for the extractive summarizer.

Takes the candidates and the title's words; gives a `Valuer`: the weight of the concepts
a set of sentences covers, each counted once (so repeating oneself earns nothing), a
concept weighing as many sentences as repeat it (centrality) and much more if the title
names it (relevance), plus each sentence's own worth — its hand-set prior, and the
learned scorer's log-odds at the weight `mix` (scorer.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from digest.summarize.candidates import Candidate, Concept, concepts_of
from digest.summarize.scorer import LinearScorer, ScoredInput, feature_rows

# Concept weights: a title word weighs 6 times its sentence count, a bigram half a word.
# Integers and halves add up exactly in floating point, so the choice never depends on
# the (hash-randomised) order in which a set of concepts is summed.
_TITLE_FACTOR = 6
_BIGRAM_FACTOR = 0.5


def valuer(
    sentences: Sequence[Candidate], title_tokens: list[str], scorer: LinearScorer | None
) -> Valuer:
    """How a set of sentences is valued: concept coverage plus each sentence's own worth."""
    weights = concept_weights(sentences, concepts_of(title_tokens))
    # Only concepts that weigh something count; dropping the others keeps the unions small.
    covers = [frozenset(c for c in s.concepts if c in weights) for s in sentences]
    hand = [s.prior * s.words for s in sentences]
    if scorer is None or scorer.mix == 0:
        return Valuer(covers, weights, 1.0, hand)  # no weight on the score: skip its features
    inputs = scored_inputs(sentences, covers, weights)
    rows = feature_rows(inputs, title_tokens)
    # The learned score is added to the hand-set value, scaled to the story's best single
    # sentence so that `mix` means the same in a 5-sentence brief and a 60-sentence
    # article; `offset` sets how readily a sentence is added (the summary's length). Both
    # are chosen with the weights; mix = 0 is the hand-set scorer.
    scale = max(i.coverage + h for i, h in zip(inputs, hand, strict=True))
    scale = 1.0 / scale if scale > 0 else 1.0
    mix = scorer.mix
    own = [
        h * scale + mix * (scorer.score(row) + scorer.offset)
        for h, row in zip(hand, rows, strict=True)
    ]
    return Valuer(covers, weights, scale, own)


def scored_inputs(
    sentences: Sequence[Candidate],
    covers: Sequence[frozenset[Concept]],
    weights: dict[Concept, float],
) -> list[ScoredInput]:
    return [
        ScoredInput(s.text, s.tokens, s.words, s.prior, sum(weights[c] for c in cover))
        for s, cover in zip(sentences, covers, strict=True)
    ]


def concept_weights(
    sentences: Sequence[Candidate], title: frozenset[Concept]
) -> dict[Concept, float]:
    """A concept weighs the number of sentences that hold it, times more if in the title.

    A concept said once and not in the title weighs nothing: it is a detail.
    """
    frequency: Counter[Concept] = Counter()
    for sentence in sentences:
        frequency.update(sentence.concepts)
    weights: dict[Concept, float] = {}
    for concept, count in frequency.items():
        in_title = concept in title
        if count < 2 and not in_title:
            continue
        weight = count * (_TITLE_FACTOR if in_title else 1)
        weights[concept] = weight * _BIGRAM_FACTOR if isinstance(concept, tuple) else float(weight)
    return weights


@dataclass(frozen=True, slots=True)
class Valuer:
    """The value of a set of sentences: the weight of the concepts it covers, each counted
    once (so repeating oneself earns nothing), plus each sentence's own worth."""

    covers: Sequence[frozenset[Concept]]  # by sentence rank: the concepts that weigh
    weights: dict[Concept, float]
    coverage_weight: float
    own: Sequence[float]  # by sentence rank: the hand prior x words, or the learned score

    def __call__(self, subset: Sequence[Candidate]) -> float:
        covered = self.covers[subset[0].rank].union(*(self.covers[s.rank] for s in subset[1:]))
        weights = self.weights
        coverage = sum(weights[c] for c in covered)
        return self.coverage_weight * coverage + sum(self.own[s.rank] for s in subset)
