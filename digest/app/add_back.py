"""Use case: an editor puts a story that already went out back into the draft (issue 13,
item 4), from the preview's desk. A build leaves every sent story out; here the editor
finds one (those of the draft's period, or by its title) and the draft is rebuilt with it,
over the draft's own period, keeping the stories added back before and every override.
`digest build --add-back ITEM_ID` is the command line's way to the same build."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from digest.app.build import BuildResult, run_build
from digest.app.edit import check_text
from digest.app.overrides import refuse_unless_draft
from digest.errors import EditError
from digest.models import Issue, IssueStatus
from digest.settings import Settings
from digest.store import Store
from digest.store.release import SentStories

log = logging.getLogger(__name__)

LISTED = 20  # stories a list shows: past that, the editor narrows the search


@dataclass(frozen=True, slots=True)
class SentChoice:
    """The sent stories offered for draft `number`: `search` is None for those of the
    draft's period, else the title words they contain ('' lists the latest ones)."""

    search: str | None
    found: SentStories


@dataclass(frozen=True, slots=True)
class AddedBack:
    """What adding back an item did: `build` is None when the draft had it already."""

    issue: Issue
    build: BuildResult | None


def can_add_back(store: Store, issue: Issue) -> bool:
    """Whether the desk offers to add a story back to `issue`: it is the draft a build
    rebuilds, and some story went out already."""
    return _rebuilt_by_build(store, issue) and store.sent_stories(limit=0).matched > 0


def _rebuilt_by_build(store: Store, issue: Issue) -> bool:
    """Whether `issue` is the latest issue and a draft: an older issue put back to draft
    is edited, but a build would rebuild another one."""
    latest = store.latest_issue()
    latest_number = latest.number if latest else None
    return issue.status is IssueStatus.DRAFT and latest_number == issue.number


def sent_choice(store: Store, issue: Issue, search: str | None) -> SentChoice:
    """The sent stories not in `issue` (as built: a story added back and then dropped is
    the desk's « retirés »): those published in its period, or (`search` given) those
    whose title contains it; at most LISTED. EditError for a search that is too long
    or holds a control character."""
    carried = [i for e in issue.entries for i in e.item_ids]
    if search is None:
        period = (issue.period_start, issue.period_end)
        found = store.sent_stories(limit=LISTED, published=period, leave_out=carried)
        return SentChoice(None, found)
    words = check_text(search, "search") if search.strip() else ""
    found = store.sent_stories(limit=LISTED, title=words, leave_out=carried)
    return SentChoice(words, found)


def add_back(
    store: Store, settings: Settings, number: int, item_id: int, now: datetime
) -> AddedBack:
    """Rebuild draft `number` with item `item_id` added back, over the draft's period, with
    the items added back before and the overrides. Nothing is rebuilt when the draft has it
    already (a repeated post). EditError for an issue a build does not rebuild, an item that
    does not exist or never went out, or one the build found no room for."""
    issue = store.built_draft(number)  # a story added back, then dropped, is still in it
    if issue is None:
        raise EditError(f"no issue {number}", hint="digest build makes one")
    refuse_unless_draft(issue)
    if not _rebuilt_by_build(store, issue):
        raise EditError(
            f"issue {number} is not the latest issue: a build rebuilds only the latest draft",
            hint="add the story back to the latest draft",
        )
    if not store.items_by_id([item_id]):
        raise EditError(f"no item {item_id}", hint="pick a story in the list of sent stories")
    if not store.sent_item_ids([item_id]):
        raise EditError(
            f"item {item_id} never went out: there is nothing to add back",
            hint="a story that did not go out is in the build already, if its period has it",
        )
    if item_id in {i for e in issue.entries for i in e.item_ids}:
        return AddedBack(issue, None)
    result = run_build(
        store,
        settings,
        now,
        since=issue.period_start,
        until=issue.period_end,
        added_back=[item_id],  # and those of the draft: every rebuild keeps them
    )
    rebuilt = result.issue
    if rebuilt is None or item_id not in {i for e in rebuilt.entries for i in e.item_ids}:
        raise EditError(
            f"item {item_id} was added back, but the build found no room for it "
            f"(at most {settings.issue.max_entries} entries and "
            f"{settings.issue.max_briefs} briefs)",
            hint="raise issue.max_briefs (or issue.max_entries) in the configuration, "
            "then add it back",
        )
    log.info("add back: item %d in draft %d", item_id, number)
    return AddedBack(rebuilt, result)
