"""Themes: each story goes to the configured theme it fits best, or to « En bref ».

A theme is described by its title, description and keywords (feeds.yaml). A story's fit
is keyword evidence (a keyword in the title counts triple) plus the TF-IDF similarity of
the story to the theme's description. An editor's pin (by source or keyword) wins over
both, for the cases the model gets wrong.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from digest.models import BRIEF_THEME_ID
from digest.settings import Pin, Theme
from digest.summarize.vectors import fold, tfidf

MIN_FIT = 1.5  # below this no theme really fits: the story goes to « En bref »
TITLE_WEIGHT = 3.0
REPEAT_BONUS = 0.25  # a keyword met again adds a little, up to three times
SIMILARITY_WEIGHT = 10.0
TEXT_CHARS = 3000  # the lead of a story says what it is about; a long tail adds noise


@dataclass(frozen=True, slots=True)
class StoryText:
    """What theme assignment looks at."""

    title: str
    text: str
    sources: tuple[str, ...]


def assign_themes(
    stories: Sequence[StoryText], themes: Sequence[Theme], pins: Sequence[Pin]
) -> list[str]:
    """The theme id of each story (BRIEF_THEME_ID when none fits)."""
    if not themes:
        return [BRIEF_THEME_ID] * len(stories)
    chosen = []
    for story, fits in zip(stories, theme_fits(stories, themes), strict=True):
        pinned = _pinned_theme(story, pins) if pins else None
        if pinned is not None:
            chosen.append(pinned)
            continue
        best = max(range(len(themes)), key=lambda j: (fits[j], -j))  # ties: config order
        chosen.append(themes[best].id if fits[best] >= MIN_FIT else BRIEF_THEME_ID)
    return chosen


def theme_fits(stories: Sequence[StoryText], themes: Sequence[Theme]) -> list[list[float]]:
    """How well each story fits each theme: keyword evidence plus description similarity."""
    if not themes or not stories:  # nothing to fit (a config without themes: all briefs)
        return [[] for _ in stories]
    similarity = _similarities(stories, themes)
    all_fits = []
    for i, story in enumerate(stories):
        title, text = fold(story.title), fold(story.text[:TEXT_CHARS])
        in_title, in_text = _keyword_hits(title, themes), _keyword_hits(text, themes)
        all_fits.append(
            [
                _keyword_fit(in_title, in_text, theme) + SIMILARITY_WEIGHT * float(similarity[i][j])
                for j, theme in enumerate(themes)
            ]
        )
    return all_fits


def _pinned_theme(story: StoryText, pins: Sequence[Pin]) -> str | None:
    folded = fold(story.title) + " " + fold(story.text[:TEXT_CHARS])
    for pin in pins:
        if pin.source is not None and pin.source in story.sources:
            return pin.theme
        if pin.keyword is not None and _pattern(pin.keyword).search(folded):
            return pin.theme
    return None


def _keyword_fit(in_title: Counter[str], in_text: Counter[str], theme: Theme) -> float:
    """Keyword evidence: a keyword in the title counts triple, one met again a little more."""
    fit = 0.0
    for keyword in theme.keywords:
        key = fold(keyword)
        hits = in_text[key]
        fit += TITLE_WEIGHT * bool(in_title[key])
        fit += (1.0 + REPEAT_BONUS * min(hits - 1, 3)) if hits else 0.0
    return fit


def _keyword_hits(folded: str, themes: Sequence[Theme]) -> Counter[str]:
    """How often each keyword of any theme occurs: one pass of one pattern over the text
    (a pattern per keyword and theme was most of a 10k-item build)."""
    return Counter(match.group(1) for match in _all_keywords(tuple(themes)).finditer(folded))


@cache
def _all_keywords(themes: tuple[Theme, ...]) -> re.Pattern[str]:
    # Whole words, accent- and case-insensitive; a trailing s or x is allowed ("agent"
    # matches "agents", "réseau" matches "réseaux"). Longest first, so "modele de
    # langage" is one hit, not also a hit of "modele".
    words = sorted({fold(k) for t in themes for k in t.keywords}, key=lambda w: (-len(w), w))
    alternatives = "|".join(re.escape(w) for w in words) or "(?!)"
    return re.compile(rf"(?<![\w-])({alternatives})[sx]?(?![\w-])")


@cache
def _pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(fold(keyword))}[sx]?(?![\w-])")


def _similarities(stories: Sequence[StoryText], themes: Sequence[Theme]) -> list[list[float]]:
    theme_docs = [f"{t.title} {t.description} {' '.join(t.keywords)}" for t in themes]
    story_docs = [f"{s.title} {s.text[:TEXT_CHARS]}" for s in stories]
    _vectorizer, matrix = tfidf(theme_docs + story_docs)
    theme_rows, story_rows = matrix[: len(themes)], matrix[len(themes) :]
    return (story_rows @ theme_rows.T).toarray().tolist()  # type: ignore[no-any-return]
