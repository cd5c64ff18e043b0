"""The ingest stage: every configured document, feed and newsletter inbox into the store.

Takes the settings and the store; gives an `IngestReport` with one line per source.
Documents are local and read first; feeds are fetched concurrently; inboxes are read over
IMAP last (digest.ingest.inboxes). One failing source
never stops the others (each module records its own failures).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from digest.errors import ConfigError
from digest.models import IngestReport, Outcome, SourceKind, SourceReport
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)


def source_names(settings: Settings) -> list[str]:
    """Every source name, documents, feeds then inboxes (what --source accepts)."""
    from digest.ingest.documents import document_files

    documents = [p.name for p in document_files(settings.documents)]
    return documents + [f.name for f in settings.feeds] + [i.name for i in settings.inboxes]


def run_ingest(
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    only: str | None = None,
    on_done: Callable[[SourceReport], None] | None = None,
) -> IngestReport:
    """Ingest documents and feeds (or the one source named `only`, forced past backoff)."""
    from digest.ingest.documents import document_files, document_names, ingest_documents

    files = document_files(settings.documents)
    feeds = [f for f in settings.feeds if f.enabled]
    inboxes = [i for i in settings.inboxes if i.enabled]
    if only is not None:
        files = [p for p in files if p.name == only]
        feeds = [f for f in settings.feeds if f.name == only]
        inboxes = [i for i in settings.inboxes if i.name == only]
        if not files and not feeds and not inboxes:
            known = ", ".join(source_names(settings)) or "none configured"
            raise ConfigError(
                str(settings.config_path), [f"--source {only}: no such source (known: {known})"]
            )
    # A bug in one document is raised only after the feeds are in (as the feeds do among
    # themselves): it shows its traceback without costing every feed its items.
    document_bugs: list[Exception] = []
    names = document_names(settings.documents)
    reports = ingest_documents(store, files, now, on_done=on_done, bugs=document_bugs, names=names)
    if settings.offline:
        skipped = [
            SourceReport(f.name, SourceKind.FEED, Outcome.SKIPPED, message="offline") for f in feeds
        ] + [
            SourceReport(i.name, SourceKind.INBOX, Outcome.SKIPPED, message="offline")
            for i in inboxes
        ]
        for report in skipped:
            if on_done:
                on_done(report)
        reports += skipped
    elif feeds:
        from digest.ingest.feeds import ingest_feeds

        reports += ingest_feeds(
            store, feeds, settings.fetch, now, force=only is not None, on_done=on_done
        )
    if inboxes and not settings.offline:
        from digest.ingest.inboxes import ingest_inboxes

        reports += ingest_inboxes(store, inboxes, now, on_done=on_done)
    if document_bugs:
        raise document_bugs[0]
    return IngestReport(sources=tuple(reports))
