"""Text vectors for grouping: TF-IDF over accent-folded words (scikit-learn).

One vectorizer configuration for dedupe, themes and blurbs, so "similar" means the same
thing everywhere. scikit-learn is imported here only, on first use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

# French and English function words; TF-IDF would discount them anyway, but they also
# make spurious overlaps between short texts (titles, keywords).
STOPWORDS = frozenset(
    """
a au aux avec ce ces cet cette dans de des du elle elles en est et eux il ils je la le les
leur leurs lui mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa
se ses son sont sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y ete etre
avoir fait plus tres tout tous toute toutes aussi comme si sans sous entre vers chez apres
avant depuis encore deja bien peut dont ainsi alors donc car ni or cela ca ceux celle celui
the of and to in is for on that with as it this are by an be at from or was were has have
had not but its their they will would can could more than which who what when
""".split()
)
TOKEN_PATTERN = r"(?u)\b[a-z0-9][a-z0-9+.-]*[a-z0-9+]"  # two characters or more


# The Unicode blocks of combining diacritical marks (Latin, Greek, Cyrillic accents).
# Words are ASCII-only tokens (TOKEN_PATTERN), so the marks of other scripts, which a
# per-character unicodedata.combining() test would also drop, never reach a token.
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lowercase without accents: 'Sécurité' and 'securite' are the same word here.
    One regex pass: a Python loop per character (here and in scikit-learn's
    strip_accents) was half of a 20k-item build's dedupe time (bench/build.py)."""
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text.lower()))


def tfidf(corpus: Sequence[str], **options: Any) -> tuple[Any, Any]:
    """Fit a TF-IDF vectorizer on the corpus; return it and the L2-normalised matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # lazy: ~0.5 s of imports (SciPy)

    # fold is the preprocessor (lowercase, no accents); scikit-learn's token pattern
    # splits words without a Python call per token.
    settings: dict[str, Any] = {
        "preprocessor": fold,
        "token_pattern": TOKEN_PATTERN,
        "stop_words": sorted(STOPWORDS),
        "sublinear_tf": True,
        "dtype": np.float32,
    }
    settings.update(options)
    vectorizer = TfidfVectorizer(**settings)
    return vectorizer, vectorizer.fit_transform(corpus)
