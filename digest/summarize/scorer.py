"""The learned sentence scorer: cheap features of each sentence of a story, and a linear model.

Takes a story's sentences (text, lowercase tokens, word count, and the hand-set prior and
concept coverage the extractive summarizer already computes), gives one score per sentence:
the log-odds that the sentence belongs to the story's best extractive summary. The weights
are learned on OrangeSum dev by `bench/train_scorer.py` (logistic regression, k-fold
cross-validation over articles) and shipped as `scorer_weights.json`, versioned with its
feature list; run time needs no scikit-learn, only this dot product.

Features stay cheap on purpose: a build scores the sentences of 10k–20k items (issue 3's
targets: 10k items in ≤ 30 s), so no parser or NER runs here — capitalised tokens stand in
for named entities.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from digest.errors import DigestError
from digest.summarize.rules import main_entity, names_in

WEIGHTS_FILE = "scorer_weights.json"
# The features, in the order of the weights file. Changing one means retraining
# (bench/train_scorer.py) and bumping the file's version.
FEATURES = (
    "first",  # the first sentence
    "lede",  # one of the first three
    "inverse_rank",  # 1 / (rank + 1)
    "relative_position",  # rank / number of sentences
    "log_words",
    "short",  # under 6 words: a heading, a caption
    "long",  # over 35 words: rarely fits with another
    "centrality",  # TF-IDF cosine of the sentence to the whole story
    "title_overlap",  # share of the title's content stems the sentence holds
    "coverage",  # concept weight covered, relative to the story's best sentence
    "hand_prior",  # the extractive summarizer's hand-set position and fitness prior
    "capitalised",  # share of words capitalised past the first: names, places, brands
    "main_entity",  # names the story's most frequent capitalised word
    "number",  # holds a digit
    "quote",  # holds a quotation mark
    "opens_quote",
    "question",
    "unfinished",  # no final punctuation
    "connective",  # opens on a pronoun or connective that leans on the sentence before
    "first_person",  # first- or second-person pronouns per word
)

_STEM = 6
_CONNECTIVE = re.compile(
    r"^(?:il|ils|elle|elles|cela|ça|ce|cette|ces|mais|or|donc|ainsi|cependant|pourtant|"
    r"en revanche|par ailleurs|de son côté|pour sa part|he|she|they|it|but|this)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = frozenset(["je", "j", "nous", "vous", "mon", "ma", "mes", "notre", "nos"])
_TRAILING_CLOSERS = "»”\"' )"


@dataclass(frozen=True, slots=True)
class ScoredInput:
    """What the scorer needs of one sentence; the summarizer has computed all of it."""

    text: str
    tokens: Sequence[str]  # lowercase word tokens
    words: int
    prior: float  # the hand-set prior (position, fitness to stand alone)
    coverage: float  # weight of the story's concepts the sentence covers alone


@dataclass(frozen=True, slots=True)
class LinearScorer:
    """A linear model over standardised features: score = bias + Σ wᵢ (xᵢ − μᵢ) / σᵢ."""

    version: int
    features: tuple[str, ...]
    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    bias: float
    # How the summarizer mixes the score into its hand-set value (see coverage.valuer):
    # the weight of the learned score, and the offset that sets the summary's length.
    mix: float
    offset: float

    def score(self, row: Sequence[float]) -> float:
        total = self.bias
        for x, w, m, s in zip(row, self.weights, self.means, self.scales, strict=True):
            total += w * (x - m) / s
        return total


def feature_rows(
    sentences: Sequence[ScoredInput], title_tokens: Sequence[str]
) -> list[list[float]]:
    """One row of FEATURES per sentence, in the same order."""
    count = len(sentences)
    centrality = _centrality([s.tokens for s in sentences])
    title = {t[:_STEM] for t in title_tokens if len(t) > 2}
    best_coverage = max((s.coverage for s in sentences), default=0.0) or 1.0
    entity = main_entity([s.text for s in sentences])
    rows = []
    for rank, sentence in enumerate(sentences):
        stems = {t[:_STEM] for t in sentence.tokens}
        row = [
            float(rank == 0),
            float(rank < 3),
            1.0 / (rank + 1),
            rank / count,
            math.log(sentence.words),
            float(sentence.words < 6),
            float(sentence.words > 35),
            centrality[rank],
            len(title & stems) / len(title) if title else 0.0,
            sentence.coverage / best_coverage,
            sentence.prior,
            *_surface(sentence, entity),
        ]
        rows.append(row)
    return rows


def _surface(sentence: ScoredInput, entity: str | None) -> list[float]:
    """The features read off the sentence's own text."""
    text = sentence.text
    words = sentence.words
    names = names_in(text, opening=False)
    end = text.rstrip(_TRAILING_CLOSERS)
    return [
        len(names) / words,
        float(entity is not None and entity in names),
        float(any(c.isdigit() for c in text)),
        float(any(q in text for q in '«»“”"')),
        float(text[0] in '«“"'),
        float(end.endswith("?")),
        float(not end.endswith((".", "!", "…", "?"))),
        float(_CONNECTIVE.match(text) is not None),
        sum(map(_FIRST_PERSON.__contains__, sentence.tokens)) / words,
    ]


def _centrality(token_lists: Sequence[Sequence[str]]) -> list[float]:
    """TF-IDF cosine of each sentence to the story (IDF over the story's sentences)."""
    bags = [Counter(t[:_STEM] for t in tokens if len(t) > 2) for tokens in token_lists]
    frequency: Counter[str] = Counter()
    for bag in bags:
        frequency.update(bag.keys())
    count = len(bags)
    idf = {stem: math.log((1 + count) / (1 + df)) + 1.0 for stem, df in frequency.items()}
    story: Counter[str] = Counter()
    for bag in bags:
        story.update(bag)
    story_vector = {stem: tf * idf[stem] for stem, tf in story.items()}
    story_norm = math.sqrt(sum(v * v for v in story_vector.values())) or 1.0
    scores = []
    for bag in bags:
        vector = {stem: tf * idf[stem] for stem, tf in bag.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        dot = sum(v * story_vector[stem] for stem, v in vector.items())
        scores.append(dot / (norm * story_norm))
    return scores


def scorer_from_json(data: object, where: str) -> LinearScorer:
    """A LinearScorer from a parsed weights file, checked against FEATURES."""
    hint = "retrain with `.venv/bin/python bench/train_scorer.py --write`"
    if not isinstance(data, dict):
        raise DigestError(f"{where}: the scorer weights must be a JSON object", hint)
    try:
        features = tuple(data["features"])
        model = LinearScorer(
            version=int(data["version"]),
            features=features,
            weights=tuple(float(w) for w in data["weights"]),
            means=tuple(float(m) for m in data["means"]),
            scales=tuple(float(s) or 1.0 for s in data["scales"]),
            bias=float(data["bias"]),
            mix=float(data["selection"]["mix"]),
            offset=float(data["selection"]["offset"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DigestError(f"{where}: malformed scorer weights ({exc!r})", hint) from exc
    lengths = {len(model.weights), len(model.means), len(model.scales)}
    if features != FEATURES or lengths != {len(FEATURES)}:
        raise DigestError(f"{where}: the weights were trained on other features", hint)
    return model


@cache
def shipped_scorer() -> LinearScorer:
    """The weights shipped with the package, read once."""
    text = resources.files("digest.summarize").joinpath(WEIGHTS_FILE).read_text("utf-8")
    return scorer_from_json(json.loads(text), f"digest/summarize/{WEIGHTS_FILE}")
