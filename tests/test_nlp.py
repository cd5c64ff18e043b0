"""The parses of one build: each distinct text through the French pipeline once, and the
optional components run later giving what the whole pipeline gives."""

from __future__ import annotations

from spacy.tokens import Doc

from digest.nlp import Parses, french

SENTENCES = [
    "Le 18 mars, l’entreprise a annoncé Stable Virtual Camera, un nouveau modèle génératif.",
    "Cela ouvre la voie à une IA véritablement embarquée.",
    "La startup new-yorkaise Runway a dévoilé son nouveau modèle Gen-4.",
]


def _annotations(doc: Doc) -> list[tuple[str, str, str, int, str, str]]:
    return [(t.text, t.pos_, t.dep_, t.head.i, str(t.morph), t.lemma_) for t in doc]


def _entities(doc: Doc) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in doc.ents]


def test_each_distinct_text_is_parsed_once_whichever_pass_asks() -> None:
    parses = Parses()
    first = parses(SENTENCES[:2])
    again = parses([SENTENCES[1], SENTENCES[2], SENTENCES[1]], entities=True)
    assert parses.texts_parsed == 3
    assert again[0] is first[1] and again[2] is first[1]  # the same Doc, shared
    assert parses([]) == [] and parses.texts_parsed == 3


def test_optional_components_run_later_give_what_the_whole_pipeline_gives() -> None:
    parses = Parses()
    bare = parses(SENTENCES)
    assert all(t.lemma_ == "" for doc in bare for t in doc)  # not asked: not run
    assert not any(doc.ents for doc in bare)
    annotated = parses(SENTENCES, lemmas=True, entities=True)
    whole = list(french().pipe(SENTENCES))
    assert [_annotations(d) for d in annotated] == [_annotations(d) for d in whole]
    assert [_entities(d) for d in annotated] == [_entities(d) for d in whole]
    assert any(_entities(d) for d in whole)  # the comparison compared something
