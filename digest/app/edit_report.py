"""What an edit did, in words for the editor (issue 13): `digest edit` prints it after
saving. It compares the overrides before and after, naming stories by their title, so
"applied: subject, 2 stories dropped (« A », « B »)" says what the editor will see in the
email; the overrides the draft cannot apply are listed apart, as they are kept."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from digest.app.overrides import apply_edits
from digest.models import AddedLink, Issue, IssueEdits

QUOTED_MAX = 40  # characters of a title or sentence quoted in the report


@dataclass(frozen=True, slots=True)
class EditReport:
    """What changed, and what the edit asked for that is not in the draft."""

    applied: tuple[str, ...]  # "subject", "1 story dropped (« … »)", …
    not_applied: tuple[str, ...]  # "sections[2].title: …", "drop 12: no such story …"


def quoted(text: str) -> str:
    """« text », cut to QUOTED_MAX characters."""
    short = text if len(text) <= QUOTED_MAX else text[: QUOTED_MAX - 1].rstrip() + "…"
    return f"« {short} »"


def report_edit(
    built: Issue, before: IssueEdits, after: IssueEdits, not_applied: Iterable[str] = ()
) -> EditReport:
    """How `after` differs from `before` on draft `built`; `not_applied` are what the
    editor asked that no override holds, and the overrides `after` keeps that `built`
    cannot apply are added to them."""
    names = _Names(built, before, after)
    applied = [
        *_issue_fields(before, after),
        *_stories(names, before, after),
        *_layout(built, before, after, names),
        *_rewrites(names, before, after),
        *_links(before.links, after.links),
    ]
    if not applied and before != after:
        applied.append("no visible change")  # an override the draft already showed
    stale = apply_edits(built, after).stale
    return EditReport(tuple(applied), (*not_applied, *(f"{s} (kept)" for s in stale)))


class _Names:
    """Stories and sections by the names the editor sees."""

    def __init__(self, built: Issue, before: IssueEdits, after: IssueEdits) -> None:
        self.built = built
        self.rewritten = {**before.titles, **after.titles}

    def story(self, key: str) -> str:
        entry = next((e for e in self.built.entries if e.has_key(key)), None)
        if entry is not None:
            return quoted(entry.title)
        return f"story {key}" if key not in self.rewritten else quoted(self.rewritten[key])

    def stories(self, keys: Iterable[str]) -> str:
        return ", ".join(self.story(key) for key in sorted(keys))

    def section(self, theme: str) -> str:
        found = next((s for s in self.built.sections if s.theme_id == theme), None)
        return quoted(found.title) if found else theme


def _counted(keys: Collection[str], what: str, names: _Names) -> list[str]:
    """ "2 stories dropped (« A », « B »)"; nothing when there are none."""
    if not keys:
        return []
    noun = "story" if len(keys) == 1 else "stories"
    return [f"{len(keys)} {noun} {what} ({names.stories(keys)})"]


def _issue_fields(before: IssueEdits, after: IssueEdits) -> list[str]:
    changes = []
    for name in ("subject", "preheader", "note"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append(name if new else f"{name} back to the build's")
    return changes


def _stories(names: _Names, before: IssueEdits, after: IssueEdits) -> list[str]:
    moved = {
        key: theme
        for key, theme in after.moves.items()
        if before.moves.get(key) != theme and key not in after.dropped
    }
    unmoved = set(before.moves) - set(after.moves) - after.dropped
    changes = [
        *_counted(after.dropped - before.dropped, "dropped", names),
        *_counted(before.dropped - after.dropped, "put back", names),
    ]
    if moved:
        where = ", ".join(
            f"{names.story(key)} to {names.section(theme)}" for key, theme in sorted(moved.items())
        )
        changes.append(f"{len(moved)} moved ({where})")
    changes += _counted(unmoved, "moved back", names)
    if after.lead != before.lead:
        changes.append(
            f"{names.story(after.lead)} pinned as the lead" if after.lead else "lead unpinned"
        )
    return changes


def _layout(built: Issue, before: IssueEdits, after: IssueEdits, names: _Names) -> list[str]:
    """The orders that changed, as the reader sees them: an override rewritten with the
    same effect (a drop renews the section's order) is not a change, nor a section that
    comes first because its story was pinned (the lead says so)."""
    old, new = apply_edits(built, before).issue, apply_edits(built, after).issue
    changes = []
    if before.section_order != after.section_order and _reordered(
        [s.theme_id for s in old.sections], [s.theme_id for s in new.sections]
    ):
        changes.append("sections reordered")
    for section in new.sections:
        theme = section.theme_id
        if before.entry_order.get(theme) == after.entry_order.get(theme):
            continue
        was = next((s for s in old.sections if s.theme_id == theme), None)
        if was and _reordered([e.key for e in was.entries], [e.key for e in section.entries]):
            changes.append(f"stories reordered in {names.section(theme)}")
    return changes


def _reordered(old: Sequence[str], new: Sequence[str]) -> bool:
    """Whether the elements both lists have come in another order."""
    common = set(old) & set(new)
    return [x for x in old if x in common] != [x for x in new if x in common]


def _rewrites(names: _Names, before: IssueEdits, after: IssueEdits) -> list[str]:
    """Titles, summaries and blurb sentences written or given back to the build; a
    sentence is named by the build's words, which the editor replaced."""
    was = {
        key: edit.was
        for edit_map in (before.blurbs, after.blurbs)
        for key, edit in edit_map.items()
    }
    return [
        *_rewritten("title of", before.titles, after.titles, names.story),
        *_rewritten("summary of", before.summaries, after.summaries, names.story),
        *_rewritten(
            "blurb sentence",
            {key: edit.text for key, edit in before.blurbs.items()},
            {key: edit.text for key, edit in after.blurbs.items()},
            lambda key: quoted(was[key]),
        ),
    ]


def _rewritten(
    what: str, old: Mapping[str, str], new: Mapping[str, str], name: Callable[[str], str]
) -> list[str]:
    """ "title of « A » rewritten", "summary of « B » back to the build's"."""
    return [
        f"{what} {name(key)} " + ("rewritten" if key in new else "back to the build's")
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def _links(before: Sequence[AddedLink], after: Sequence[AddedLink]) -> list[str]:
    old, new = {link.key: link for link in before}, {link.key: link for link in after}
    changes = []
    for key, link in new.items():
        if key not in old:
            changes.append(f"link {quoted(link.title or link.url)} added")
        elif old[key] != link:
            changes.append(f"link {quoted(link.title or link.url)} changed")
    changes += [f"link {quoted(old[k].title or old[k].url)} removed" for k in old if k not in new]
    return changes
