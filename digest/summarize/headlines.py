"""Headlines for untitled stories: a lede's first sentence becomes a short news headline.

Takes the parsed first sentence of a story (a spaCy `Doc` from `digest.nlp.Parses`); gives
a headline of at most 12 words with no ellipsis (issue 11, item 4): the main clause's
subject, its verb (a passé composé turned to the present where that is a simple
conjugation) and the core of its complement, without the lede's circumstance, dates,
appositions and subordinate clauses, stopped at a phrase boundary. When the parse gives
nothing usable, the shortest clean clause of the sentence is used instead.

The clause analysis is digest.summarize.clauses; this module fits its result into a
headline, and falls back to a clause of the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from digest.models import StoredItem
from digest.nlp import Parses
from digest.sentences import count_words, split_sentences
from digest.summarize.clauses import (
    CLAUSE_PUNCT,
    DANGLING,
    QUE,
    Clause,
    clause_start,
    is_finite_verb,
    main_clause,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MAX_WORDS = 12
MAX_LEDE_CHARS = 600
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")  # whitespace but NBSP and NNBSP
_OPENING_QUOTES = frozenset('«“"')
_QUOTE_MARKS = frozenset('«»“”"')


def headline_sentence(text: str) -> str:
    """The sentence a headline is written from: the text's first sentence, at most
    MAX_LEDE_CHARS (a text with no full stop must not send pages to the parser)."""
    sentences = split_sentences(text[: MAX_LEDE_CHARS * 4])
    first = sentences[0] if sentences else text.strip()
    if len(first) <= MAX_LEDE_CHARS:
        return first
    return first[:MAX_LEDE_CHARS].rsplit(" ", 1)[0]  # whole words: a 12-word headline's worth


def write_headline(doc: Doc, max_words: int = MAX_WORDS) -> str:
    """A headline of at most `max_words` words from a parsed lede sentence; never cut."""
    quoted = _quotation(doc.text, max_words) if doc.text[:1] in _OPENING_QUOTES else ""
    if quoted:  # « "Nous n'avons aucune idée du motif", précise une source »
        return _capitalise(quoted)
    clause = main_clause(doc)
    headline = _fit(clause, max_words) if clause else ""
    return _capitalise(headline or _shortest_clause(doc, max_words))


def write_headlines(
    texts: Sequence[str], max_words: int = MAX_WORDS, parses: Parses | None = None
) -> list[str]:
    """Headlines for several stories' texts, parsed in one batch by the French pipeline
    (`parses`, the build's, else a fresh one); the verb's lemma says how to conjugate it."""
    sentences = [headline_sentence(text) for text in texts]
    docs = (parses or Parses())(sentences, lemmas=True)
    return [write_headline(doc, max_words) for doc in docs]


# -- fitting ----------------------------------------------------------------------------------


def _fit(clause: Clause, max_words: int) -> str:
    """The clause within `max_words`: the complement cut at its last clean boundary that
    fits; a reporting verb's « que » clause stands alone when the whole does not fit."""
    subject, complement = _text(clause.subject), clause.complement
    reports = bool(complement) and complement[0].lower_ in QUE
    for end in _clean_ends(complement):
        if reports and not any(is_finite_verb(t) for t in complement[1:end]):
            continue  # « révèle que 175 000 serveurs » says nothing yet
        headline = _join(subject, clause.verb, _text(complement[:end]))
        if count_words(headline) <= max_words and _balanced(headline):
            return headline
    if reports:
        reported = _clause_after_que(complement)
        if reported and count_words(reported) <= max_words:
            return reported  # « Une enquête … révèle que 175 000 serveurs … » → the finding
    return ""


def _clean_ends(tokens: list[Token]) -> list[int]:
    """Lengths at which the complement may stop, longest first: never on a function word,
    never inside « quotes » or (brackets)."""
    ends = [len(tokens)] if tokens else []
    ends += [i + 1 for i in range(len(tokens) - 1) if tokens[i + 1].pos_ in DANGLING]
    ends = sorted(set(ends), reverse=True)
    return [e for e in ends if _ends_cleanly(tokens[:e])] if tokens else [0]


def _ends_cleanly(tokens: list[Token]) -> bool:
    while tokens and tokens[-1].is_punct and tokens[-1].text not in "»)":
        tokens = tokens[:-1]
    if not tokens or tokens[-1].pos_ in DANGLING - {"PUNCT"}:
        return False
    return _balanced(_text(tokens))


def _balanced(text: str) -> bool:
    """Every quote and bracket the text opens, it closes."""
    pairs = (("«", "»"), ("“", "”"), ("(", ")"))
    return all(text.count(a) == text.count(b) for a, b in pairs) and text.count('"') % 2 == 0


def _clause_after_que(complement: list[Token]) -> str:
    rest = complement[1:]
    for end in _clean_ends(rest):
        if end and any(is_finite_verb(t) for t in rest[:end]):
            return _text(rest[:end])
    return ""


def _text(tokens: Sequence[Token]) -> str:
    """Tokens as written in the source, gaps (a dropped date or aside) closed."""
    out = ""
    previous: Token | None = None
    for token in tokens:
        if previous is not None:
            adjacent = previous.i + 1 == token.i
            out += previous.whitespace_ if adjacent else " "
        out += token.text
        previous = token
    return collapse_spaces(out).strip(" ,;:")


def collapse_spaces(text: str) -> str:
    """Runs of spaces and line breaks made one space; French no-break spaces (« », : ;)
    are typography, not layout, and stay."""
    return _SPACES.sub(" ", text).strip()


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p).strip()


def _capitalise(text: str) -> str:
    """First letter up, the rest as the source wrote it (French headline case)."""
    text = text.strip().rstrip(" .…,;:").strip()
    text = text.removesuffix("...").rstrip()
    return text[:1].upper() + text[1:]


# -- fallback ---------------------------------------------------------------------------------


def _quotation(text: str, max_words: int) -> str:
    """A lede that opens on a quotation: the quotation, whole, when it is short enough."""
    closing = {"«": "»", "“": "”", '"': '"'}[text[0]]
    end = text.find(closing, 1)
    quoted = text[: end + 1] if end > 0 else ""
    return quoted if quoted and count_words(quoted) <= max_words else ""


def _shortest_clause(doc: Doc, max_words: int) -> str:
    """The shortest clean clause between punctuation (≥ 3 words, ≤ max_words, with a verb,
    opening on neither a conjunction, a preposition, a relative pronoun nor a verb), else
    the sentence's words up to the last clean boundary that fits. Never an ellipsis."""
    main = doc[clause_start(doc) :]
    clauses = [c for c in _split_clauses(main) if _reads_alone(c)]
    fitting = [_text(c) for c in clauses if 3 <= count_words(_text(c)) <= max_words]
    if fitting:
        return min(fitting, key=count_words)
    # Cut short, a quotation would not close: its marks go.
    tokens = [t for t in main if not t.is_space and t.text not in _QUOTE_MARKS]
    for end in _clean_ends(tokens):
        text = _text(tokens[:end])
        if end and count_words(text) <= max_words:
            return text
    return " ".join(_SPACES.split(doc.text.strip())[:max_words])  # whole words only


def _reads_alone(clause: list[Token]) -> bool:
    first = clause[0]
    opens_well = first.text[:1].isupper() or first.pos_ in {"DET", "NOUN", "PROPN", "NUM"}
    opens_badly = not opens_well or first.pos_ in {"ADP", "CCONJ", "SCONJ", "VERB", "AUX"}
    has_verb = any(is_finite_verb(t) for t in clause)
    return has_verb and not opens_badly and _balanced(_text(clause))


def _split_clauses(span: Span) -> list[list[Token]]:
    clauses: list[list[Token]] = [[]]
    for token in span:
        if token.text in CLAUSE_PUNCT or token.text == ")":
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [c for c in clauses if c]


def untitled_headlines(items: Sequence[StoredItem], parses: Parses | None = None) -> dict[int, str]:
    """Headlines for the items whose title was derived from their text, by item id."""
    untitled = [item for item in items if item.title_derived]
    if not untitled:
        return {}  # nothing to parse: the model is not even loaded
    headlines = write_headlines([item.text for item in untitled], parses=parses)
    return {item.id: h for item, h in zip(untitled, headlines, strict=True) if h}
