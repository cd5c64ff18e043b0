"""Which sentences of the finalists' stories stand alone in a summary (issue 11).

Takes the texts of the stories that make the issue (themed entries and briefs); gives,
per story, a `Fitness` over the summarizer's candidate sentences: which are never used
(an instruction or a question to the reader, a prompt template with its « [NOM DU
PROJET] » placeholders, a fragment: no finite verb, no final punctuation, an unbalanced
parenthesis), and which open on a reference (« Par exemple, il peut… », « Au cœur de ce
réseau… », « L’objectif n’est plus… », « OpenClaw… l’a matérialisé ») and so are used only
right after the sentence before them. The readings are the blurbs' (stakes.read), made
in one batch over all the finalists' candidates; only the first
`MAX_READ` sentences of a story are read, the rest are never chosen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.nlp import Parses
from digest.summarize.extractive import Fitness, candidate_sentences
from digest.summarize.stakes import Reading, read

# A story’s summary comes from its first sentences (the lede weighs most): reading 16 of
# them, not 24, halves the parse (1.1 s instead of 2.3 s for the seeds' 45 finalists).
MAX_READ = 16
# « [NOM DU PROJET] », « [COLLE LA CHARTE ICI OU RÉSUMÉ] », « {sujet} », « <votre texte> »:
# the blanks of a prompt template. A footnote « [1] » is not one.
_PLACEHOLDER = re.compile(r"\[[^\]\d]*[^\W\d][^\]]*\]|\{[^}]*\}|<[^>]*>")
_CLOSERS = "»”\"’' )]"
_ENDINGS = (".", "!", "?", "…")
# What points back to something the sentence does not name, beyond the openings the
# blurbs' reading catches (stakes.py). Each pattern comes from a seed summary (issue 11).
_LEANING = [
    # « …l’a matérialisé », « …les a rachetés »: an object pronoun before an auxiliary (the
    # parser reads « l’ » as an article too often).
    r"\b(?:l['’]|les |lui |leur )(?:a|ont|avait|avaient|aura|auront|aurait|auraient)\b",
    # « Les projets … en tirent un gain », « … y trouvent une rampe »: a clitic before a verb
    # (« en développement » is a noun: words in -ment are not verbs here).
    r"\b(?:en|y) (?![\w-]*ment\b)[a-zàâçéèêëîïôûù]+(?:ent|ont|ait|aient)\b",
    # « Au cœur de ce réseau décentralisé », « … n’accompagne ces affirmations »: a
    # demonstrative determiner. Not a time (« cette année », « ce mardi »), the reader's
    # own, nor the pronoun « ce » (« ce que », « ce sont »).
    r"\b(?:cet|cette|ces|ce(?! (?:qu|dont|sont|soit|ser|fut|n|ne|doit|peut|pourrait)\w*\b))\s+"
    r"(?!(?:année|semaine|mois|matin|soir|jour|nuit|été|hiver|printemps|automne|week-end|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|trimestre|semestre)s?\b)\w",
    # « Car l’appétit vient en mangeant. », « Dans ce cas, … »: connectives stakes.py lacks.
    r"^(?:car|puisque|sinon|d['’]où|dès lors|d['’]abord|ensuite|à ce titre|pour cela)\b",
    # « Traduction : on ratisse large… », « Résultat : … »: a label glossing what came before.
    r"^[\w’']+\s?:\s",
    # « La fintech suédoise a remplacé… » before Klarna is named: a bare definite actor.
    r"^(?:la|le|les|l['’])\s*(?:fintech|licorne|pépite|mastodonte|géant|rival|concurrent|"
    r"leader|numéro un|start-?up|firme|entreprise|société|groupe)s?\b"
    # … unless a complement or a name says which (« Le géant américain Nvidia »).
    r"(?! (?:de|d['’]|du|des)\b)(?!(?: [\w-]+){0,2} (?-i:[A-ZÀ-Þ]))",
]
_LEANS = re.compile("|".join(f"(?:{p})" for p in _LEANING), re.IGNORECASE)
# Connectives that only link to the sentence before: without them, and their comma, the
# sentence says the same on its own. Additive and contrastive links (« En parallèle, »,
# « Autre réussite européenne, »); not causal ones (« Ainsi, »), whose sentence is a consequence.
_STRIPPABLE = re.compile(
    r"^(?:en parallèle|parallèlement|par ailleurs|de plus|en outre|enfin|de même|"
    r"d['’]ailleurs|toutefois|cependant|pourtant|néanmoins|du reste|de son côté|pour sa part|"
    r"dans le même temps|autre (?:nouveauté|réussite|annonce|avancée)(?: \w+)?),\s+(?=\w)",
    re.IGNORECASE,
)
# « Évitez d’entrer des données… », « Utilisez ChatGPT Teams… »: the tagger misses
# capitalised imperatives; « Que raconte la fuite… », « Comment … »: a heading's question.
_ADDRESSED = re.compile(
    r"^(?:(?!Assez\b|Chez\b)[A-ZÀ-Þ][a-zàâçéèêëîïôûù]{2,}ez\b"
    r"|(?i:que|quel|quelle|quels|quelles|comment|pourquoi)\s)"
)
# « La figure ci-dessous… »: the page the sentence came from is not in the email.
_LAYOUT = re.compile(r"\bci-(?:dessous|dessus|après|contre)\b|\b(?:figure|tableau|schéma) \d", re.I)


def story_fitness(texts: Sequence[str], parses: Parses | None = None) -> list[Fitness]:
    """Per story text, which of its candidate sentences stand alone (one parse for all;
    `parses`, the build's, shares it with the other passes)."""
    per_story = [candidate_sentences(text) for text in texts]
    read_now = [sentences[:MAX_READ] for sentences in per_story]
    # Each sentence opening on a connective is read twice: as written, and without it.
    stripped = [[without_connective(s) for s in sentences] for sentences in read_now]
    batch = [s for sentences in read_now for s in sentences]
    batch += [s for forms in stripped for s in forms if s is not None]
    readings = iter(read(batch, [], parses=parses)[0])
    by_text = [[next(readings) for _ in sentences] for sentences in read_now]
    by_form = [[next(readings) if s else None for s in forms] for forms in stripped]
    return [
        _fitness(
            [
                _Candidate(*fields)
                for fields in zip(sentences, facts, forms, form_facts, strict=True)
            ],
            unread=range(len(sentences), len(everything)),
        )
        for everything, sentences, facts, forms, form_facts in zip(
            per_story, read_now, by_text, stripped, by_form, strict=True
        )
    ]


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    facts: Reading
    form: str | None  # the sentence without its opening connective, if it has one
    form_facts: Reading | None


def _fitness(candidates: list[_Candidate], unread: range) -> Fitness:
    rejected = {rank for rank, c in enumerate(candidates) if _unusable(c.text, c.facts)}
    leaning = {rank for rank, c in enumerate(candidates) if _leans(c.text, c.facts)}
    forms = {
        rank: c.form
        for rank, c in enumerate(candidates)
        if rank in leaning and c.form and c.form_facts and _stands_alone(c.form, c.form_facts)
    }
    return Fitness(frozenset(rejected.union(unread)), frozenset(leaning), forms)


def without_connective(sentence: str) -> str | None:
    """The sentence without the connective it opens on (« En parallèle, OpenAI… » →
    « OpenAI… »), or None when it opens on none that can go."""
    found = _STRIPPABLE.match(sentence)
    if found is None:
        return None
    rest = sentence[found.end() :]
    return rest[:1].upper() + rest[1:]


def _stands_alone(sentence: str, facts: Reading) -> bool:
    return not _unusable(sentence, facts) and not _leans(sentence, facts)


def _unusable(sentence: str, facts: Reading) -> bool:
    """An instruction to the reader, a template, or not a whole sentence."""
    return (
        facts.instruction
        or facts.fragment
        or is_fragment(sentence)
        or has_placeholder(sentence)
        or bool(_LAYOUT.search(sentence))
        or sentence.rstrip(_CLOSERS).endswith("?")  # a question to the reader is no summary
        or bool(_ADDRESSED.match(sentence))
    )


def _leans(sentence: str, facts: Reading) -> bool:
    """Whether the sentence opens on (or hinges on) something only the one before names."""
    return facts.reference is not None or bool(_LEANS.search(sentence))


def has_placeholder(sentence: str) -> bool:
    """Whether the sentence holds a template's blank (« [NOM DU PROJET] »)."""
    return bool(_PLACEHOLDER.search(sentence))


def is_fragment(sentence: str) -> bool:
    """No final punctuation, or a parenthesis or bracket opened and never closed."""
    if not sentence.rstrip(_CLOSERS).endswith(_ENDINGS):
        return True
    return sentence.count("(") != sentence.count(")") or sentence.count("[") != sentence.count("]")
