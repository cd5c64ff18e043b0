"""An issue's subject line and preheader (the inbox's preview text), written at build time.

Takes the strongest stories' parsed titles and ledes, and the lead story's summary; gives
the subject (« Le Fil IA n°3 — GPT-5.1, Tiny Recursive Models et Claude Code », at most
78 characters, never a word cut) and the preheader (a full sentence of the lead story,
~90–140 characters, never one opening on a reference the reader has not seen). Both go
through the configured templates (`newsletter.subject_template`,
`newsletter.preheader_template`) and are stored on the issue, so an editor can override
them before it is sent (issue 11, item 6).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.nlp import Parses
from digest.sentences import split_sentences
from digest.settings import (
    DEFAULT_PREHEADER_TEMPLATE,
    DEFAULT_SUBJECT_TEMPLATE,
    NewsletterSettings,
)
from digest.summarize.headlines import collapse_spaces, headline_sentence

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

MAX_SUBJECT_CHARS = 78  # what inboxes show before cutting the subject (Gmail, iOS Mail)
PREHEADER_CHARS = (90, 140)
MAX_TOPICS = 3
_TOPIC_MAX_WORDS = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_ENTITY_LABELS = frozenset(("ORG", "MISC", "PER", "LOC"))
# Openings that point back to something the inbox reader has not seen (issue 11:
# « Cette stratégie révèle… », « De l'autre, … », « Cela ouvre la voie… »).
_REFERENCE_OPENERS = frozenset(
    "il elle ils elles ce cet cette ces cela ça ceci celui celle ceux celles son sa ses "
    "leur leurs mais et puis ainsi pourtant donc or cependant toutefois néanmoins".split()
)


@dataclass(frozen=True, slots=True)
class IssueLines:
    subject: str
    preheader: str


def write_issue_lines(
    strongest: Sequence[tuple[str, str]],
    lead_summary: str,
    newsletter: NewsletterSettings,
    number: int,
    parses: Parses | None = None,
) -> IssueLines:
    """The subject and preheader of an issue from its strongest stories' (title, text), best
    first, and the lead story's summary; the titles and ledes are parsed in one batch, with
    their named entities (by `parses`, the build's, else a fresh one)."""
    ledes = [headline_sentence(text) for _, text in strongest]
    docs = (parses or Parses())([title for title, _ in strongest] + ledes, entities=True)
    half = len(strongest)
    names = [
        story_topic(title, lede, text)
        for title, lede, (_, text) in zip(docs[:half], docs[half:], strongest, strict=True)
    ]
    return issue_lines(
        distinct_topics(names),
        lead_summary,
        title=newsletter.title,
        number=number,
        subject_template=newsletter.subject_template,
        preheader_template=newsletter.preheader_template,
    )


def issue_lines(
    topics: Sequence[str],
    lead_summary: str,
    *,
    title: str,
    number: int,
    subject_template: str = DEFAULT_SUBJECT_TEMPLATE,
    preheader_template: str = DEFAULT_PREHEADER_TEMPLATE,
) -> IssueLines:
    """The subject and preheader from the strongest stories' topics and the lead summary."""
    lead = preheader_sentence(lead_summary)
    values = {"title": title, "number": str(number), "lead": lead}
    subject = _fit_subject(subject_template, values, topics)
    preheader = _one_line(preheader_template.format_map(values | {"topics": join_topics(topics)}))
    return IssueLines(subject=subject, preheader=preheader)


# -- subject ----------------------------------------------------------------------------------


def story_topic(title: Doc, lede: Doc, text: str) -> str:
    """A story's short name: the name its title gives that the story repeats most
    (« GPT-5.1 » over « OpenAI »), else its lede's, else the title when it is short."""
    for doc in (title, lede):
        names = list(dict.fromkeys(_clean(e.text) for e in doc.ents if _is_name(e)))
        if names:
            return max(names, key=lambda name: text.count(name))  # first one on a tie
    words = title.text.split()
    return _clean(title.text) if 0 < len(words) <= _TOPIC_MAX_WORDS else ""


def _is_name(entity: Span) -> bool:
    if entity.label_ not in _ENTITY_LABELS or len(entity.text.split()) > _TOPIC_MAX_WORDS:
        return False
    first = entity[0]
    # The model calls a sentence-opening verb an entity (« Structurer », « Lancez »).
    return first.pos_ != "VERB" and (first.text[:1].isupper() or first.text[:1].isdigit())


def _clean(text: str) -> str:
    return collapse_spaces(text).strip(' .,;:«»"()\u00a0\u202f')


def distinct_topics(candidates: Sequence[str], limit: int = MAX_TOPICS) -> list[str]:
    """The first `limit` topics that neither repeat nor contain one another."""
    topics: list[str] = []
    for candidate in candidates:
        low = candidate.casefold()
        if candidate and not any(low in t.casefold() or t.casefold() in low for t in topics):
            topics.append(candidate)
        if len(topics) == limit:
            break
    return topics


def join_topics(topics: Sequence[str]) -> str:
    """« A », « A et B », « A, B et C »."""
    if len(topics) <= 1:
        return "".join(topics)
    return f"{', '.join(topics[:-1])} et {topics[-1]}"


def _fit_subject(template: str, values: dict[str, str], topics: Sequence[str]) -> str:
    """The template filled with as many topics as fit in MAX_SUBJECT_CHARS (3, 2, 1, 0)."""
    for count in range(min(len(topics), MAX_TOPICS), -1, -1):
        subject = _one_line(template.format_map(values | {"topics": join_topics(topics[:count])}))
        subject = subject.rstrip(" —–-:,;·|").strip()  # no topics: no dangling separator
        if len(subject) <= MAX_SUBJECT_CHARS:
            return subject
    return _whole_words(subject, MAX_SUBJECT_CHARS)


def _whole_words(text: str, limit: int) -> str:
    """At most `limit` characters, cut before a word, never inside one."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0]
    return cut.rstrip(" —–-:,;·|")


def _one_line(text: str) -> str:
    """One header-safe line: line breaks become spaces, other control characters go (a
    story's text is outside input, and the subject becomes a mail header)."""
    return _CONTROL.sub("", collapse_spaces(text))


# -- preheader --------------------------------------------------------------------------------


def preheader_sentence(summary: str) -> str:
    """The lead summary's sentence that best previews it: a full sentence that stands alone,
    ~90–140 characters (two short ones together when one is too short)."""
    sentences = [s for s in split_sentences(summary) if not opens_on_reference(s)]
    low, high = PREHEADER_CHARS
    for i, sentence in enumerate(sentences):
        if low <= len(sentence) <= high:
            return sentence
        pair = f"{sentence} {sentences[i + 1]}" if i + 1 < len(sentences) else ""
        if len(sentence) < low and pair and len(pair) <= high:
            return pair
    fitting = [s for s in sentences if len(s) <= high]
    if fitting:
        return max(fitting, key=len)
    return min(sentences, key=len) if sentences else ""


def opens_on_reference(sentence: str) -> bool:
    """True when the sentence opens on a pronoun, demonstrative or connective that needs
    what came before it (« Cette stratégie… », « Il a… », « Mais… », « De l’autre, … »)."""
    words = re.findall(r"[\w’']+", sentence.lower().replace("'", "’"))
    if not words:
        return True
    first = words[0]
    if first.startswith(("l’autre", "d’autre")) or first in _REFERENCE_OPENERS:
        return True
    return first == "de" and len(words) > 1 and words[1] in {"l’autre", "son", "sa", "ses"}
