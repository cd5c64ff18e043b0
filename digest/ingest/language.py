"""Language of a text: the declared one when there is one, else detected."""

from __future__ import annotations

import re
import threading
from typing import Any

_CODE = re.compile(r"^[a-z]{2,3}$")
MIN_CHARS = 40  # below this py3langid guesses; an unknown language is better than a wrong one


def normalise_language(tag: str | None) -> str | None:
    """'fr-FR', 'fr_fr', 'FR' -> 'fr'; None for what is not a language code
    (feeds write `<language>français (France)</language>` too)."""
    if not tag or not tag.strip():
        return None
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if _CODE.match(code) else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """The declared language if given, else py3langid's guess for texts long enough."""
    if declared := normalise_language(declared):
        return declared
    sample = " ".join(text.split())[:2000]
    if len(sample) < MIN_CHARS:
        return None
    language, _score = _classifier()(sample)
    return str(language)


def load_model() -> None:
    """Load the model now rather than on the first detection."""
    _classifier()


_LOADING = threading.Lock()
_classify: Any = None


def _classifier() -> Any:
    # Loaded on first use: the model costs about a second and `digest --help` must not pay
    # for it. py3langid loads it lazily without a lock, so eight fetch threads meeting
    # here at once loaded it eight times (bench/ingest.py): build it once, under a lock.
    global _classify
    with _LOADING:
        if _classify is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _classify = LanguageIdentifier.from_model_file(MODEL_FILE).classify
        return _classify
