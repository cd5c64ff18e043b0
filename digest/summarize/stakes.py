"""What a blurb candidate says and whether it stands alone, read by the French pipeline.

Takes the candidate sentences of the issue's blurbs and the lede of each of their
stories; gives, per sentence, a `Reading`: does it open on a reference to something it
does not name (« Cette stratégie révèle… », « Cela ouvre la voie… », « De l’autre, … »,
« Le modèle souffre… »), is it an instruction to the reader, a fragment, does it speak of
what comes next; and, per story, the named subject of its lede, the one entity a definite
reference can be made explicit with (« Le modèle souffre… » → « GPT-5 souffre… »).
Issue 11: everything is parsed in one `nlp.pipe` batch, and only the finalists are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.summarize.vectors import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# A sentence opening on one of these continues the previous one (folded, ’ read as ').
_CONNECTIVES = re.compile(
    r"^(?:de l'autre|d'un autre cote|d'un cote|d'autre part|en revanche|pourtant|mais|et|or|"
    r"ainsi|aussi|cependant|toutefois|neanmoins|en effet|du coup|par consequent|de meme|"
    r"d'ailleurs|en outre|de plus|par ailleurs|enfin|au contraire|inversement|"
    r"autrement dit|quant a|resultat|bref|sauf que|puis|alors|donc|la encore|"
    r"a l'inverse|a cote|parallelement|en parallele|en somme|en clair|concretement|"
    r"par exemple|de son cote|pour sa part|a son tour|un autre|une autre|autre|surtout|"
    r"notamment|egalement)\b"
)
# « Reste un défi pour… » lost its subject; « Reste à savoir… » and « Reste que… » did not.
_SUBJECTLESS_RESTE = re.compile(r"^rest(?:e|ent) (?!a |que |qu')")
_WHETHER = re.compile(r"^reste a (?:savoir|voir) si ")
# Impersonal « il » refers to nothing: « Il y a dix ans », « Il faut », « Il est temps de ».
_IMPERSONAL = re.compile(
    r"^il (?:y a|faut|fallait|faudra|faudrait|reste|restera|semble|suffit|est (?:temps|"
    r"possible|probable|difficile|clair|urgent|essentiel|important|vrai|rare|peu probable)|"
    r"n'est pas (?:exclu|certain|sur)|n'y a)\b"
)
_REFERRING_PRONOUNS = frozenset(
    {"il", "elle", "ils", "elles", "cela", "ça", "ca", "ceci", "celui-ci", "celle-ci",
     "ceux-ci", "celles-ci", "celui-là", "celle-là", "ce", "c'", "c’", "lui", "eux"}
)  # fmt: skip
_READER = frozenset({"vous", "votre", "vos", "tu", "toi", "ton", "ta", "tes"})
_OUTLOOK = re.compile(
    r"\b(?:reste a savoir|reste a voir|a terme|a l'avenir|d'ici|demain|bientot|prochaine?s?|"
    r"pourrai\w*|devrai\w*|perspectives?)\b"
)

# The kinds of thing a bare definite subject can stand for, by its noun: what a story's
# named subject must be for « l’entreprise » or « le modèle » to be made explicit with it.
ORG, PRODUCT, PERSON = "org", "product", "person"
_NOUN_KIND = {
    **dict.fromkeys(
        ("entreprise", "société", "groupe", "startup", "start-up", "firme", "géant",
         "laboratoire", "labo", "compagnie", "constructeur", "éditeur", "fabricant",
         "plateforme"),
        ORG,
    ),
    **dict.fromkeys(
        ("modèle", "outil", "application", "appli", "logiciel", "assistant", "agent",
         "chatbot", "service", "système", "produit", "version", "programme", "robot", "puce"),
        PRODUCT,
    ),
    **dict.fromkeys(
        ("patron", "fondateur", "cofondateur", "dirigeant", "pdg", "directeur", "président",
         "chercheur", "chercheuse", "auteur", "développeur"),
        PERSON,
    ),
}  # fmt: skip
# Nouns that, bare and definite, still refer back to something the story introduced.
_REFERRING_NOUNS = frozenset(
    {*_NOUN_KIND, "étude", "rapport", "projet", "initiative", "accord", "annonce", "opération",
     "rachat", "acquisition", "offre", "campagne", "enquête", "article", "méthode", "approche",
     "technique", "solution", "stratégie", "décision", "mesure", "affaire", "situation",
     "phénomène", "tendance", "concept", "idée", "intéressé", "premier", "second", "dernier",
     "créateur", "objectif", "but"}
)  # fmt: skip
# In the plural, « les développeurs » or « les entreprises » are mostly generic; these are not.
_REFERRING_PLURALS = frozenset({"auteur", "créateur", "intéressé", "premier", "dernier"})
_NER_KIND = {"ORG": ORG, "PER": PERSON, "MISC": PRODUCT}


@dataclass(frozen=True, slots=True)
class Subject:
    """A bare definite subject (« l’entreprise ») that a named entity could replace."""

    start: int  # character offsets in the sentence
    end: int
    kind: str  # ORG, PRODUCT or PERSON


@dataclass(frozen=True, slots=True)
class Reading:
    """What a candidate sentence needs and says."""

    reference: str | None  # why it leans on the sentence before it; None when it stands alone
    subject: Subject | None  # when the reference is its subject, and a name could replace it
    instruction: bool  # imperative or addressed to the reader (how-to, prompt template)
    fragment: bool  # no finite verb, or it ends on a word that needs a follow-up
    outlook: bool  # speaks of what comes next: future, conditional, « reste à savoir »
    names: bool  # names someone or something (a proper noun)


@dataclass(frozen=True, slots=True)
class Entity:
    """A story's named subject: the proper noun its lede is about."""

    text: str
    kind: str | None


def read(
    sentences: Sequence[str], ledes: Sequence[str]
) -> tuple[list[Reading], list[Entity | None]]:
    """Readings of the candidate sentences and the named subject of each lede: one batch
    each, the sentences without the entity recogniser (parser and morphology suffice)."""
    from digest.nlp import french

    # Measured on bench/build.py's candidates: the entity recogniser was more than half of
    # the parse time and the lemmatizer a third; the ledes (one per story) keep the
    # recogniser, for what kind of thing their subject is. _noun replaces the lemmas.
    nlp = french()
    docs = nlp.pipe(sentences, batch_size=64, disable=["lemmatizer", "ner"])
    readings = [_reading(doc) for doc in docs]
    lede_docs = nlp.pipe(ledes, batch_size=64, disable=["lemmatizer"])
    return readings, [_named_subject(doc) for doc in lede_docs]


def _reading(doc: Doc) -> Reading:
    words = [t for t in doc if not t.is_punct and not t.is_space]
    if not words:
        return Reading("empty", None, False, True, False, False)
    subject = _main_subject(doc)
    reference = _opening_reference(doc, words[0]) or _subject_reference(subject)
    replaceable = _replaceable(subject) if reference and subject is not None else None
    return Reading(
        reference=reference,
        subject=replaceable if reference == "definite subject" else None,
        instruction=any(_is_instruction(t) for t in words),
        fragment=_is_fragment(words),
        outlook=_is_outlook(doc),
        names=any(_is_name(t) for t in words),
    )


def _opening_reference(doc: Doc, first: Token) -> str | None:
    opening = fold(doc[first.i :].text.replace("’", "'"))
    if _CONNECTIVES.match(opening):
        return "connective"
    if _SUBJECTLESS_RESTE.match(opening):
        return "subject-less « reste »"
    lower = first.lower_
    if any(t.pos_ == "PRON" and t.lower_ == "en" for t in doc[first.i : first.i + 5]):
        return "pronoun"  # « Les affirmations qui en émanent… »: emanate from what?
    # « Durant ce sommet, … », « Pour cela, … », « Reste à savoir si cette stratégie… »
    opening_words = doc[first.i : first.i + (6 if _WHETHER.match(opening) else 3)]
    if any(t.pos_ == "DET" and "Dem" in t.morph.get("PronType") for t in opening_words):
        return "demonstrative"
    if any(t.lower_ in {"cela", "ça", "ceci"} for t in opening_words):
        return "pronoun"
    if first.pos_ == "DET" and "Yes" in first.morph.get("Poss") and lower not in _READER:
        return "possessive"
    if lower in _REFERRING_PRONOUNS and not _IMPERSONAL.match(opening):
        following = doc[first.i + 1].lower_ if first.i + 1 < len(doc) else ""
        if lower == "ce" and following in {"qui", "que", "qu'", "qu’", "dont"}:
            return None  # « Ce que montre l’étude… » announces what follows
        return "pronoun"
    return None


def _main_subject(doc: Doc) -> Token | None:
    """The subject of the first main clause (« Le 18 mars, l’entreprise a annoncé… »)."""
    for root in (t for t in doc if t.dep_ == "ROOT"):
        for child in root.children:
            if child.dep_ in {"nsubj", "nsubj:pass"}:
                return child
    return None


def _subject_reference(subject: Token | None) -> str | None:
    if subject is None:
        return None
    if subject.pos_ == "PRON":
        lower = subject.lower_
        impersonal = lower == "il" and _IMPERSONAL.match(fold(subject.doc[subject.i :].text))
        return "pronoun" if lower in _REFERRING_PRONOUNS and not impersonal else None
    determiners = [c for c in subject.children if c.dep_ == "det"]
    if any("Dem" in d.morph.get("PronType") for d in determiners):
        return "demonstrative"
    if any("Yes" in d.morph.get("Poss") and d.lower_ not in _READER for d in determiners):
        return "possessive"
    if _is_bare_definite(subject, determiners):
        return "definite subject"
    return None


def _is_bare_definite(subject: Token, determiners: list[Token]) -> bool:
    # « Le modèle », « l’entreprise », « Les chercheurs »: a definite article, a noun that
    # names a kind of actor, and nothing that says which one (no name, number, complement).
    definite = any("Def" in d.morph.get("Definite") for d in determiners)
    lemma = _noun(subject)
    if not definite or subject.pos_ != "NOUN" or lemma not in _REFERRING_NOUNS:
        return False
    if "Plur" in subject.morph.get("Number") and lemma not in _REFERRING_PLURALS:
        return False
    identifying = {"nmod", "acl", "acl:relcl", "appos", "flat:name", "nummod", "conj"}
    return not any(
        t.pos_ in {"PROPN", "NUM"} or (t.dep_ in identifying and t.head == subject)
        for t in subject.subtree
        if t != subject
    )


def _noun(token: Token) -> str:
    """The singular of a noun, as the lists above spell it (« chercheurs » → « chercheur »)."""
    lower = token.lower_
    plural = "Plur" in token.morph.get("Number") and lower.endswith(("s", "x"))
    return lower[:-1] if plural else lower


def _replaceable(subject: Token) -> Subject | None:
    kind = _NOUN_KIND.get(_noun(subject))
    if kind is None or "Sing" not in subject.morph.get("Number"):
        return None
    span = subject.doc[subject.left_edge.i : subject.right_edge.i + 1]
    return Subject(span.start_char, span.end_char, kind)


def _is_instruction(token: Token) -> bool:
    # The tagger misses some imperatives of how-to articles (« lancez » read as a name):
    # a lowercase word in -ez is a verb addressed to the reader.
    addressed = token.text.islower() and len(token.text) > 4 and token.text.endswith("ez")
    return "Imp" in token.morph.get("Mood") or token.lower_ in _READER or addressed


def _is_fragment(words: list[Token]) -> bool:
    finite = any("Fin" in t.morph.get("VerbForm") for t in words)
    last = words[-1]
    dangling = last.pos_ in {"ADP", "DET", "CCONJ", "SCONJ"} or (
        last.lower_ == "ici" and len(words) > 1 and words[-2].lower_ in {"d'", "d’"}
    )
    text = words[0].doc.text
    unbalanced = text.count("«") != text.count("»")  # a quotation cut by the splitter
    return not finite or dangling or unbalanced


def _is_outlook(doc: Doc) -> bool:
    if any("Fut" in t.morph.get("Tense") or "Cnd" in t.morph.get("Mood") for t in doc):
        return True
    return bool(_OUTLOOK.search(fold(doc.text.replace("’", "'"))))


def _named_subject(doc: Doc) -> Entity | None:
    """The proper noun the lede's first clause is about (« GPT-5 traverse une mauvaise passe »)."""
    subject = _main_subject(doc)
    names = [t for t in subject.subtree if _is_name(t)] if subject is not None else []
    if not names and len(doc) and _is_name(doc[0]):
        names = [doc[0]]  # « Stability AI, pionnier…, a élargi »: the parser missed the subject
    if not names:
        return None
    span = _name_span(doc, names)
    described = subject if subject is not None and subject.pos_ == "NOUN" else None
    return Entity(span.text, _entity_kind(doc, span, described))


def _is_name(token: Token) -> bool:
    return token.pos_ == "PROPN" or _looks_like_a_name(token)


def _looks_like_a_name(token: Token) -> bool:
    # « GPT-5 », « Gen-4 »: the parser often tags product names as nouns or numbers.
    return token.text[:1].isupper() and any(c.isdigit() for c in token.text)


def _name_span(doc: Doc, names: list[Token]) -> Span:
    # The capitalised run from the first name: « Stability AI », « GPT-5 Pro », « Sam Altman ».
    first = names[0]
    end = first.i + 1
    while end < len(doc) and doc[end].text[:1].isupper() and not doc[end].is_punct:
        end += 1
    return doc[first.i : end]


def _entity_kind(doc: Doc, span: Span, described: Token | None) -> str | None:
    kind = _NOUN_KIND.get(_noun(described)) if described is not None else None
    if kind:  # « La startup new-yorkaise Runway »: the noun says what Runway is
        return kind
    if any(_looks_like_a_name(t) for t in span):
        return PRODUCT
    labels = {_NER_KIND.get(ent.label_) for ent in doc.ents if ent.start <= span.start < ent.end}
    return next(iter(labels)) if len(labels) == 1 else None
