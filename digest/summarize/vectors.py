"""Text vectors for grouping: TF-IDF over accent-folded words (scikit-learn).

One vectorizer configuration for dedupe, themes and blurbs, so "similar" means the same
thing everywhere. scikit-learn is imported here only, on first use.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

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


def fold(text: str) -> str:
    """Lowercase without accents: 'Sécurité' and 'securite' are the same word here."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tfidf(corpus: Sequence[str], **options: Any) -> tuple[Any, Any]:
    """Fit a TF-IDF vectorizer on the corpus; return it and the L2-normalised matrix."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    # scikit-learn's own lowercasing, accent stripping and token pattern do what `tokens`
    # does, without a Python call per document (a third of a 10k-item build's time).
    settings: dict[str, Any] = {
        "lowercase": True,
        "strip_accents": "unicode",
        "token_pattern": TOKEN_PATTERN,
        "stop_words": sorted(STOPWORDS),
        "sublinear_tf": True,
        "dtype": np.float32,
    }
    settings.update(options)
    vectorizer = TfidfVectorizer(**settings)
    return vectorizer, vectorizer.fit_transform(corpus)
