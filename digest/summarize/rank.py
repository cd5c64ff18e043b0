"""Ranking: which stories lead a section, and which go to « En bref ».

A story ranks higher when more sources carry it, when its sources weigh more (feeds.yaml),
when it is recent within the period, and when it has substance (a two-line item is a
brief, not a lead).
"""

from __future__ import annotations

import math
from datetime import datetime

SOURCES_WEIGHT = 1.5
RECENCY_WEIGHT = 1.0
SUBSTANCE_WEIGHT = 1.0
EDITED_BONUS = 0.5  # a source that wrote its own « Enjeux et perspectives » did the editing


def story_score(
    *,
    sources: int,
    weight: float,
    published_at: datetime,
    period_start: datetime,
    period_end: datetime,
    words: int,
    edited: bool = False,
) -> float:
    span = max((period_end - period_start).total_seconds(), 1.0)
    age = min(max((period_end - published_at).total_seconds(), 0.0), span) / span
    return (
        SOURCES_WEIGHT * math.log2(1 + sources)
        + weight
        + RECENCY_WEIGHT * (1.0 - age)
        + SUBSTANCE_WEIGHT * min(math.log10(1 + words) / 3.0, 1.0)
        + (EDITED_BONUS if edited else 0.0)
    )
