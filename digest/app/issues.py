"""Use cases: read what is stored, for an editor: the stories that came in, one issue
with the stories it cites; taking an approval back."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from digest.errors import IssueStatusError
from digest.models import Issue, IssueStatus, StoredItem
from digest.store import StoreReader

if TYPE_CHECKING:  # the type only: the reading commands do without the ORM's Store
    from digest.store import Store


def list_items(store: StoreReader, source: str | None = None) -> list[StoredItem]:
    """Every stored story (or one source's), in source order."""
    return store.list_items(source)


def issue_with_items(store: StoreReader, number: int) -> tuple[Issue, dict[int, StoredItem]]:
    """Issue `number` and the stories it cites, by id; DigestError naming the issues
    there are when it does not exist."""
    return store.load_issue(number)


def unapprove(store: Store, number: int, now: datetime) -> bool:
    """Put an approved issue back to draft, for more editing; False when it already is a
    draft. IssueStatusError once a send has started: what went out cannot be taken back."""
    before = store.unapprove_issue(number, now)
    if before in (IssueStatus.SENDING, IssueStatus.SENT):
        raise IssueStatusError(
            f"issue {number} is {before.value}: its send has started, it cannot go back to draft",
            hint="digest status shows its deliveries; a correction goes in the next issue",
        )
    return before is IssueStatus.APPROVED
