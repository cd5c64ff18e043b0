"""Ingest the editors' documents: read, decode, repair, clean, cut into stories, store.

Takes the configured document paths; gives one `SourceReport` per file. A file is a
source of its own (named by its file name). An unchanged file (same bytes) adds nothing;
a changed one has its stories replaced in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from pathlib import Path

from digest.errors import DocumentError
from digest.ingest import guard
from digest.ingest.clean import (
    decode_bytes,
    dedupe_links,
    drop_boilerplate,
    mark_citations,
    repair_text,
    strip_citations,
    strip_markdown,
    tidy_spaces,
)
from digest.ingest.cutwords import Vocabulary
from digest.ingest.dates import document_year, event_date
from digest.ingest.pdf import pdf_markdown
from digest.ingest.savedpage import cut_saved_page
from digest.ingest.segment import CutDocument, Segment, cut_document, readable_name
from digest.models import (
    ItemDraft,
    Link,
    Outcome,
    SourceKind,
    SourceReport,
    SourceState,
    content_hash,
)
from digest.sentences import derive_title
from digest.settings import DocumentSource
from digest.store import SourceSuccess, Store

log = logging.getLogger(__name__)

# « Veille IA – Mars 2025 : Nouvelles avancées… »: the name ends at the colon.
_SUBTITLE = re.compile(r"\s*[\u00a0\u202f]?:\s")
HTML_SUFFIXES = frozenset({".html", ".htm"})
MAIL_SUFFIXES = frozenset({".eml", ".mbox"})
DOCUMENT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".pdf", *HTML_SUFFIXES, *MAIL_SUFFIXES})


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


def document_names(documents: Sequence[DocumentSource]) -> dict[Path, str]:
    """The display name `documents[].name` gives each file (a folder's name covers its files)."""
    return {
        path: document.name
        for document in documents
        if document.name
        for path in document_files([document])
    }


def ingest_documents(
    store: Store,
    files: Sequence[Path],
    now: datetime,
    on_done: Callable[[SourceReport], None] | None = None,
    bugs: list[Exception] | None = None,
    names: Mapping[Path, str] | None = None,
) -> list[SourceReport]:
    """One report per file; a file that fails is recorded on its row and the others go on.

    A bug (anything but a DocumentError) is recorded too, then re-raised once every file
    is done, so it shows its traceback without costing the other files their stories;
    pass `bugs` to collect them instead (the ingest run raises after the feeds).
    """
    reports = []
    collected: list[Exception] = [] if bugs is None else bugs
    # One transaction for every file's row and state, one for the unchanged files' success:
    # an unchanged document costs a read and a hash, not four commits.
    states = store.ensure_sources(
        [(_as_text(path.name), SourceKind.DOCUMENT, _as_text(str(path))) for path in files], now
    )
    run = _DocumentRun(store, now, collected, unchanged=[])
    for path in files:
        # A name seen twice (the same file name in two folders) is read back after the
        # first: its stored hash may have changed since.
        state = states.pop(_as_text(path.name), None) or store.source_state(_as_text(path.name))
        report = _ingest_guarded(run, path, state, (names or {}).get(path))
        reports.append(report)
        if on_done:
            on_done(report)
    store.record_successes(run.unchanged, now)
    if bugs is None and collected:
        raise collected[0]
    return reports


@dataclass(frozen=True, slots=True)
class _DocumentRun:
    """What every document of one run shares: where to store, when, and what to collect."""

    store: Store
    now: datetime
    bugs: list[Exception]  # bugs met, raised once every file is done
    unchanged: list[SourceSuccess]  # successes of unchanged files, recorded in one go


def _ingest_guarded(
    run: _DocumentRun, path: Path, state: SourceState | None, configured: str | None
) -> SourceReport:
    """The one catch per document (issue 10: a NUL byte used to abort the whole ingest)."""
    name, location = _as_text(path.name), _as_text(str(path))
    try:
        if configured:
            run.store.name_source(name, configured)
        if name != path.name:
            raise DocumentError(
                f"the name of {location} is not valid UTF-8", hint="rename the file"
            )
        return _ingest_one(run, path, state, configured)
    except DocumentError as exc:
        # `location`, not `path`: a name that is not UTF-8 holds lone surrogates, which no
        # UTF-8 log file (nor pytest-xdist's channel) can encode.
        log.warning("document %s failed: %s", location, exc)
        message = str(exc)
    # A bug in cleaning or cutting, or stories the database refuses. If the database
    # itself is down, recording fails too and that error propagates at once, which is
    # right: no other source could be stored either.
    except Exception as exc:
        log.error("bug while ingesting document %s", location, exc_info=exc)
        message = f"internal error: {type(exc).__name__}: {exc}"
        run.bugs.append(exc)
    run.store.record_failure(name, run.now, message, next_attempt_at=run.now)
    return SourceReport(name, SourceKind.DOCUMENT, Outcome.FAILED, message=message)


def _as_text(name: str) -> str:
    """A file name as the database can hold it: bytes that are not UTF-8 (which Python
    keeps as lone surrogates, and no database encodes) shown as U+FFFD."""
    return os.fsencode(name).decode("utf-8", errors="replace")


def _ingest_one(
    run: _DocumentRun, path: Path, state: SourceState | None, configured: str | None
) -> SourceReport:
    """`configured`: the display name from the config, which wins over the one found inside."""
    name = path.name
    data = guard.read_document(path)
    digest = hashlib.sha256(data).hexdigest()
    if state is not None and state.content_hash == digest:
        run.unchanged.append(SourceSuccess(name, "ok"))
        return SourceReport(
            name, SourceKind.DOCUMENT, Outcome.UNCHANGED, total_items=state.item_count
        )
    document = read_document(data, path.suffix.lower(), run.now, name)
    added = run.store.replace_items(name, document.drafts, run.now, content_hash=digest)
    run.store.name_source(name, configured or document.title)
    outcome = Outcome.NEW if state is None or state.content_hash is None else Outcome.UPDATED
    log.info("document %s: %d stories (%s)", path.name, added, outcome.value)
    return SourceReport(name, SourceKind.DOCUMENT, outcome, new_items=added, total_items=added)


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """A document's stories and the publication title found in it (None when it has none)."""

    title: str | None
    drafts: list[ItemDraft]


def stories_from_document(
    data: bytes, suffix: str = ".txt", now: datetime | None = None, name: str = "the document"
) -> list[ItemDraft]:
    """The stories of one document, from its raw bytes; DocumentError if it is not text."""
    return read_document(data, suffix, now, name).drafts


def read_document(
    data: bytes, suffix: str = ".txt", now: datetime | None = None, name: str = "the document"
) -> ReadDocument:
    """Decode, repair, clean and cut one document; `now` resolves dates given without a year.
    DocumentError (naming `name`) when the bytes are not text."""
    if suffix in MAIL_SUFFIXES:  # newsletters by email: digest.ingest.newsletter_mail
        # lazy: newsletter_mail imports this module (it cuts a mail's text as a document)
        from digest.ingest.newsletter_mail import read_mail_document

        return ReadDocument(*read_mail_document(data, suffix, now, name))
    cut, text = _cut(data, suffix, name)
    context = _DocumentContext(
        Vocabulary.of(mark_citations(text)), document_year(cut.title, text, now), now
    )
    drafts = [
        _draft(segment, position, cut, context) for position, segment in enumerate(cut.segments)
    ]
    return ReadDocument(publication_title(cut), [d for d in drafts if d.text])


def _cut(data: bytes, suffix: str, name: str) -> tuple[CutDocument, str]:
    """The document cut by its kind (its file's suffix), and the text it was cut from."""
    if suffix == ".pdf":
        text = drop_boilerplate(repair_text(pdf_markdown(data, name)))
        return cut_document(text), text
    text = repair_text(guard.require_text(decode_bytes(data), name))
    if suffix in HTML_SUFFIXES:
        return cut_saved_page(text, name)
    text = drop_boilerplate(text)
    return cut_document(text), text


def publication_title(cut: CutDocument) -> str | None:
    """The name a report or newsletter gives itself (« Le monde de demAIn », « Veille IA –
    Mars 2025 », its subtitle left out); an article's heading names the article, not where
    it was published, and a dump or an editorial has none."""
    if cut.shape not in ("report", "newsletter") or not cut.title:
        return None
    return readable_name(_SUBTITLE.split(cut.title, maxsplit=1)[0], max_chars=100)


@dataclass(frozen=True, slots=True)
class _DocumentContext:
    vocabulary: Vocabulary  # the document's words, to mend words cut before citations
    year: int | None  # the year of dates given without one
    now: datetime | None


def _draft(
    segment: Segment, position: int, cut: CutDocument, context: _DocumentContext
) -> ItemDraft:
    text, links = clean_paragraphs(segment.text, context.vocabulary)
    enjeux, enjeux_links = clean_paragraphs(segment.enjeux or "", context.vocabulary)
    title = tidy_spaces(strip_markdown(segment.title)) if segment.title else ""
    derived = not title
    if derived:
        title = derive_title(text)
    from digest.ingest.language import detect_language  # lazy: py3langid's model

    credit = segment.credit
    credited = (Link(credit.url, credit.name),) if credit and credit.url else ()
    dated = (
        event_date(text, context.year, context.now)
        or (event_date(credit.reference, context.year, context.now) if credit else None)
        or _page_date(segment.published)
    )
    return ItemDraft(
        key=f"{position:03d}-{content_hash(title + text)[:16]}",
        title=title,
        text=text,
        url=segment.url,
        author=segment.author,
        html="".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n")),
        links=dedupe_links([*credited, *segment.links, *links, *enjeux_links]),
        language=detect_language(text),
        enjeux=enjeux or None,
        section=segment.section or cut.title,
        position=position,
        kind=segment.kind,
        title_derived=derived,
        origin=credit.name if credit else None,
        event_date=dated,
    )


def _page_date(iso_date: str | None) -> date | None:
    """A saved page's publication date (« 2025-03-18 »); None when it gives none or
    something that is not a date. It dates the story's event when the text names no day;
    it is not the item's publication time, which is when the editor brought it in (a page
    saved today from last week belongs in the next issue)."""
    try:
        return date.fromisoformat(iso_date[:10]) if iso_date else None
    except ValueError:
        return None


def clean_paragraphs(
    raw: str, vocabulary: Vocabulary | None = None
) -> tuple[str, tuple[Link, ...]]:
    """Citation-free, markdown-free paragraphs, and the links the citations held."""
    cleaned = strip_citations(raw, vocabulary)
    paragraphs = (tidy_spaces(strip_markdown(p)) for p in cleaned.text.split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p), cleaned.links
