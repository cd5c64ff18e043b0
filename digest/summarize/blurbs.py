"""« Enjeux et perspectives »: 2–4 sentences on the stakes and the outlook of a section.

Takes the sections of an issue (their stories' items and the sentences already used as
summaries) and the themes; gives each section its blurb. Every sentence is taken from the
section's own stories and keeps the id of its item, so the renderer can cite it.
Preferred: a source's own « Enjeux et perspectives » text (seed 003 has one per story),
then sentences that speak of risks, consequences and what comes next, central to the
section. The choice spreads over the section's stories, avoids saying the same thing
twice (MMR), and prints stakes before outlook.

Each sentence must stand alone (issue 11): one that opens on a reference (« Cette
stratégie… », « Cela… », « De l’autre, … », « Le modèle souffre… ») comes with the
sentence before it in its story, or has its subject made explicit from the story
(« GPT-5 souffre… », the original kept in `BlurbSentence.original`), or is left out.
Instructions to the reader, fragments and sentences about another theme are left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.models import BlurbSentence, StoredItem
from digest.nlp import Parses
from digest.sentences import count_words, split_sentences
from digest.settings import Theme
from digest.summarize.lede_subject import Entity
from digest.summarize.stakes import Reading, introduces, read
from digest.summarize.themes import StoryText, theme_fits
from digest.summarize.vectors import fold, tfidf

log = logging.getLogger(__name__)

MIN_SENTENCES, MAX_SENTENCES, MAX_WORDS = 2, 4, 120
MIN_SENTENCE_WORDS, MAX_SENTENCE_WORDS = 8, 40
MAX_PER_STORY = 2  # sentences of one story, when the section has several
ENJEUX_BONUS = 2.0
OUTLOOK_BONUS = NAMES_BONUS = 0.5
OFF_THEME_FIT = 3.0  # twice the fit that places a story (themes.MIN_FIT)
REDUNDANT = 0.45  # cosine above which two sentences say the same thing
_CUES = re.compile(
    r"\b(?:enjeux?|risques?|menaces?|defis?|dangers?|inquiet\w*|craint\w*|pourrai\w*|"
    r"devrai\w*|reste a|restera|a terme|avenir|futur\w*|prochain\w*|d'ici|perspectives?|"
    r"consequences?|impacts?|implications?|tournant|pari|strategi\w*|regulat\w*|regle\w*|"
    r"transform\w*|boulevers\w*|bouscul\w*|redefini\w*|dependance|souverainete|fragil\w*|"
    r"could|would|might|risks?|threats?|future|stakes|concerns?|challenges?)\b"
)


_NOT_PROSE = re.compile(r"[|\[\]{}=→<>#]|\(\d\)")


@dataclass(frozen=True, slots=True)
class SectionStories:
    """What a section's blurb is drawn from."""

    theme_id: str
    entries: Sequence[Sequence[StoredItem]]  # the items of each entry, lead first
    used: frozenset[str]  # sentences already printed as summaries


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    item_id: int
    entry: int  # index of the entry in its section
    order: int  # position in the item, to print sentences in reading order
    bonus: float  # a source's own « Enjeux et perspectives » is preferred
    previous: str | None  # the sentence before it in its text: its antecedent, if it needs one


@dataclass(frozen=True, slots=True)
class _Unit:
    """One sentence, or a sentence and the antecedent it needs, chosen or left together."""

    sentences: tuple[BlurbSentence, ...]
    entry: int
    order: int
    score: float
    outlook: bool

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


def write_blurbs(
    sections: Sequence[SectionStories], themes: Sequence[Theme], parses: Parses | None = None
) -> list[tuple[BlurbSentence, ...]]:
    """The blurb of each section; the French pipeline reads all candidates in one batch
    (`parses`, the build's, else one for the blurbs: a thin section's second pass re-reads
    sentences the first one parsed)."""
    parse = parses or Parses()
    blurbs = _write(sections, themes, parse, strict=True)
    thin = [i for i, blurb in enumerate(blurbs) if len(blurb) < MIN_SENTENCES]
    if thin:  # a thin section: any sentence of its stories, even one printed as a summary
        again = _write([sections[i] for i in thin], themes, parse, strict=False)
        for i, blurb in zip(thin, again, strict=True):
            blurbs[i] = max(blurbs[i], blurb, key=len)
    return blurbs


def _write(
    sections: Sequence[SectionStories], themes: Sequence[Theme], parses: Parses, *, strict: bool
) -> list[tuple[BlurbSentence, ...]]:
    pools = [_pool(section, strict=strict) for section in sections]
    texts = list(
        dict.fromkeys(t for pool in pools for s in pool for t in (s.text, s.previous) if t)
    )
    stories = [items for section in sections for items in section.entries]
    ledes = [_lede(items) for items in stories]
    stories_text = [" ".join(i.text for i in s) for s in stories]
    readings, subjects = read(texts, ledes, stories_text, parses=parses)
    reading = dict(zip(texts, readings, strict=True))
    fits = dict(zip(texts, _sentence_themes(texts, themes), strict=True))
    blurbs, start = [], 0
    for section, pool in zip(sections, pools, strict=True):
        entities = subjects[start : start + len(section.entries)]
        start += len(section.entries)
        on_theme = {t for t, fit in fits.items() if _on_theme(fit, section.theme_id)}
        units = _units(pool, reading, entities, on_theme)
        blurbs.append(_blurb(units, one_per_entry=len(section.entries) > 1))
    return blurbs


def _pool(section: SectionStories, *, strict: bool) -> list[_Sentence]:
    used = section.used if strict else frozenset()
    fit = _fit_for_blurb if strict else _is_statement
    pool = []
    for e, items in enumerate(section.entries):
        for item in items:
            own = split_sentences(item.enjeux or "")
            text = split_sentences(item.text)
            sources = [(own, 0, ENJEUX_BONUS), (text, 1, 0.0)]  # the lede is the summary's
            for sentences, first, bonus in sources:
                for i in range(first, len(sentences)):
                    sentence = sentences[i]
                    if sentence in used or not fit(sentence):
                        continue
                    previous = sentences[i - 1] if i > 0 else None
                    if previous in used or not (previous and fit(previous)):
                        previous = None  # printed above as a summary, or not a sentence
                    order = i if bonus else len(own) + i
                    pool.append(_Sentence(sentence, item.id, e, order, bonus, previous))
    return pool


def _lede(items: Sequence[StoredItem]) -> str:
    sentences = split_sentences(items[0].text)
    return sentences[0] if sentences else items[0].title


def _sentence_themes(texts: list[str], themes: Sequence[Theme]) -> list[dict[str, float]]:
    fits = theme_fits([StoryText("", text, ()) for text in texts], themes)
    return [{theme.id: fit for theme, fit in zip(themes, row, strict=True)} for row in fits]


def _on_theme(fits: dict[str, float], theme_id: str) -> bool:
    # A sentence is off its section's theme when it clearly belongs to another one (« le
    # tribunal… droit d’auteur… AI Act » under « Modèles »): that theme fits it well and far
    # better. One word is not enough: « problème d’image » does not make a sentence about
    # GPT-5 a sentence about image generation.
    own = fits.get(theme_id, 0.0)
    return not any(f >= OFF_THEME_FIT and f > 2 * own for t, f in fits.items() if t != theme_id)


def _units(
    pool: list[_Sentence],
    reading: dict[str, Reading],
    entities: Sequence[Entity | None],
    on_theme: set[str],
) -> list[_Unit]:
    if not pool:
        return []
    centrality = dict(zip((s.text for s in pool), _centrality([s.text for s in pool]), strict=True))
    units = []
    for sentence in pool:
        facts = reading[sentence.text]
        if facts.instruction or facts.fragment or sentence.text not in on_theme:
            continue
        score = _score(sentence, facts, centrality)
        previous = sentence.previous
        antecedent = reading[previous] if previous and previous in on_theme else None
        unit = _standalone(sentence, facts, antecedent, entities[sentence.entry], score)
        if unit is not None:
            units.append(unit)
    return units


def _score(sentence: _Sentence, facts: Reading, centrality: dict[str, float]) -> float:
    return (
        sentence.bonus
        + _cue_score(sentence.text)
        + centrality.get(sentence.text, 0.0)
        + OUTLOOK_BONUS * facts.outlook
        + NAMES_BONUS * facts.names
    )


def _standalone(
    sentence: _Sentence,
    facts: Reading,
    antecedent: Reading | None,
    entity: Entity | None,
    score: float,
) -> _Unit | None:
    """The sentence as something a reader understands alone, or None."""
    own = BlurbSentence(sentence.text, sentence.item_id)
    if facts.reference is None:
        return _Unit((own,), sentence.entry, sentence.order, score, facts.outlook)
    if (
        antecedent is not None
        and sentence.previous
        and _stands_alone(antecedent)
        and introduces(antecedent, facts)
    ):
        before = BlurbSentence(sentence.previous, sentence.item_id)
        return _Unit((before, own), sentence.entry, sentence.order, score, facts.outlook)
    explicit = _with_explicit_subject(sentence, facts, entity)
    if explicit is not None:
        return _Unit((explicit,), sentence.entry, sentence.order, score, facts.outlook)
    log.debug("blurb: left out %r (%s, no antecedent)", sentence.text, facts.reference)
    return None


def _stands_alone(facts: Reading) -> bool:
    return facts.reference is None and not facts.instruction and not facts.fragment


def _with_explicit_subject(
    sentence: _Sentence, facts: Reading, entity: Entity | None
) -> BlurbSentence | None:
    # « Le modèle souffre… » → « GPT-5 souffre… » when the story's lede is about GPT-5 and
    # GPT-5 is the kind of thing « le modèle » names; any doubt leaves the sentence out.
    subject = facts.subject
    if subject is None or entity is None or entity.kind != subject.kind:
        return None
    text = sentence.text[: subject.start] + entity.text + sentence.text[subject.end :]
    return BlurbSentence(text, sentence.item_id, original=sentence.text, subject=entity.text)


def _blurb(units: list[_Unit], *, one_per_entry: bool) -> tuple[BlurbSentence, ...]:
    chosen = _select(units, one_per_entry=one_per_entry)
    chosen.sort(key=lambda u: (u.outlook, u.entry, u.order))  # stakes, then outlook
    return tuple(s for unit in chosen for s in unit.sentences)


def _fit_for_blurb(sentence: str) -> bool:
    # A real sentence: long enough to say something, short enough to read, ending like a
    # statement (an intertitle of a pasted article has no final point; a question is not
    # an answer).
    words = count_words(sentence)
    return MIN_SENTENCE_WORDS <= words <= MAX_SENTENCE_WORDS and _is_statement(sentence)


def _is_statement(sentence: str) -> bool:
    ends = sentence.rstrip("»”\"') ").endswith((".", "!", "…"))
    return ends and _is_prose(sentence)


def _is_prose(sentence: str) -> bool:
    # Tables, prompt templates and formulas flattened into text (seed 002's how-to
    # articles: "Registre avec colonnes : Risque | Catégorie | …") are not prose.
    if _NOT_PROSE.search(sentence):
        return False
    letters = sum(c.isalpha() or c.isspace() for c in sentence)
    return letters >= 0.85 * len(sentence)


def _cue_score(sentence: str) -> float:
    return min(len(_CUES.findall(fold(sentence))), 2) * 0.75


def _centrality(sentences: list[str]) -> list[float]:
    """Cosine of each sentence to the section's centroid: what the section is about."""
    if len(sentences) < 2:
        return [0.0] * len(sentences)
    _vectorizer, matrix = tfidf(sentences)
    centroid = matrix.mean(axis=0)
    scores = (matrix @ centroid.T).A.ravel()
    top = float(scores.max()) or 1.0
    return [float(s) / top for s in scores]


def _select(units: list[_Unit], *, one_per_entry: bool) -> list[_Unit]:
    ranked = sorted(units, key=lambda u: (-u.score, u.entry, u.order))
    if not ranked:
        return []
    _vectorizer, matrix = tfidf([u.text for u in ranked])
    chosen: list[int] = []
    for spread in (one_per_entry, False):  # first one unit per story, then any
        for i in range(len(ranked)):
            fits = i not in chosen and _fits(ranked, chosen, i, spread=spread, cap=one_per_entry)
            if fits and not any(_similar(matrix, i, j) for j in chosen):
                chosen.append(i)
    return [ranked[i] for i in chosen]


def _fits(ranked: list[_Unit], chosen: list[int], i: int, *, spread: bool, cap: bool) -> bool:
    unit, picked = ranked[i], [ranked[j] for j in chosen]
    same_story = sum(len(u.sentences) for u in picked if u.entry == unit.entry)
    texts = {s.text for u in picked for s in u.sentences}
    return (
        sum(len(u.sentences) for u in picked) + len(unit.sentences) <= MAX_SENTENCES
        and sum(count_words(u.text) for u in picked) + count_words(unit.text) <= MAX_WORDS
        and not (spread and same_story)
        and not (cap and same_story + len(unit.sentences) > MAX_PER_STORY)
        and not texts & {s.text for s in unit.sentences}  # a sentence is printed once
    )


def _similar(matrix: object, i: int, j: int) -> bool:
    return float((matrix[i] @ matrix[j].T).toarray()[0, 0]) > REDUNDANT  # type: ignore[index]
