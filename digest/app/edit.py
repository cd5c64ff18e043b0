"""Use case: an editor changes an issue (issue 13), from `digest edit` or the preview's
forms. Every value is checked where it comes in (lengths, line breaks, control
characters, link schemes), and an edit is applied whole or not at all: one that names a
story, section or sentence the draft does not have is refused, not stored."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from digest.app.overrides import EditedIssue, apply_edits, refuse_unless_draft, save_edits
from digest.errors import EditError
from digest.models import AddedLink, BlurbEdit, Issue, IssueEdits
from digest.note import NOTE_MAX
from digest.store import Store

# Characters: a subject fits an inbox line; a summary is a paragraph, not an article.
LIMITS = {
    "subject": 200,
    "preheader": 300,
    "title": 300,
    "summary": 1500,
    "blurb": 600,
    "url": 2000,
    "note": NOTE_MAX,
    "search": 200,  # the desk's search of sent stories by title
}


@dataclass(frozen=True, slots=True)
class Desk:
    """An issue as the editor works on it: as built, as edited, and the overrides."""

    built: Issue
    edited: Issue
    edits: IssueEdits
    stale: tuple[str, ...]


def open_desk(store: Store, number: int) -> Desk:
    """Issue `number` and its overrides; EditError when there is no such issue."""
    built = store.built_draft(number)
    if built is None:
        known = ", ".join(str(i.number) for i in store.list_issues()) or "none yet"
        raise EditError(f"no issue {number} (issues: {known})", hint="digest build makes one")
    edits = store.issue_edits(number)
    applied = apply_edits(built, edits)
    return Desk(built, applied.issue, edits, applied.stale)


def edit_issue(store: Store, number: int, edits: IssueEdits, now: datetime) -> EditedIssue:
    """Make `edits` the overrides of draft `number`, checked, all or nothing."""
    desk = open_desk(store, number)
    refuse_unless_draft(desk.built)
    checked = check_edits(edits)
    new_stale = [s for s in apply_edits(desk.built, checked).stale if s not in desk.stale]
    if new_stale:
        raise EditError(
            "; ".join(new_stale), hint="the draft changed since you opened it: reload it"
        )
    return save_edits(store, desk.built, checked, now)


def check_edits(edits: IssueEdits) -> IssueEdits:
    """`edits` with every text stripped, or EditError naming the first bad value."""
    return IssueEdits(
        subject=_optional(edits.subject, "subject"),
        preheader=_optional(edits.preheader, "preheader"),
        note=_optional(edits.note, "note", one_line=False),
        section_order=edits.section_order,
        lead=edits.lead,
        dropped=edits.dropped,
        moves=dict(edits.moves),
        entry_order=dict(edits.entry_order),
        titles={k: check_text(v, "title") for k, v in edits.titles.items()},
        summaries={k: check_text(v, "summary", one_line=False) for k, v in edits.summaries.items()},
        blurbs={k: BlurbEdit(check_text(b.text, "blurb"), b.was) for k, b in edits.blurbs.items()},
        links=tuple(check_link(link) for link in edits.links),
    )


def check_text(value: str, name: str, *, one_line: bool = True) -> str:
    """`value` stripped; EditError if it is empty, too long, or holds a control character
    (a line break too, for a one-line field: a subject is a mail header)."""
    text = _clean(value, name, one_line)
    if not text:
        raise EditError(f"{name}: empty", hint=f"write a {name}, or leave the build's")
    return text


def check_link(link: AddedLink) -> AddedLink:
    url = check_text(link.url, "url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise EditError(
            f"url: {url[:80]!r} is not a web address", hint="give an http:// or https:// address"
        )
    title = _clean(link.title, "title", True) or parts.netloc.removeprefix("www.")
    summary = _clean(link.summary, "summary", False)
    return AddedLink(url, title, summary, link.theme_id)


def _optional(value: str | None, name: str, *, one_line: bool = True) -> str | None:
    """None (the build's value) for an absent or blank value, else the checked text."""
    if value is None:
        return None
    return _clean(value, name, one_line) or None


def _clean(value: str, name: str, one_line: bool) -> str:
    allowed = set() if one_line else {"\n", "\t"}
    text = value.replace("\r\n", "\n").strip()
    bad = sorted({f"U+{ord(c):04X}" for c in text if c not in allowed and _is_control(c)})
    if bad:
        what = "line breaks or control characters" if one_line else "control characters"
        raise EditError(f"{name}: {what} ({', '.join(bad)})", hint=f"a {name} is plain text")
    limit = LIMITS[name]
    if len(text) > limit:
        raise EditError(
            f"{name}: {len(text)} characters (at most {limit})", hint=f"shorten the {name}"
        )
    return text


def _is_control(char: str) -> bool:
    # Cc (C0, DEL, C1) and the line and paragraph separators, which end a header line too.
    return unicodedata.category(char) == "Cc" or char in "\u2028\u2029"
