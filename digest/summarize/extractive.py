"""The default story summarizer: takes a story's text (and title), gives 1–3 of its sentences.

Embedded, offline, French-aware and deterministic. The story is cut by the shared sentence
splitter; each sentence is lightly cleaned (bylines, datelines) and described by the
*concepts* it covers (content-word stems and stem bigrams). The summary is the set of at
most `max_sentences` sentences, within the word budget, that covers the most weight of
concepts — a concept weighs as many sentences as repeat it (centrality), much more if the
title names it (relevance) — plus a per-word prior for the lede position and against
sentences that read badly alone (quotes, questions, captions), plus the learned sentence
scorer's log-odds (scorer.py, trained by bench/train_scorer.py) at the weight `mix` that
cross-validation chose — 0 in the shipped weights, as it did not beat the hand-set value
out of sample on OrangeSum. Counting each
concept once per summary is what removes redundancy. Two editorial rules follow
(rules.py): a sentence repeating the title is never chosen, and the story's subjects are
named. Bench: bench/orangesum.py.

This module chooses; its parts are candidates.py (the sentences, cleaned, with their
concepts and prior), coverage.py (what a set of them is worth) and selection.py (the best
set within the budget and the limits, its subjects named).

Pure Python on purpose: a build summarizes 10k–20k items; a story has a few dozen
sentences, and numpy's per-call overhead would cost more than the arithmetic.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from digest.summarize.candidates import TOKEN, Candidate, concepts_of, story_candidates
from digest.summarize.coverage import concept_weights, scored_inputs, valuer
from digest.summarize.rules import repeats_title
from digest.summarize.scorer import LinearScorer, feature_rows, shipped_scorer
from digest.summarize.selection import Choice, Limits

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Summary:
    """A story summary: the chosen sentences, in text order."""

    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass(frozen=True, slots=True)
class Fitness:
    """Which of a story's candidate sentences (by rank) may stand in its summary (issue 11).

    `rejected` ones never do (an instruction, a placeholder, a fragment); `leaning` ones
    open on a reference and are used only right after the sentence before them, unless
    they have a form that stands `alone`.
    Computed by standalone.py, with the French pipeline, for the build's finalists.
    """

    rejected: frozenset[int] = frozenset()
    leaning: frozenset[int] = frozenset()
    # A leaning sentence that stands alone once its opening connective goes (« En
    # parallèle, OpenAI… » → « OpenAI… »): printed so when chosen without the one before.
    alone: Mapping[int, str] = field(default_factory=dict)


def summarize_story(
    text: str,
    title: str | None = None,
    *,
    max_words: int = 40,
    max_sentences: int = 3,
    scorer: LinearScorer | None = None,
    learned: bool = True,
    fitness: Fitness | None = None,
) -> Summary:
    """The story's most representative sentences within a word budget, in text order.

    `scorer` replaces the shipped learned weights (cross-validation trains its own);
    `learned=False` ranks by the hand-set prior alone, the scorer before issue 11.
    `fitness` says which sentences stand alone; if none of them can make a summary, the
    choice is made without it (the least bad, as before) and logged.
    """
    if max_words < 1 or max_sentences < 1:
        raise ValueError("max_words and max_sentences must be at least 1")
    sentences = story_candidates(text)
    if not sentences:
        return Summary(())
    title_tokens = TOKEN.findall((title or "").lower())
    value = valuer(sentences, title_tokens, (scorer or shipped_scorer()) if learned else None)
    # A sentence that is the title again is never chosen (issue 11: 14 of 45 entries).
    excluded = frozenset(s.rank for s in sentences if repeats_title(s.text, title))
    choice = Choice(sentences, value, (max_words, max_sentences), title)
    if fitness is not None:
        limits = Limits(excluded | fitness.rejected, fitness.leaning - fitness.alone.keys())
        fit = choice.made(limits)
        if fit is not None:
            return _standing_alone(Summary(fit), sentences, fitness.alone)
        log.info("no sentence of %r stands alone: its summary may not", title or text[:60])
    return Summary(choice.made(Limits(excluded)) or ())  # None: the story is its title


def _standing_alone(
    summary: Summary, sentences: Sequence[Candidate], alone: Mapping[int, str]
) -> Summary:
    """The summary with each sentence chosen without its antecedent in its standalone form."""
    ranks = {s.text: s.rank for s in sentences}
    # None: a lone sentence trimmed to the word budget is no longer a candidate's text.
    chosen = [ranks.get(text) for text in summary.sentences]
    return Summary(
        tuple(
            alone[rank] if rank is not None and rank in alone and rank - 1 not in chosen else text
            for text, rank in zip(summary.sentences, chosen, strict=True)
        )
    )


def candidate_sentences(text: str) -> list[str]:
    """The story's sentences as the summarizer sees them, by rank (what `Fitness` indexes)."""
    return [s.text for s in story_candidates(text)]


def scorer_inputs(text: str, title: str | None = None) -> tuple[list[str], list[list[float]]]:
    """The story's candidate sentences and their learned-scorer features (for training)."""
    sentences = story_candidates(text)
    if not sentences:
        return [], []
    title_tokens = TOKEN.findall((title or "").lower())
    weights = concept_weights(sentences, concepts_of(title_tokens))
    covers = [frozenset(c for c in s.concepts if c in weights) for s in sentences]
    rows = feature_rows(scored_inputs(sentences, covers, weights), title_tokens)
    return [s.text for s in sentences], rows
