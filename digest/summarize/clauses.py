"""French clause analysis for headlines: a parsed sentence's main clause, cut in three.

Takes a spaCy `Doc` (digest.nlp.french) of a lede sentence; gives its main clause as a
subject (appositions and dates left out), a verb group already written (a passé composé
of a regular -er verb turned to the present) and the complement's core (up to the first
subordinate clause, attribution or participle clause). `digest.summarize.headlines` fits
that into a headline.

The model (fr_core_news_md) mis-tags brand names (« OpenAI » as AUX, « Prism » as X), so
the rules lean on what is reliable: a finite verb is lowercase, commas and relative
pronouns bound clauses, and morphology tells a participle from a finite form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.summarize.tokens import morph
from digest.typography import MONTHS

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

CLAUSE_PUNCT = frozenset(",;:—–([.!?…")
CONTENT = frozenset(("NOUN", "PROPN", "ADJ", "NUM", "X"))
# Function words a headline never ends on (« … avec », « … de la »).
DANGLING = frozenset(("ADP", "DET", "CCONJ", "SCONJ", "PRON", "AUX", "PUNCT"))
# Words that open an attribution or a new clause inside the complement.
_CLAUSE_WORDS = frozenset(
    "selon afin tandis lorsque puisque car mais dont alors parce contrairement quant".split()
)
# « de » + infinitive after a noun completes the noun (« la possibilité de lancer »).
_NOUN_COMPLEMENT = frozenset(("de", "d’", "d'"))
QUE = frozenset(("que", "qu’", "qu'"))
_NEGATION = frozenset(("ne", "n’", "n'"))
_MONTHS = "|".join(MONTHS)
_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
# A date the lede gives for the event: the headline is read in the week, so it goes.
# « d'ici 2027 » is a horizon, not a date of the event: it stays.
_DATE = re.compile(
    rf"(?:\b(?:le|l['’]|en|au|du|dès|depuis|début|fin|mi-)\s*)?"
    rf"(?:\b(?:{_WEEKDAYS})\s+)?(?:\b\d{{1,2}}(?:er)?\s+)?\b(?:{_MONTHS})\b"
    r"(?:\s+(?:\d{4}|prochain|dernier)\b)?"
    rf"|\b(?i:{_WEEKDAYS})(?:\s+(?:soir|matin|midi|dernier|prochain))?\b"
    r"|\ben\s+\d{4}\b"
    r"|\b(?:hier|aujourd['’]hui|cette semaine|ce mois-ci|cette année)\b"
)
# -er verbs whose present stem changes (lever → lève, révéler → révèle, appeler →
# appelle, employer → emploie) and « aller »: their passé composé is kept as it is.
_STEM_CHANGE = re.compile(r"(?:e[^aeiouyéèêëh\W]|é[^aeiouyéèêëh\W]{1,2}|y)$")


@dataclass(frozen=True, slots=True)
class Clause:
    """The main clause cut in three: token spans of the subject and complement, and the
    verb group already written (conjugated)."""

    subject: list[Token]
    verb: str
    complement: list[Token]


# -- the main clause ------------------------------------------------------------------------


def main_clause(doc: Doc) -> Clause | None:
    dates = _date_tokens(doc)
    start = clause_start(doc)
    verb = _main_verb(doc, start)
    if verb is None:
        return None
    subject = [t for t in _outside_asides(doc[start : verb.i]) if t.i not in dates]
    clitics = _trailing_clitics(subject)
    subject = _core(subject[: len(subject) - len(clitics)])
    if not any(_names_something(t) for t in subject):
        return None  # no named subject (« Il a publié… »): nothing to build on
    written, after = _verb_group(doc, verb, clitics)
    return Clause(subject, written, _complement(doc, after, dates))


def _names_something(token: Token) -> bool:
    if token.pos_ in {"PRON", "DET"}:
        return False  # « Il », « Cette » : a reference, not a name
    return token.pos_ in CONTENT or token.text[:1].isupper()


def clause_start(doc: Doc) -> int:
    """Skip the lede's leading circumstances (« Trois mois après…, », « Dans cet… , »)."""
    start = 0
    while True:
        comma = next((t.i for t in doc[start:] if t.text == ","), None)
        if comma is None:
            return start
        segment = doc[start:comma]
        # « Alors que Renault…, dont 4 600 en France, la fermeture… »: the relative clause
        # inside the circumstance goes with it.
        continues = start > 0 and len(segment) > 0 and is_relative(segment[0])
        if not (continues or _is_circumstance(segment)):
            return start
        start = comma + 1


def is_relative(token: Token) -> bool:
    return token.pos_ == "PRON" and "Rel" in morph(token, "PronType")


def _is_circumstance(segment: Span) -> bool:
    if len(segment) == 0 or any(is_finite_verb(t) for t in segment):
        # « Si GPT-5.1 est une évolution, » has a verb but opens on « si »: still one.
        return len(segment) > 0 and segment[0].lower_ in {"si", "quand", "lorsque", "alors"}
    first = segment[0]
    if first.pos_ in {"ADP", "SCONJ", "ADV"}:
        return True
    heads = [t for t in segment if not (segment.start <= t.head.i < segment.end)]
    return bool(heads) and all(t.dep_.startswith(("obl", "advcl", "advmod")) for t in heads)


def is_finite_verb(token: Token) -> bool:
    # A French verb is lowercase mid-sentence; the model tags « OpenAI » AUX otherwise.
    if token.pos_ not in {"VERB", "AUX"} or "Fin" not in morph(token, "VerbForm"):
        return False
    # « de l’est parisien »: after an elided article or preposition it is a noun.
    previous = token.nbor(-1) if token.i > 0 else None
    elided = previous is not None and previous.pos_ in {"DET", "ADP"} and previous.text[-1] in "’'"
    return token.text[:1].islower() and not elided


def _main_verb(doc: Doc, start: int) -> Token | None:
    """The clause's first finite verb that is not in a relative clause (« X, qui a…, »)
    or in brackets."""
    relative = False
    depth = 0
    for token in doc[start:]:
        depth += (token.text == "(") - (token.text == ")")
        if token.text == ",":
            relative = False
        elif token.text in CLAUSE_PUNCT - {",", "("}:
            return None
        # « Un entretien que détaille Le Figaro »: before the main verb, « que » is relative.
        relative = relative or is_relative(token) or token.lower_ in QUE
        if is_finite_verb(token) and not relative and depth <= 0:
            return token
    return None


def _outside_asides(span: Span) -> list[Token]:
    """The subject without its appositions: what stands between two commas or in brackets
    goes (« OpenClaw, un agent…, a atteint »); after a single comma only the last part is
    the subject (« La maire de Paris, Anne Hidalgo a révélé »)."""
    segments: list[list[Token]] = [[]]
    depth = 0
    for token in span:
        depth += (token.text == "(") - (token.text == ")")
        if token.text == "," and depth <= 0:
            segments.append([])
        elif depth <= 0 and token.text != ")":
            segments[-1].append(token)
    if len(segments) % 2 == 0:  # an odd number of commas
        return segments[-1]
    return [t for i, segment in enumerate(segments) for t in segment if i % 2 == 0]


def _core(subject: list[Token]) -> list[Token]:
    """The subject up to its first clause boundary (« une opération menée par… »)."""
    for i, token in enumerate(subject):
        if i and _ends_complement(token, has_noun=any(t.pos_ in CONTENT for t in subject[:i])):
            return subject[:i]
    return subject


def _trailing_clitics(subject: list[Token]) -> list[Token]:
    """« se », « l’ », « ne » before the verb belong to the verb group, not the subject."""
    clitics: list[Token] = []
    for token in reversed(subject):
        if token.lower_ in _NEGATION or (token.pos_ == "PRON" and token.text[:1].islower()):
            clitics.insert(0, token)
        else:
            break
    return clitics


# -- the verb group ---------------------------------------------------------------------------


def _verb_group(doc: Doc, verb: Token, clitics: list[Token]) -> tuple[str, int]:
    """The verb group as written in the headline, and the index where the complement starts."""
    i = verb.i + 1
    adverbs = []
    while i < len(doc) and doc[i].pos_ == "ADV" and doc[i].text[:1].islower():
        adverbs.append(doc[i])
        i += 1
    nxt = doc[i] if i < len(doc) else None
    plain = clitics == []
    if nxt is not None and verb.lemma_ == "avoir" and _is_past_participle(nxt):
        present = _present(nxt.lemma_, verb) if plain else None
        if present:  # « Zilliz a publié » → « Zilliz publie »
            return _words(present, *adverbs), i + 1
        return _words(*clitics, verb, *adverbs, nxt), i + 1
    if nxt is not None and verb.lemma_ == "venir" and nxt.lower_ in {"de", "d’", "d'"}:
        infinitive = doc[i + 1] if i + 1 < len(doc) else None
        if infinitive is not None and "Inf" in morph(infinitive, "VerbForm"):
            present = _present(infinitive.lemma_, verb) if plain else None
            if present:  # « Fiverr vient de créer » → « Fiverr crée »
                return _words(present, *adverbs), i + 2
    if nxt is not None and verb.lemma_ == "être" and _is_past_participle(nxt):
        return _words(*clitics, verb, *adverbs, nxt), i + 1  # « seront automatisées »: kept
    return _words(*clitics, verb), verb.i + 1


def _is_past_participle(token: Token) -> bool:
    return "Part" in morph(token, "VerbForm") and "Past" in morph(token, "Tense")


def _present(lemma: str, finite: Token) -> str | None:
    """The present indicative of a regular -er verb, in the person of `finite`, or None."""
    lemma = lemma.lower()
    if not lemma.endswith("er") or lemma == "aller" or not lemma.isalpha():
        return None
    stem = lemma[:-2]
    if not stem or _STEM_CHANGE.search(stem):
        return None
    plural = "Plur" in morph(finite, "Number")
    return stem + ("ent" if plural else "e")


def _words(*parts: Token | str) -> str:
    """Tokens and words joined as written (an elided « l’ » or « n’ » glued to what follows)."""
    out = ""
    for part in parts:
        text = part if isinstance(part, str) else part.text
        out += text if out.endswith(("’", "'")) or not out else " " + text
    return out


# -- the complement ---------------------------------------------------------------------------


def _complement(doc: Doc, start: int, dates: set[int]) -> list[Token]:
    """The complement's core, dates left out: up to the first clause boundary (punctuation,
    a relative pronoun, an attribution, or an infinitive, gerund or participle after a noun)."""
    kept: list[Token] = []
    for token in doc[start:]:
        if token.i in dates:
            continue
        if _ends_complement(token, has_noun=any(t.pos_ in CONTENT for t in kept)):
            break
        kept.append(token)
    return kept


def _ends_complement(token: Token, has_noun: bool) -> bool:
    if token.text in CLAUSE_PUNCT or token.lower_ in _CLAUSE_WORDS:
        return True
    if is_relative(token) and (has_noun or token.lower_ not in QUE):
        return True  # (right after the verb, « qu’ » opens what it reports: it stays)
    if not has_noun:
        return False  # « révèle que … », « décide de … »: the verb's own complement
    nxt = token.nbor() if token.i + 1 < len(token.doc) else None
    if token.pos_ == "SCONJ" or (token.pos_ == "ADP" and nxt is not None and nxt.pos_ == "SCONJ"):
        return True  # « … depuis que des médias ont rapporté … »
    if token.pos_ == "ADP" and token.lower_ not in _NOUN_COMPLEMENT:
        return nxt is not None and _is_nonfinite(nxt)  # « pour investir… », « en transformant… »
    # « un modèle … destiné à identifier… »: a participle with its own complements.
    return _is_past_participle(token) and token.dep_ == "acl" and any(token.children)


def _is_nonfinite(token: Token) -> bool:
    # The ending is checked too: the model tags English words as verbs (« de semantic »).
    forms, word = morph(token, "VerbForm"), token.lower_
    if "Inf" in forms:
        return word.endswith(("er", "ir", "re"))
    return "Part" in forms and "Pres" in morph(token, "Tense") and word.endswith("ant")


def _date_tokens(doc: Doc) -> set[int]:
    """Indices of the tokens inside a date the sentence gives (« le 30 janvier 2026 »)."""
    spans = [m.span() for m in _DATE.finditer(doc.text)]
    return {t.i for t in doc for a, b in spans if a <= t.idx < b}
