"""The editor's overrides applied to a built draft (issue 13): one function, called after
the summarizer on every build and after every edit, so build, render, `show --json` and
the preview all see the same edited issue.

Overrides are always applied to the draft as built (kept in the store beside the edited
one), never to an edited draft: undoing one brings back what the build wrote, and an
override whose story a rebuild no longer has is reported, not silently kept or lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from digest.errors import EditError
from digest.models import (
    BlurbSentence,
    Entry,
    Issue,
    IssueEdits,
    IssueStatus,
    Link,
    Section,
)
from digest.store import Store


@dataclass(frozen=True, slots=True)
class EditedIssue:
    issue: Issue
    # The overrides that no longer apply (their story, section or sentence is gone), in
    # words for the editor: "drop 12: no such story in this build".
    stale: tuple[str, ...] = ()


@dataclass
class _Draft:
    """The issue being edited, as lists the overrides change in place."""

    sections: list[tuple[Section, list[Entry], list[BlurbSentence]]]
    stale: list[str] = field(default_factory=list)

    def find(self, key: str) -> tuple[int, int] | None:
        """(section index, entry index) of the story `key` names."""
        for s, (_, entries, _) in enumerate(self.sections):
            for e, entry in enumerate(entries):
                if entry.has_key(key):
                    return s, e
        return None

    def section_of(self, theme_id: str) -> int | None:
        return next(
            (i for i, (sec, _, _) in enumerate(self.sections) if sec.theme_id == theme_id), None
        )

    def on_story(self, kind: str, key: str, change: Callable[[int, int], None]) -> None:
        where = self.find(key)
        if where is None:
            self.stale.append(f"{kind} {key}: no such story in this build")
        else:
            change(*where)


def blurb_key(theme_id: str, sentence: BlurbSentence, nth: int) -> str:
    """A blurb sentence's stable key: its section, its story, its rank among that story's
    sentences in the section."""
    return f"{theme_id}/{sentence.item_id}/{nth}"


def blurb_keys(section: Section) -> list[str]:
    """The key of each of the section's blurb sentences, in order."""
    seen: dict[int, int] = {}
    keys = []
    for sentence in section.blurb:
        nth = seen.get(sentence.item_id, 0)
        seen[sentence.item_id] = nth + 1
        keys.append(blurb_key(section.theme_id, sentence, nth))
    return keys


def apply_edits(built: Issue, edits: IssueEdits) -> EditedIssue:
    """`built` with every override of `edits` that applies, and the ones that do not."""
    draft = _Draft([(sec, list(sec.entries), list(sec.blurb)) for sec in built.sections])
    _add_links(draft, edits)
    for key in sorted(edits.dropped):
        draft.on_story("drop", key, partial(_drop, draft))
    for key, theme in edits.moves.items():
        draft.on_story("move", key, partial(_move, draft, theme))
    _rewrite(draft, "title", edits.titles)
    _rewrite(draft, "summary", edits.summaries)
    _rewrite_blurbs(draft, edits)
    for theme, keys in edits.entry_order.items():
        index = draft.section_of(theme)
        if index is None:
            draft.stale.append(f"order of {theme}: no such section in this build")
            continue
        sec, entries, blurb = draft.sections[index]
        draft.sections[index] = (sec, _ordered(entries, keys), blurb)
    draft.sections = _ordered_sections(draft.sections, edits.section_order)
    if edits.lead is not None:
        draft.on_story("lead", edits.lead, partial(_pin, draft))
    sections = tuple(
        replace(sec, entries=tuple(entries), blurb=tuple(blurb))
        for sec, entries, blurb in draft.sections
        if entries  # a section left with no story goes, its blurb with it
    )
    issue = _with_issue_fields(replace(built, sections=sections), edits)
    return EditedIssue(issue, tuple(draft.stale))


def _with_issue_fields(issue: Issue, edits: IssueEdits) -> Issue:
    """The subject, preheader and note the editor wrote, each marked as theirs."""
    subject = issue.subject if edits.subject is None else edits.subject
    preheader = issue.preheader if edits.preheader is None else edits.preheader
    note = edits.note or ""
    edited = [
        name
        for name, value in (("subject", subject), ("preheader", preheader), ("note", note))
        if value != getattr(issue, name)
    ]
    layout = edits.section_order or edits.entry_order or edits.lead or edits.moves
    if edits.dropped or edits.links or layout:
        edited.append("sections")
    return replace(issue, subject=subject, preheader=preheader, note=note, edited=tuple(edited))


def _add_links(draft: _Draft, edits: IssueEdits) -> None:
    for link in edits.links:
        if draft.find(link.key) is not None:
            continue  # an item of the build has that very link now: keep the build's story
        entry = Entry(
            title=link.title,
            summary=link.summary,
            links=(Link(link.url, link.title),),
            item_ids=(),
            sources=(),
            edited=("title", "summary"),
        )
        index = draft.section_of(link.theme_id)
        if index is None:
            index = len(draft.sections) - 1
        if index < 0:
            draft.stale.append(f"link {link.url}: the issue has no section to put it in")
            continue
        draft.sections[index][1].append(entry)


def _drop(draft: _Draft, s: int, e: int) -> None:
    """The story goes, and the blurb sentences drawn from it: a blurb citing a story the
    email no longer has would send the reader to nothing."""
    _, entries, blurb = draft.sections[s]
    gone = set(entries.pop(e).item_ids)
    blurb[:] = [sentence for sentence in blurb if sentence.item_id not in gone]


def _move(draft: _Draft, theme: str, s: int, e: int) -> None:
    target = draft.section_of(theme)
    if target is None:
        draft.stale.append(f"move to {theme}: no such section in this build")
        return
    if target != s:
        draft.sections[target][1].append(draft.sections[s][1].pop(e))


def _pin(draft: _Draft, s: int, e: int) -> None:
    """The story first in its section, its section first: the lead readers see first."""
    section = draft.sections.pop(s)
    section[1].insert(0, section[1].pop(e))
    draft.sections.insert(0, section)


def _rewrite(draft: _Draft, name: str, texts: Mapping[str, str]) -> None:
    for key, text in texts.items():

        def change(s: int, e: int, text: str = text) -> None:
            entries = draft.sections[s][1]
            entry = entries[e]
            edited = (*entry.edited, name)
            if name == "title":
                entries[e] = replace(entry, title=text, edited=edited)
            else:
                entries[e] = replace(entry, summary=text, edited=edited)

        draft.on_story(name, key, change)


def _rewrite_blurbs(draft: _Draft, edits: IssueEdits) -> None:
    wanted = dict(edits.blurbs)
    for sec, _, blurb in draft.sections:
        for i, key in enumerate(blurb_keys(replace(sec, blurb=tuple(blurb)))):
            edit = wanted.pop(key, None)
            if edit is None:
                continue
            if edit.was != blurb[i].text:
                draft.stale.append(f"blurb {key}: the build wrote another sentence there")
                continue
            blurb[i] = replace(blurb[i], text=edit.text, edited=True)
    draft.stale.extend(f"blurb {key}: no such sentence in this build" for key in wanted)


def _ordered(entries: list[Entry], keys: Sequence[str]) -> list[Entry]:
    """The entries `keys` names first, in that order; the others after, as they were."""

    def rank(entry: Entry) -> int:
        return next((i for i, key in enumerate(keys) if entry.has_key(key)), len(keys))

    return sorted(entries, key=rank)  # stable: the unnamed keep their order


def _ordered_sections(
    sections: list[tuple[Section, list[Entry], list[BlurbSentence]]], order: Sequence[str]
) -> list[tuple[Section, list[Entry], list[BlurbSentence]]]:
    def rank(section: tuple[Section, list[Entry], list[BlurbSentence]]) -> int:
        theme = section[0].theme_id
        return order.index(theme) if theme in order else len(order)

    return sorted(sections, key=rank)


# -- the use of it: every draft stored goes through here ----------------------------------


def store_draft(store: Store, built: Issue, now: datetime) -> EditedIssue:
    """Store a freshly built draft with the overrides its number already has applied."""
    edits = store.issue_edits(built.number)
    edited = apply_edits(built, edits)
    return replace(edited, issue=store.save_edited_draft(built, edited.issue, now))


def save_edits(store: Store, built: Issue, edits: IssueEdits, now: datetime) -> EditedIssue:
    """Make `edits` the overrides of `built`'s number and store the draft they make, whole
    or not at all; EditError when the issue is not a draft."""
    refuse_unless_draft(built)
    edited = apply_edits(built, edits)
    return replace(edited, issue=store.save_edited_draft(built, edited.issue, now, edits))


def refuse_unless_draft(issue: Issue) -> None:
    """EditError (exit 2, as IssueStatusError) unless `issue` is a draft."""
    if issue.status is IssueStatus.APPROVED:
        raise EditError(
            f"issue {issue.number} is approved: it cannot be edited",
            hint=f"digest unapprove {issue.number} first, then edit it",
        )
    if issue.status is not IssueStatus.DRAFT:
        raise EditError(
            f"issue {issue.number} is {issue.status.value}: it has gone out and cannot change"
        )
