"""Use cases: read what is stored, for an editor: the stories that came in, one issue
with the stories it cites."""

from __future__ import annotations

from digest.models import Issue, StoredItem
from digest.store import Store


def list_items(store: Store, source: str | None = None) -> list[StoredItem]:
    """Every stored story (or one source's), in source order."""
    return store.list_items(source)


def issue_with_items(store: Store, number: int) -> tuple[Issue, dict[int, StoredItem]]:
    """Issue `number` and the stories it cites, by id; DigestError naming the issues
    there are when it does not exist."""
    return store.load_issue(number)
