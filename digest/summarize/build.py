"""The build stage: the items of a period become a draft issue.

Takes stored items and the settings; gives an `Issue` (not yet stored): near-duplicates
merged into stories, stories sorted into themed sections by fit and rank, each entry
summarised, each section opened by its « Enjeux et perspectives ». Deterministic: the
same items and settings give the same issue (ties are broken by item id, never by chance).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from digest.models import (
    BRIEF_THEME_ID,
    BRIEF_THEME_TITLE,
    Entry,
    Issue,
    IssueStatus,
    ItemKind,
    Link,
    Section,
    StoredItem,
)
from digest.nlp import Parses
from digest.settings import Settings
from digest.summarize.blurbs import SectionStories, write_blurbs
from digest.summarize.dedupe import group_duplicates
from digest.summarize.extractive import Fitness, summarize_story
from digest.summarize.headlines import untitled_headlines
from digest.summarize.rank import story_score
from digest.summarize.standalone import story_fitness
from digest.summarize.subject import MAX_TOPICS, IssueLines, write_issue_lines
from digest.summarize.themes import StoryText, assign_themes

log = logging.getLogger(__name__)

BRIEF_WORDS = 25
MIN_BLURB_SENTENCES = 2


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Story:
    """One story of the period: the items that tell it, the best of them first."""

    items: tuple[StoredItem, ...]
    score: float
    theme: str = BRIEF_THEME_ID

    @property
    def lead(self) -> StoredItem:
        return self.items[0]


def summarize(
    story: Story, max_words: int, max_sentences: int, fitness: Fitness | None = None
) -> tuple[str, ...]:
    """The story's summary sentences, by the embedded extractive summarizer; `fitness`
    says which of them stand alone (standalone.py)."""
    lead = story.lead
    return summarize_story(
        lead.text, lead.title, max_words=max_words, max_sentences=max_sentences, fitness=fitness
    ).sentences


def build_issue(
    items: Sequence[StoredItem],
    settings: Settings,
    *,
    number: int,
    period: Period,
    now: datetime,
) -> Issue | None:
    """A draft issue from the period's items, or None when there is no story in them."""
    stories = _stories([i for i in items if i.kind is ItemKind.STORY], settings, period)
    if not stories:
        return None
    themed, briefs = _allocate(stories, settings)
    # The headlines, the summaries' fitness, the blurbs and the subject line read
    # overlapping sentences: each is parsed once for the build.
    parses = Parses()
    themed, briefs = _with_headlines(themed, briefs, settings.issue.max_briefs, parses)
    fitness = _fitness([*themed, *briefs[: settings.issue.max_briefs]], parses)
    ordered = _order_sections(themed, settings)
    drafts = [
        _themed_section(theme_id, members, settings, fitness) for theme_id, members in ordered
    ]
    blurbs = write_blurbs([blurb_from for _section, blurb_from in drafts], settings.themes, parses)
    sections = []
    for (_theme, members), (section, _blurb_from), blurb in zip(
        ordered, drafts, blurbs, strict=True
    ):
        if len(blurb) >= MIN_BLURB_SENTENCES:
            sections.append(replace(section, blurb=blurb))
        else:  # too thin to have stakes of its own (one short item): its stories are briefs
            briefs = sorted([*briefs, *members], key=lambda s: (-s.score, s.lead.id))
    briefs = briefs[: settings.issue.max_briefs]
    if briefs:
        entries = tuple(
            _entry(s, summarize(s, BRIEF_WORDS, 1, fitness.get(s.lead.id))) for s in briefs
        )
        sections.append(Section(BRIEF_THEME_ID, BRIEF_THEME_TITLE, (), entries))
    log.info("issue %d: %d stories in %d sections", number, len(stories), len(sections))
    lines = _issue_lines(themed or briefs, sections, settings, number, parses)
    return Issue(
        number=number,
        status=IssueStatus.DRAFT,
        period_start=period.start,
        period_end=period.end,
        created_at=now,
        sections=tuple(sections),
        subject=lines.subject,
        preheader=lines.preheader,
    )


def _with_headlines(
    themed: list[Story], briefs: list[Story], max_briefs: int, parses: Parses
) -> tuple[list[Story], list[Story]]:
    """Untitled stories that may make the issue get a headline written from their lede
    (issue 11): one parse for all of them; briefs past the cap never make it."""
    finalists = [*themed, *briefs[:max_briefs]]
    headlines = untitled_headlines([s.lead for s in finalists], parses)
    retitled = [_retitled(s, headlines.get(s.lead.id)) for s in finalists]
    return retitled[: len(themed)], [*retitled[len(themed) :], *briefs[max_briefs:]]


def _fitness(finalists: list[Story], parses: Parses) -> dict[int, Fitness]:
    """Which sentences of each finalist's lead stand alone, by lead item id (issue 11):
    the French pipeline reads all the finalists at once, and only them."""
    found = story_fitness([s.lead.text for s in finalists], parses)
    return {s.lead.id: f for s, f in zip(finalists, found, strict=True)}


def _retitled(story: Story, headline: str | None) -> Story:
    if not headline:
        return story
    lead = replace(story.lead, title=headline)
    return replace(story, items=(lead, *story.items[1:]))


def _issue_lines(
    ranked: list[Story], sections: list[Section], settings: Settings, number: int, parses: Parses
) -> IssueLines:
    """Subject and preheader from the strongest stories and the lead story's summary."""
    strongest = ranked[:MAX_TOPICS]
    lead_id = strongest[0].lead.id
    entries = (e for s in sections for e in s.entries)
    lead_summary = next((e.summary for e in entries if e.item_ids[:1] == (lead_id,)), "")
    return write_issue_lines(
        [(s.lead.title, s.lead.text) for s in strongest],
        lead_summary,
        settings.newsletter,
        number,
        parses,
    )


def _stories(items: list[StoredItem], settings: Settings, period: Period) -> list[Story]:
    groups = group_duplicates(items)
    stories = []
    for group in groups:
        members = sorted((items[i] for i in group), key=_lead_order)
        lead = members[0]
        score = story_score(
            sources=len({m.source_name for m in members}),
            weight=max(settings.source_weight(m.source_name) for m in members),
            published_at=max(m.published_at for m in members),
            period_start=period.start,
            period_end=period.end,
            words=len(lead.text.split()),
            edited=any(m.enjeux for m in members),
        )
        stories.append(Story(items=tuple(members), score=score))
    texts = [
        StoryText(s.lead.title, s.lead.text, tuple(m.source_name for m in s.items)) for s in stories
    ]
    themes = assign_themes(texts, settings.themes, settings.pins)
    return [Story(s.items, s.score, theme) for s, theme in zip(stories, themes, strict=True)]


def _lead_order(item: StoredItem) -> tuple[int, int, int]:
    # The item that tells the story best leads it: its own « enjeux » first, then the longest.
    return (0 if item.enjeux else 1, -len(item.text), item.id)


def _allocate(stories: list[Story], settings: Settings) -> tuple[list[Story], list[Story]]:
    """Themed entries within the caps, best first; everything else is a brief."""
    caps = settings.issue
    ranked = sorted(stories, key=lambda s: (-s.score, s.lead.id))
    themed: list[Story] = []
    briefs: list[Story] = []
    per_theme: dict[str, int] = {}
    for story in ranked:
        count = per_theme.get(story.theme, 0)
        fits = count < caps.max_per_section and len(themed) < caps.max_entries
        if story.theme != BRIEF_THEME_ID and fits:
            themed.append(story)
            per_theme[story.theme] = count + 1
        else:
            briefs.append(story)
    return themed, briefs


def _order_sections(themed: list[Story], settings: Settings) -> list[tuple[str, list[Story]]]:
    """Sections by weight (the sum of their stories' scores); ties in configuration order."""
    order = {theme.id: i for i, theme in enumerate(settings.themes)}
    by_theme: dict[str, list[Story]] = {}
    for story in themed:
        by_theme.setdefault(story.theme, []).append(story)
    return sorted(
        by_theme.items(), key=lambda kv: (-sum(s.score for s in kv[1]), order.get(kv[0], 0))
    )


def _themed_section(
    theme_id: str, stories: list[Story], settings: Settings, fitness: dict[int, Fitness]
) -> tuple[Section, SectionStories]:
    """The section without its blurb, and what its blurb is drawn from (written for all
    sections at once, so the French pipeline reads every candidate in one batch)."""
    title = next(t.title for t in settings.themes if t.id == theme_id)
    words = settings.issue.summary_words
    summaries = [summarize(s, words, 3, fitness.get(s.lead.id)) for s in stories]
    entries = tuple(_entry(s, summary) for s, summary in zip(stories, summaries, strict=True))
    used = frozenset(sentence for summary in summaries for sentence in summary)
    blurb_from = SectionStories(theme_id, [s.items for s in stories], used)
    return Section(theme_id, title, (), entries), blurb_from


def _entry(story: Story, summary: tuple[str, ...]) -> Entry:
    return Entry(
        title=story.lead.title,
        summary=" ".join(summary),
        links=_links(story.items),
        item_ids=tuple(i.id for i in story.items),
        sources=tuple(dict.fromkeys(i.reader_source for i in story.items)),
    )


def _links(items: Sequence[StoredItem]) -> tuple[Link, ...]:
    """The story's sources: each item's own URL first, then the links it cited."""
    seen: dict[str, Link] = {}
    for item in items:
        if item.url:
            seen.setdefault(item.url, Link(item.url, item.title))
    for item in items:
        for link in item.links:
            seen.setdefault(link.url, link)
    return tuple(seen.values())
