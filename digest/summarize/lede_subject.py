"""A story's named subject: the proper noun its lede is about, and what kind of thing it is.

Takes a lede parsed by the French pipeline (with the entity recogniser) and the story's
text; gives the `Entity` a bare definite reference of the story can be made explicit
with (« Le modèle souffre… » → « GPT-5 souffre… »): the name heading the lede's main
clause and, when the lede or the story says so one way only, whether it is a company, a
product or a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.summarize.anaphora import NOUN_KIND, ORG, PERSON, PRODUCT, main_subject, singular_noun

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_NER_KIND = {"ORG": ORG, "PER": PERSON, "MISC": PRODUCT}
# What a story calls its actor in an apposition (« Stability AI, pionnier de l’open source
# visuel, … »): a company, unless the recogniser says it is a person; never a product.
_ACTOR_NOUNS = ("pionnier", "pionnière", "leader", "spécialiste", "champion", "acteur", "numéro un")
_EXECUTIVES = (
    r"CMO|CEO|CTO|PDG|DG|patron|patronne|cofondateur|cofondatrice|fondateur|fondatrice|"
    r"directeur général|directrice générale|président|présidente|vice-président|porte-parole"
)


@dataclass(frozen=True, slots=True)
class Entity:
    """A story's named subject: the proper noun its lede is about."""

    text: str
    kind: str | None


def named_subject(doc: Doc, story: str = "") -> Entity | None:
    """The proper noun the lede's first clause is about (« GPT-5 traverse une mauvaise passe »)."""
    subject = main_subject(doc)
    names = [t for t in subject.subtree if is_name(t)] if subject is not None else []
    if not names and len(doc) and is_name(doc[0]):
        names = [doc[0]]  # « Stability AI, pionnier…, a élargi »: the parser missed the subject
    if not names:
        return None
    span = _name_span(doc, names)
    described = subject if subject is not None and subject.pos_ == "NOUN" else None
    kind = _entity_kind(doc, span, described)
    return Entity(span.text, _story_kind(span.text, f"{doc.text} {story}", kind) or kind)


def is_name(token: Token) -> bool:
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
    kind = NOUN_KIND.get(singular_noun(described)) if described is not None else None
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
    nouns = "|".join(sorted((*NOUN_KIND, *_ACTOR_NOUNS), key=len, reverse=True))
    quoted = re.escape(name)
    det = r"(?:l['’]|la |le |les |une |un )"
    adjective = r"(?: (?!(?:de|du|des|d['’]\w+|par|pour|avec|chez|et|ou)\b)[\w-]+)"
    before = rf"\b{det}(?P<noun>{nouns}){adjective}{{0,2}} {quoted}\b"
    after = rf"\b{quoted}, {det}?(?:[\w-]+ )?(?P<noun>{nouns})\b"
    actor = PERSON if recognised == PERSON else ORG
    kinds = {
        NOUN_KIND.get(match["noun"].lower(), actor)
        for pattern in (before, after)
        for match in re.finditer(pattern, story, re.IGNORECASE)
    }
    # « Matti Yahav, CMO de Fiverr »: whoever has executives is a company.
    if re.search(rf"\b(?:{_EXECUTIVES}) (?:de |d['’]){quoted}\b", story, re.IGNORECASE):
        kinds.add(ORG)
    return next(iter(kinds)) if len(kinds) == 1 else None
