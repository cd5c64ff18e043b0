"""Ingest the editors' documents: read, decode, repair, clean, cut into stories, store.

Takes the configured document paths; gives one `SourceReport` per file. A file is a
source of its own (named by its file name). An unchanged file (same bytes) adds nothing;
a changed one has its stories replaced in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from digest.config import DocumentSource
from digest.errors import DocumentError
from digest.ingest.clean import (
    content_hash,
    decode_bytes,
    dedupe_links,
    drop_boilerplate,
    repair_text,
    strip_citations,
    strip_markdown,
    tidy_spaces,
)
from digest.ingest.guard import read_document, require_text
from digest.ingest.segment import CutDocument, Segment, cut_document
from digest.models import ItemDraft, Link, Outcome, SourceKind, SourceReport
from digest.sentences import derive_title
from digest.store import Store

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})


def document_files(documents: Sequence[DocumentSource]) -> list[Path]:
    """Every document file the configuration names, folders expanded, in a stable order."""
    files: list[Path] = []
    for document in documents:
        if document.path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in document.path.iterdir()
                    if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
                )
            )
        else:
            files.append(document.path)
    return files


def ingest_documents(
    store: Store,
    files: Sequence[Path],
    now: datetime,
    on_done: Callable[[SourceReport], None] | None = None,
    bugs: list[Exception] | None = None,
) -> list[SourceReport]:
    """One report per file; a file that fails is recorded on its row and the others go on.

    A bug (anything but a DocumentError) is recorded too, then re-raised once every file
    is done, so it shows its traceback without costing the other files their stories;
    pass `bugs` to collect them instead (the ingest run raises after the feeds).
    """
    reports = []
    collected: list[Exception] = [] if bugs is None else bugs
    for path in files:
        report = _ingest_guarded(store, path, now, collected)
        reports.append(report)
        if on_done:
            on_done(report)
    if bugs is None and collected:
        raise collected[0]
    return reports


def _ingest_guarded(store: Store, path: Path, now: datetime, bugs: list[Exception]) -> SourceReport:
    """The one catch per document (issue 10: a NUL byte used to abort the whole ingest)."""
    name, location = _as_text(path.name), _as_text(str(path))
    try:
        store.ensure_source(name, SourceKind.DOCUMENT, location, now)
        if name != path.name:
            raise DocumentError(
                f"the name of {location} is not valid UTF-8", hint="rename the file"
            )
        return _ingest_one(store, path, now)
    except DocumentError as exc:
        log.warning("document %s failed: %s", path, exc)
        message = str(exc)
    # A bug in cleaning or cutting, or stories the database refuses. If the database
    # itself is down, recording fails too and that error propagates at once, which is
    # right: no other source could be stored either.
    except Exception as exc:
        log.error("bug while ingesting document %s", path, exc_info=exc)
        message = f"internal error: {type(exc).__name__}: {exc}"
        bugs.append(exc)
    store.record_failure(name, now, message, next_attempt_at=now)
    return SourceReport(name, SourceKind.DOCUMENT, Outcome.FAILED, message=message)


def _as_text(name: str) -> str:
    """A file name as the database can hold it: bytes that are not UTF-8 (which Python
    keeps as lone surrogates, and no database encodes) shown as U+FFFD."""
    return os.fsencode(name).decode("utf-8", errors="replace")


def _ingest_one(store: Store, path: Path, now: datetime) -> SourceReport:
    name = path.name
    data = read_document(path)
    digest = hashlib.sha256(data).hexdigest()
    state = store.source_state(name)
    if state is not None and state.content_hash == digest:
        store.record_success(name, now, "ok")
        return SourceReport(
            name, SourceKind.DOCUMENT, Outcome.UNCHANGED, total_items=state.item_count
        )
    drafts = stories_from_document(data, path.suffix.lower(), name)
    added = store.replace_items(name, drafts, now, content_hash=digest)
    outcome = Outcome.NEW if state is None or state.content_hash is None else Outcome.UPDATED
    log.info("document %s: %d stories (%s)", path.name, added, outcome.value)
    return SourceReport(name, SourceKind.DOCUMENT, outcome, new_items=added, total_items=added)


def stories_from_document(
    data: bytes, suffix: str = ".txt", name: str = "the document"
) -> list[ItemDraft]:
    """The stories of one document, from its raw bytes; DocumentError if it is not text."""
    text = repair_text(require_text(decode_bytes(data), name))
    if suffix in {".html", ".htm"}:
        from digest.ingest.sanitize import html_to_text

        text = html_to_text(text)
    cut = cut_document(drop_boilerplate(text))
    drafts = [_draft(segment, position, cut) for position, segment in enumerate(cut.segments)]
    return [d for d in drafts if d.text]


def _draft(segment: Segment, position: int, cut: CutDocument) -> ItemDraft:
    text, links = clean_paragraphs(segment.text)
    enjeux, enjeux_links = clean_paragraphs(segment.enjeux or "")
    title = tidy_spaces(strip_markdown(segment.title)) if segment.title else ""
    derived = not title
    if derived:
        title = derive_title(text)
    from digest.ingest.language import detect_language

    return ItemDraft(
        key=f"{position:03d}-{content_hash(title + text)[:16]}",
        title=title,
        text=text,
        html="".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n")),
        links=dedupe_links([*segment.links, *links, *enjeux_links]),
        language=detect_language(text),
        enjeux=enjeux or None,
        section=segment.section or cut.title,
        position=position,
        kind=segment.kind,
        title_derived=derived,
    )


def clean_paragraphs(raw: str) -> tuple[str, tuple[Link, ...]]:
    """Citation-free, markdown-free paragraphs, and the links the citations held."""
    cleaned = strip_citations(raw)
    paragraphs = (tidy_spaces(strip_markdown(p)) for p in cleaned.text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p), cleaned.links
