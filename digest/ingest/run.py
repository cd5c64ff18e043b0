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
from pathlib import Path

from digest.errors import ConfigError
from digest.models import IngestReport, Outcome, SourceKind, SourceReport
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)


def source_names(settings: Settings) -> list[str]:
    """Every source name, documents, feeds then inboxes (what --source accepts)."""
    documents = [p.name for p in _document_files(settings)]
    return documents + [f.name for f in settings.feeds] + [i.name for i in settings.inboxes]


def _document_files(settings: Settings) -> list[Path]:
    if not settings.documents:  # a feeds-only configuration never loads the document stage
        return []
    # lazy: the documents' readers (PDF, saved pages, cutting), for a configuration with some
    from digest.ingest.documents import document_files

    return document_files(settings.documents)


def run_ingest(
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    only: str | None = None,
    on_done: Callable[[SourceReport], None] | None = None,
) -> IngestReport:
    """Ingest documents and feeds (or the one source named `only`, forced past backoff)."""
    files = _document_files(settings)
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
    reports = _ingest_documents(settings, store, files, now, on_done, document_bugs)
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
        # lazy: httpx and the fetchers, for a run that is not offline and has feeds
        from digest.ingest.feeds import ingest_feeds

        reports += ingest_feeds(
            store, feeds, settings.fetch, now, force=only is not None, on_done=on_done
        )
    if inboxes and not settings.offline:
        # lazy: imaplib and the mail parser, only when an inbox is configured
        from digest.ingest.inboxes import ingest_inboxes

        reports += ingest_inboxes(store, inboxes, now, on_done=on_done)
    if document_bugs:
        raise document_bugs[0]
    return IngestReport(sources=tuple(reports))


def _ingest_documents(
    settings: Settings,
    store: Store,
    files: list[Path],
    now: datetime,
    on_done: Callable[[SourceReport], None] | None,
    bugs: list[Exception],
) -> list[SourceReport]:
    if not files:  # nothing to read: neither the document stage nor a transaction
        return []
    # lazy: the documents' readers (PDF, saved pages, cutting), for a run with documents
    from digest.ingest.documents import document_names, ingest_documents

    names = document_names(settings.documents)
    return ingest_documents(store, files, now, on_done=on_done, bugs=bugs, names=names)
