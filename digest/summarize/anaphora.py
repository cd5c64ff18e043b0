"""Whether a parsed sentence leans on something said before it, and on what.

Takes a sentence parsed by the French pipeline; says whether it opens on or hinges on a
reference it does not name — a connective (« De l’autre, … »), a pronoun (« Cela ouvre
la voie… », « s’en rendront compte »), a demonstrative (« Cette stratégie révèle… »), a
possessive, a bare definite subject (« Le modèle souffre… ») — and, for the last, the
span a story's named subject could replace. Used by the blurbs' reading (stakes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.summarize.tokens import morph
from digest.summarize.vectors import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

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
READER = frozenset({"vous", "votre", "vos", "tu", "toi", "ton", "ta", "tes"})

# The kinds of thing a bare definite subject can stand for, by its noun: what a story's
# named subject must be for « l’entreprise » or « le modèle » to be made explicit with it.
ORG, PRODUCT, PERSON = "org", "product", "person"
NOUN_KIND = {
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
    {*NOUN_KIND, "étude", "rapport", "projet", "initiative", "accord", "annonce", "opération",
     "rachat", "acquisition", "offre", "campagne", "enquête", "article", "méthode", "approche",
     "technique", "solution", "stratégie", "décision", "mesure", "affaire", "situation",
     "phénomène", "tendance", "concept", "idée", "intéressé", "premier", "second", "dernier",
     "créateur", "objectif", "but"}
)  # fmt: skip
# In the plural, « les développeurs » or « les entreprises » are mostly generic; these are not.
_REFERRING_PLURALS = frozenset({"auteur", "créateur", "intéressé", "premier", "dernier"})
# The arguments of a clause a reader must be able to resolve: its subject, its objects.
_ARGUMENTS = frozenset({"nsubj", "nsubj:pass", "obj", "iobj", "obl:arg"})
_SUBJECTS = frozenset({"nsubj", "nsubj:pass"})
# Clitic pronouns that stand for something said before (« s’en rendront compte », « le
# confirme »); the reflexive « se » and impersonal « il y a » do not.
_CLITICS = frozenset({"en", "y", "le", "la", "les", "l'", "l’", "lui", "leur"})
# Adverbs that, inside the main clause, set it against the sentence before.
_CONTRASTS = frozenset({"pourtant", "cependant", "toutefois", "néanmoins"})
_RELATIVES = frozenset({"qui", "que", "qu'", "qu’", "dont", "où"})
# Demonstrative pronouns that sum up what the sentence said before them.
_SUMMING_UP = frozenset({"ce", "c'", "c’", "cela", "ça", "ceci"})


@dataclass(frozen=True, slots=True)
class Subject:
    """A bare definite subject (« l’entreprise ») that a named entity could replace."""

    start: int  # character offsets in the sentence
    end: int
    kind: str  # ORG, PRODUCT or PERSON


@dataclass(frozen=True, slots=True)
class Leaning:
    """What a sentence leans on, when it leans on the one before it."""

    reason: str  # « connective », « pronoun », « demonstrative », « definite subject »…
    subject: Subject | None  # its bare definite subject, when a named entity could replace it
    pointer: Token | None  # the noun its first demonstrative points with (« cette guerre »)


def leaning(doc: Doc, first: Token) -> Leaning | None:
    """What the parsed sentence leans on (`first`: its first word), None when it stands alone."""
    subject = main_subject(doc) or _nominal_root(doc)
    reason = (
        _opening_reference(doc, first)
        or _argument_reference(doc, subject)
        or _inner_connective(doc)
        or _main_subject_reference(subject)
    )
    if not reason:
        return None
    named = _replaceable(subject) if subject is not None and reason == "definite subject" else None
    return Leaning(reason, named, _demonstrative_noun(doc))


def _main_clauses(doc: Doc) -> list[Token]:
    """The verbs of the main clause and of the clauses it takes as complement: « Reste à
    savoir si les intéressés s’en rendront compte » is about « les intéressés »."""
    heads = [t for t in doc if t.dep_ == "ROOT"]
    for head in heads:  # grows while it is read: complements of complements
        heads.extend(c for c in head.children if c.dep_ in {"xcomp", "ccomp"})
    return heads


def _argument_reference(doc: Doc, subject: Token | None) -> str | None:
    """A demonstrative, a pronoun or a bare definite (« cette vision », « s’en », « les
    intéressés ») as the subject or an object of the main clause, beyond its opening, that
    the sentence itself does not introduce; the main subject alone is left to
    `_subject_reference`, which may make it explicit. A possessive there is left alone:
    « Meta a continué sur sa lancée » is Meta's."""
    for head in _main_clauses(doc):
        for argument in (c for c in head.children if c.dep_ in _ARGUMENTS):
            if argument == subject:
                continue
            if argument.pos_ == "PRON":
                reference = _pronoun_reference(argument)
            else:
                reference = _subject_reference(argument)
                if reference == "definite subject" and argument.dep_ not in _SUBJECTS:
                    reference = "definite object"
            if reference and reference != "possessive" and not _introduced_before(argument):
                return reference
    return None


def _inner_connective(doc: Doc) -> str | None:
    # « Altman assure pourtant qu’OpenAI… »: a contrast with what the sentence before said.
    roots = [t for t in doc if t.dep_ == "ROOT"]
    contrast = any(c.lower_ in _CONTRASTS for root in roots[:1] for c in root.children)
    return "connective" if contrast else None


def _pronoun_reference(pronoun: Token) -> str | None:
    if _announces(pronoun):
        return None
    if pronoun.lower_ in _CLITICS and pronoun.i > 0 and not _is_il_y_a(pronoun):
        return "pronoun"  # « s’en rendront compte », « le confirment »
    return _subject_reference(pronoun)


def _is_il_y_a(pronoun: Token) -> bool:
    following = pronoun.doc[pronoun.i + 1].lower_ if pronoun.i + 1 < len(pronoun.doc) else ""
    return pronoun.lower_ == "y" and following in {"a", "avait", "aura", "aurait", "ait", "avoir"}


def _introduced_before(argument: Token) -> bool:
    """Whether the sentence itself names what `argument` stands for, before it: a pronoun
    after a noun outside its own clause's subject (« l’IA devra prouver qu’elle peut… »,
    not « Les chiffres du MIT le confirment »), a noun said earlier (« s’attaque à un
    phénomène, c’est que ce phénomène… »)."""
    earlier = argument.doc[: argument.left_edge.i]
    if argument.lower_ in _SUMMING_UP:  # « La révision n’est pas optionnelle : c’est… »
        return any(t.pos_ in {"NOUN", "PROPN"} for t in earlier)
    if argument.pos_ == "PRON":
        own_subject = {
            t.i for c in argument.head.children if c.dep_ in _SUBJECTS for t in c.subtree
        }
        return any(t.pos_ in {"NOUN", "PROPN"} and t.i not in own_subject for t in earlier)
    return any(t.pos_ == "NOUN" and singular_noun(t) == singular_noun(argument) for t in earlier)


def _demonstrative_noun(doc: Doc) -> Token | None:
    """The noun the first demonstrative determiner points with (« cette guerre »)."""
    for token in doc:
        if token.dep_ == "det" and "Dem" in morph(token, "PronType"):
            return token.head if token.head.pos_ in {"NOUN", "PROPN"} else None
    return None


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
    if any(t.pos_ == "DET" and "Dem" in morph(t, "PronType") for t in opening_words):
        return "demonstrative"
    if any(t.lower_ in {"cela", "ça", "ceci"} for t in opening_words):
        return "pronoun"
    if first.pos_ == "DET" and "Yes" in morph(first, "Poss") and lower not in READER:
        return "possessive"
    if lower in _REFERRING_PRONOUNS and not _IMPERSONAL.match(opening):
        return None if _announces(first) else "pronoun"
    return None


def _announces(pronoun: Token) -> bool:
    """« Ce que montre l’étude… », « sur ce que les agents pourraient être »: the pronoun
    stands for the relative clause that follows, not for something said before."""
    doc = pronoun.doc
    following = doc[pronoun.i + 1].lower_ if pronoun.i + 1 < len(doc) else ""
    return pronoun.lower_ == "ce" and following in {"qui", "que", "qu'", "qu’", "dont"}


def main_subject(doc: Doc) -> Token | None:
    """The subject of the first main clause (« Le 18 mars, l’entreprise a annoncé… »)."""
    for root in (t for t in doc if t.dep_ == "ROOT"):
        for child in root.children:
            if child.dep_ in {"nsubj", "nsubj:pass"}:
                return child
    return None


def _main_subject_reference(subject: Token | None) -> str | None:
    # « Quand South Park s’attaque à un phénomène, c’est que ce phénomène… »: named before.
    named = subject is not None and subject.pos_ != "PRON" and _introduced_before(subject)
    return None if named else _subject_reference(subject)


def _nominal_root(doc: Doc) -> Token | None:
    # « L’entreprise qui s’engage à… découvre soudain que… »: when the parser loses the
    # verb, it heads the sentence on its subject noun; that noun is still the subject.
    roots = [t for t in doc if t.dep_ == "ROOT"]
    return roots[0] if roots and roots[0].pos_ == "NOUN" else None


def _subject_reference(subject: Token | None) -> str | None:
    if subject is None:
        return None
    if subject.pos_ == "PRON":
        lower = subject.lower_
        impersonal = lower == "il" and _IMPERSONAL.match(fold(subject.doc[subject.i :].text))
        return "pronoun" if lower in _REFERRING_PRONOUNS and not impersonal else None
    determiners = [c for c in subject.children if c.dep_ == "det"]
    if any("Dem" in morph(d, "PronType") for d in determiners):
        # « cette technologie qui transforme tout » says which one in its relative clause
        return None if _relative_clauses(subject) else "demonstrative"
    if any("Yes" in morph(d, "Poss") and d.lower_ not in READER for d in determiners):
        return "possessive"
    if _is_bare_definite(subject, determiners):
        return "definite subject"
    return None


def _is_bare_definite(subject: Token, determiners: list[Token]) -> bool:
    # « Le modèle », « l’entreprise », « Les chercheurs »: a definite article, a noun that
    # names a kind of actor, and nothing that says which one (no name, number, complement).
    definite = any("Def" in morph(d, "Definite") for d in determiners)
    lemma = singular_noun(subject)
    # The tagger reads a nominalised participle (« les intéressés ») as a verb.
    nominal = subject.pos_ == "NOUN" or (subject.pos_ == "VERB" and determiners)
    if not definite or not nominal or lemma not in _REFERRING_NOUNS:
        return False
    if "Plur" in morph(subject, "Number") and lemma not in _REFERRING_PLURALS:
        return False
    identifying = {"nmod", "acl", "acl:relcl", "appos", "flat:name", "nummod", "conj"}
    # « L’entreprise qui s’engage à atteindre la neutralité carbone… » is still a company
    # the reader must already know: a relative clause does not name an actor.
    relative = (
        {t.i for c in _relative_clauses(subject) for t in c.subtree}
        if lemma in NOUN_KIND
        else set()
    )
    return not any(
        t.pos_ in {"PROPN", "NUM"} or (t.dep_ in identifying and t.head == subject)
        for t in subject.subtree
        if t != subject and t.i not in relative
    )


def _relative_clauses(noun: Token) -> list[Token]:
    """The relative clauses of a noun (the parser sometimes labels them only « dep »)."""
    return [
        c
        for c in noun.children
        if c.dep_ == "acl:relcl" or (c.i > noun.i and c.left_edge.lower_ in _RELATIVES)
    ]


def singular_noun(token: Token) -> str:
    """The singular of a noun, as the lists above spell it (« chercheurs » → « chercheur »)."""
    lower = token.lower_
    plural = "Plur" in morph(token, "Number") and lower.endswith(("s", "x"))
    return lower[:-1] if plural else lower


def _replaceable(subject: Token) -> Subject | None:
    kind = NOUN_KIND.get(singular_noun(subject))
    if kind is None or "Sing" not in morph(subject, "Number"):
        return None
    if _relative_clauses(subject):
        return None  # « L’entreprise qui a racheté Windsurf » may not be the story's subject
    span = subject.doc[subject.left_edge.i : subject.right_edge.i + 1]
    return Subject(span.start_char, span.end_char, kind)
