"""Newsletter inboxes as sources (issue 15, item 3): a mailbox curators subscribe with.

Takes the configured `inboxes:` and the store; gives one `SourceReport` per inbox. Each
ingest reads the folder's unseen messages over IMAP (digest.ingest.imap), makes each one
stories as an `.eml` would be (digest.ingest.newsletter_mail), stores them, and only then
sets \\Seen: a crash in between reads the message again next time, and its stories'
keys (from its Message-ID) make that a no-op. No message is ever deleted. A message too
large or unreadable is marked seen and counted, so it is not retried every hour; a
mailbox that cannot be reached is a failed source, retried at the next ingest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digest.errors import DocumentError, MailboxError
from digest.ingest.imap import address, open_folder
from digest.ingest.newsletter_mail import read_newsletter
from digest.models import Outcome, SourceKind, SourceReport
from digest.settings import InboxSource
from digest.store import SourceSuccess, Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Tally:
    messages: int = 0
    new_items: int = 0
    problems: list[str] = field(default_factory=list)


def ingest_inboxes(
    store: Store,
    inboxes: Sequence[InboxSource],
    now: datetime,
    on_done: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """One report per inbox; one that fails is recorded on its row and the others go on."""
    store.ensure_sources([(i.name, SourceKind.INBOX, address(i)) for i in inboxes], now)
    reports = []
    for inbox in inboxes:
        report = _ingest_guarded(store, inbox, now)
        reports.append(report)
        if on_done:
            on_done(report)
    return reports


def _ingest_guarded(store: Store, inbox: InboxSource, now: datetime) -> SourceReport:
    try:
        tally = _read_inbox(store, inbox, now)
    except MailboxError as exc:
        log.warning("inbox %s failed: %s", inbox.name, exc)
        store.record_failure(inbox.name, now, str(exc), next_attempt_at=now)
        return SourceReport(inbox.name, SourceKind.INBOX, Outcome.FAILED, message=str(exc))
    message = f"{tally.messages} new message(s)"
    if tally.problems:
        message += f"; {len(tally.problems)} not read: " + "; ".join(tally.problems[:3])
    store.record_successes([SourceSuccess(inbox.name, "ok")], now)
    outcome = Outcome.NEW if tally.new_items else Outcome.UNCHANGED
    log.info("inbox %s: %s, %d stories", inbox.name, message, tally.new_items)
    return SourceReport(
        inbox.name,
        SourceKind.INBOX,
        outcome,
        new_items=tally.new_items,
        total_items=tally.new_items,
        message=message,
    )


def _read_inbox(store: Store, inbox: InboxSource, now: datetime) -> _Tally:
    tally = _Tally()
    with open_folder(inbox, inbox.password, f"inbox {inbox.name}", inbox.timeout_seconds) as folder:
        uids = folder.unseen(inbox.max_messages)
        for fetched in folder.fetch(uids, inbox.max_message_bytes):
            tally.messages += 1
            label = f"{inbox.name} message {fetched.uid}"
            if fetched.raw is None:
                tally.problems.append(f"{label} is {fetched.size // 1024} KB, over the cap")
            elif not _store_message(store, inbox, fetched.raw, label, now, tally):
                continue  # a bug: left unseen, read again once fixed
            folder.mark_seen(fetched.uid)
    return tally


def _store_message(
    store: Store, inbox: InboxSource, raw: bytes, label: str, now: datetime, tally: _Tally
) -> bool:
    """Store one message's stories; False on a bug (logged with its traceback), which
    costs this message only, not the inbox's others."""
    try:
        newsletter = read_newsletter(raw, now, label)
    except DocumentError as exc:
        tally.problems.append(exc.message)
        log.warning("%s: %s", label, exc)
        return True
    except Exception as exc:
        tally.problems.append(f"{label}: internal error: {type(exc).__name__}: {exc}")
        log.error("bug while reading %s", label, exc_info=exc)
        return False
    tally.new_items += store.add_items(inbox.name, newsletter.drafts, now)
    return True
