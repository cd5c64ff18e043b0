"""Headlines for untitled stories: a lede's first sentence becomes a short news headline.

Takes the parsed first sentence of a story (a spaCy `Doc` from `digest.nlp.french`); gives
a headline of at most 12 words with no ellipsis (issue 11, item 4): the main clause's
subject, its verb (a passé composé turned to the present where that is a simple
conjugation) and the core of its complement, without the lede's circumstance, dates,
appositions and subordinate clauses, stopped at a phrase boundary. When the parse gives
nothing usable, the shortest clean clause of the sentence is used instead.

The model (fr_core_news_md) mis-tags brand names (« OpenAI » as AUX, « Prism » as X), so
the rules lean on what is reliable: a finite verb is lowercase, commas and relative
pronouns bound clauses, and morphology tells a participle from a finite form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.models import StoredItem
from digest.sentences import count_words, split_sentences

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MAX_WORDS = 12
MAX_LEDE_CHARS = 600
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")  # whitespace but NBSP and NNBSP

_CLAUSE_PUNCT = frozenset(",;:—–([.!?…")
_CONTENT = frozenset(("NOUN", "PROPN", "ADJ", "NUM", "X"))
# Function words a headline never ends on (« … avec », « … de la »).
_DANGLING = frozenset(("ADP", "DET", "CCONJ", "SCONJ", "PRON", "AUX", "PUNCT"))
# Words that open an attribution or a new clause inside the complement.
_CLAUSE_WORDS = frozenset(
    "selon afin tandis lorsque puisque car mais dont alors parce contrairement quant".split()
)
# « de » + infinitive after a noun completes the noun (« la possibilité de lancer »).
_NOUN_COMPLEMENT = frozenset(("de", "d’", "d'"))
_OPENING_QUOTES = frozenset('«“"')
_QUOTE_MARKS = frozenset('«»“”"')
_QUE = frozenset(("que", "qu’", "qu'"))
_NEGATION = frozenset(("ne", "n’", "n'"))
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
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
class _Clause:
    """The main clause cut in three: token spans of the subject and complement, and the
    verb group already written (conjugated)."""

    subject: list[Token]
    verb: str
    complement: list[Token]


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
    clause = _main_clause(doc)
    headline = _fit(clause, max_words) if clause else ""
    return _capitalise(headline or _shortest_clause(doc, max_words))


def write_headlines(texts: Sequence[str], max_words: int = MAX_WORDS) -> list[str]:
    """Headlines for several stories' texts, parsed in one batch by the French pipeline."""
    from digest.nlp import french  # loads the model on first use (seconds)

    sentences = [headline_sentence(text) for text in texts]
    return [write_headline(doc, max_words) for doc in french().pipe(sentences)]


def subject_tokens(doc: Doc) -> list[Token]:
    """The main clause's subject (without apposition or date), or [] when none is found."""
    clause = _main_clause(doc)
    return clause.subject if clause else []


# -- the main clause ------------------------------------------------------------------------


def _main_clause(doc: Doc) -> _Clause | None:
    dates = _date_tokens(doc)
    start = _clause_start(doc)
    verb = _main_verb(doc, start)
    if verb is None:
        return None
    subject = [t for t in _outside_asides(doc[start : verb.i]) if t.i not in dates]
    clitics = _trailing_clitics(subject)
    subject = _core(subject[: len(subject) - len(clitics)])
    if not any(_names_something(t) for t in subject):
        return None  # no named subject (« Il a publié… »): nothing to build on
    written, after = _verb_group(doc, verb, clitics)
    return _Clause(subject, written, _complement(doc, after, dates))


def _names_something(token: Token) -> bool:
    if token.pos_ in {"PRON", "DET"}:
        return False  # « Il », « Cette » : a reference, not a name
    return token.pos_ in _CONTENT or token.text[:1].isupper()


def _clause_start(doc: Doc) -> int:
    """Skip the lede's leading circumstances (« Trois mois après…, », « Dans cet… , »)."""
    start = 0
    while True:
        comma = next((t.i for t in doc[start:] if t.text == ","), None)
        if comma is None:
            return start
        segment = doc[start:comma]
        # « Alors que Renault…, dont 4 600 en France, la fermeture… »: the relative clause
        # inside the circumstance goes with it.
        continues = start > 0 and len(segment) > 0 and _is_relative(segment[0])
        if not (continues or _is_circumstance(segment)):
            return start
        start = comma + 1


def _is_relative(token: Token) -> bool:
    return token.pos_ == "PRON" and "Rel" in token.morph.get("PronType", [])


def _is_circumstance(segment: Span) -> bool:
    if len(segment) == 0 or any(_is_finite_verb(t) for t in segment):
        # « Si GPT-5.1 est une évolution, » has a verb but opens on « si »: still one.
        return len(segment) > 0 and segment[0].lower_ in {"si", "quand", "lorsque", "alors"}
    first = segment[0]
    if first.pos_ in {"ADP", "SCONJ", "ADV"}:
        return True
    heads = [t for t in segment if not (segment.start <= t.head.i < segment.end)]
    return bool(heads) and all(t.dep_.startswith(("obl", "advcl", "advmod")) for t in heads)


def _is_finite_verb(token: Token) -> bool:
    # A French verb is lowercase mid-sentence; the model tags « OpenAI » AUX otherwise.
    if token.pos_ not in {"VERB", "AUX"} or "Fin" not in token.morph.get("VerbForm", []):
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
        elif token.text in _CLAUSE_PUNCT - {",", "("}:
            return None
        # « Un entretien que détaille Le Figaro »: before the main verb, « que » is relative.
        relative = relative or _is_relative(token) or token.lower_ in _QUE
        if _is_finite_verb(token) and not relative and depth <= 0:
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
        if i and _ends_complement(token, has_noun=any(t.pos_ in _CONTENT for t in subject[:i])):
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
        if infinitive is not None and "Inf" in infinitive.morph.get("VerbForm", []):
            present = _present(infinitive.lemma_, verb) if plain else None
            if present:  # « Fiverr vient de créer » → « Fiverr crée »
                return _words(present, *adverbs), i + 2
    if nxt is not None and verb.lemma_ == "être" and _is_past_participle(nxt):
        return _words(*clitics, verb, *adverbs, nxt), i + 1  # « seront automatisées »: kept
    return _words(*clitics, verb), verb.i + 1


def _is_past_participle(token: Token) -> bool:
    morph = token.morph
    return "Part" in morph.get("VerbForm", []) and "Past" in morph.get("Tense", [])


def _present(lemma: str, finite: Token) -> str | None:
    """The present indicative of a regular -er verb, in the person of `finite`, or None."""
    lemma = lemma.lower()
    if not lemma.endswith("er") or lemma == "aller" or not lemma.isalpha():
        return None
    stem = lemma[:-2]
    if not stem or _STEM_CHANGE.search(stem):
        return None
    plural = "Plur" in finite.morph.get("Number", [])
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
        if _ends_complement(token, has_noun=any(t.pos_ in _CONTENT for t in kept)):
            break
        kept.append(token)
    return kept


def _ends_complement(token: Token, has_noun: bool) -> bool:
    if token.text in _CLAUSE_PUNCT or token.lower_ in _CLAUSE_WORDS:
        return True
    if _is_relative(token) and (has_noun or token.lower_ not in _QUE):
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
    forms, word = token.morph.get("VerbForm", []), token.lower_
    if "Inf" in forms:
        return word.endswith(("er", "ir", "re"))
    return "Part" in forms and "Pres" in token.morph.get("Tense", []) and word.endswith("ant")


def _date_tokens(doc: Doc) -> set[int]:
    """Indices of the tokens inside a date the sentence gives (« le 30 janvier 2026 »)."""
    spans = [m.span() for m in _DATE.finditer(doc.text)]
    return {t.i for t in doc for a, b in spans if a <= t.idx < b}


# -- fitting ----------------------------------------------------------------------------------


def _fit(clause: _Clause, max_words: int) -> str:
    """The clause within `max_words`: the complement cut at its last clean boundary that
    fits; a reporting verb's « que » clause stands alone when the whole does not fit."""
    subject, complement = _text(clause.subject), clause.complement
    reports = bool(complement) and complement[0].lower_ in _QUE
    for end in _clean_ends(complement):
        if reports and not any(_is_finite_verb(t) for t in complement[1:end]):
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
    ends += [i + 1 for i in range(len(tokens) - 1) if tokens[i + 1].pos_ in _DANGLING]
    ends = sorted(set(ends), reverse=True)
    return [e for e in ends if _ends_cleanly(tokens[:e])] if tokens else [0]


def _ends_cleanly(tokens: list[Token]) -> bool:
    while tokens and tokens[-1].is_punct and tokens[-1].text not in "»)":
        tokens = tokens[:-1]
    if not tokens or tokens[-1].pos_ in _DANGLING - {"PUNCT"}:
        return False
    return _balanced(_text(tokens))


def _balanced(text: str) -> bool:
    """Every quote and bracket the text opens, it closes."""
    pairs = (("«", "»"), ("“", "”"), ("(", ")"))
    return all(text.count(a) == text.count(b) for a, b in pairs) and text.count('"') % 2 == 0


def _clause_after_que(complement: list[Token]) -> str:
    rest = complement[1:]
    for end in _clean_ends(rest):
        if end and any(_is_finite_verb(t) for t in rest[:end]):
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
    main = doc[_clause_start(doc) :]
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
    has_verb = any(_is_finite_verb(t) for t in clause)
    return has_verb and not opens_badly and _balanced(_text(clause))


def _split_clauses(span: Span) -> list[list[Token]]:
    clauses: list[list[Token]] = [[]]
    for token in span:
        if token.text in _CLAUSE_PUNCT or token.text == ")":
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [c for c in clauses if c]


def untitled_headlines(items: Sequence[StoredItem]) -> dict[int, str]:
    """Headlines for the items whose title was derived from their text, by item id."""
    untitled = [item for item in items if item.title_derived]
    if not untitled:
        return {}  # nothing to parse: the model is not even loaded
    headlines = write_headlines([item.text for item in untitled])
    return {item.id: h for item, h in zip(untitled, headlines, strict=True) if h}
