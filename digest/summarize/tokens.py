"""Typed reads of a parsed token's morphology, for the editorial passes (clauses, stakes).

spaCy's stub declares `MorphAnalysis.get(field, default)` with the default required; spaCy
itself makes it optional and returns `[]` for an unset feature. The wrapper says what the
code relies on, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Token


def morph(token: Token, field: str) -> list[str]:
    """The values of one morphological feature (« Number » → ["Plur"]); [] when unset."""
    return token.morph.get(field, [])
