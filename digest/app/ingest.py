"""Use case: ingest the configured documents and feeds (or one of them) into the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from digest.ingest.run import run_ingest, source_names
from digest.models import IngestReport, SourceReport
from digest.settings import Settings
from digest.store import Store


def count_sources(settings: Settings, only: str | None = None) -> int:
    """How many sources an ingest visits (a progress bar's total): documents, enabled feeds
    and inboxes, or the one named `only`."""
    if only:
        return 1
    switchable = [(f.name, f.enabled) for f in settings.feeds]
    switchable += [(i.name, i.enabled) for i in settings.inboxes]
    enabled = {name for name, on in switchable if on}
    feed_names = {name for name, _ in switchable}
    return sum(1 for n in source_names(settings) if n not in feed_names or n in enabled)


def ingest_sources(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    only: str | None = None,
    on_source_done: Callable[[SourceReport], None] | None = None,
) -> IngestReport:
    """Fetch and store every source (or the one named `only`, forced past its backoff)."""
    return run_ingest(settings, store, now, only=only, on_done=on_source_done)
