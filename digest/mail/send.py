"""The send loop: deliver one issue to every active subscriber, from the ledger.

Rows are created for every active subscriber before the first message (one transaction);
then one worker per connection (digest.mail.worker) claims batches, skipping whoever is
no longer active, sends, and marks each row the moment the server accepted it. 4xx
answers are retried later with a growing delay; 5xx answers fail the row (a 5.1.x also
marks the subscriber bounced); anything else wrong with one message fails it alone. A
server that cannot be reached, keeps closing, or refuses the same content several times
in a row stops the run cleanly, handing claimed rows back. A re-run resumes: only rows
not yet sent are sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from digest.errors import DigestError
from digest.liveness import gone_holders
from digest.mail.identity import (
    message_template,
    recipient,
    sender_address,
)
from digest.mail.message import build_message
from digest.mail.transport import Transport
from digest.mail.worker import Run, work
from digest.models import DeliveryStatus, IssueStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    issue: int
    total: int = 0
    sent: int = 0
    waiting: int = 0  # 4xx answers, to be retried by a later run
    bounced: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # no longer active
    stopped: str | None = None  # why the run ended early, if it did
    hint: str | None = None  # what to do about it

    @property
    def complete(self) -> bool:
        return self.stopped is None and self.waiting == 0


class RateLimiter:
    """At most `per_second` messages a second, and `window` messages per `window_seconds`
    (a provider's hourly quota): shared by all connections."""

    def __init__(
        self,
        per_second: float,
        window: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.window, self.window_seconds = window, window_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._next = 0.0
        self._sent: deque[float] = deque()

    def acquire(self) -> bool:
        """Wait for the next slot; False when the window is used up (stop, resume later)."""
        with self._lock:
            now = self.clock()
            if self.window > 0:
                while self._sent and self._sent[0] <= now - self.window_seconds:
                    self._sent.popleft()
                if len(self._sent) >= self.window:
                    return False
                self._sent.append(now)
            wait = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if wait:
            time.sleep(wait)
        return True


def send_issue(
    store: Store,
    settings: Settings,
    number: int,
    transport: Transport,
    *,
    clock: Callable[[], datetime],
    on_progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    connections: int | None = None,
) -> SendReport:
    """Send issue `number`; safe to re-run. Raises DigestError when it must not be sent."""
    from digest.pipeline import load_issue
    from digest.render import render_issue

    issue, items = load_issue(store, number)
    _check_sendable(store, settings, number, issue.status, clock())
    secret = _secret(settings)
    rendered = render_issue(issue, items, settings)
    template = message_template(rendered, settings)
    store.open_deliveries(number, clock())
    counts = store.delivery_counts(number)
    report = SendReport(issue=number, total=sum(counts.values()))
    if on_total:
        on_total(
            sum(
                n
                for status, n in counts.items()
                if status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRY)
            )
        )
    smtp = settings.mail.smtp
    run = Run(
        store,
        settings,
        number,
        template,
        transport,
        RateLimiter(smtp.rate_per_second, smtp.window_messages, smtp.window_seconds),
        clock,
        report,
        secret,
        _envelope_of(settings),
        on_progress or (lambda n: None),
    )
    workers = connections or (smtp.connections if transport.name == "smtp" else 1)
    dead = gone_holders(store.claims_in_progress(number))
    threads = [
        threading.Thread(target=work, args=(run, dead), name=f"send-{i}")
        for i in range(max(1, workers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.waiting = store.delivery_counts(number).get(DeliveryStatus.RETRY, 0)
    if store.close_issue_if_done(number, clock()):
        log.info("issue %d: sent to everyone", number)
    return report


def _check_sendable(
    store: Store, settings: Settings, number: int, status: IssueStatus, now: datetime
) -> None:
    if status is IssueStatus.DRAFT:
        if not settings.mail.auto_approve:
            raise DigestError(
                f"issue {number} is a draft, not approved",
                hint=f"review it (digest preview), then: digest approve {number}",
            )
        store.approve_issue(number, now)
    if not sender_address(settings.mail.sender):
        raise DigestError("mail.from is not set", hint="set mail.from: Lettre <lettre@example.org>")


def _secret(settings: Settings) -> str:
    from digest.mail.identity import SAMPLE_KEY

    if settings.mail.secret_key:
        return settings.mail.secret_key
    if settings.mail.transport != "outbox":
        raise DigestError(
            "DIGEST_SECRET_KEY is not set: unsubscribe links cannot be signed",
            hint="export DIGEST_SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')",
        )
    log.warning("DIGEST_SECRET_KEY is not set: outbox messages are signed with a sample key")
    return SAMPLE_KEY


@dataclass
class DryRun:
    written: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (email, why)


def preview_messages(store: Store, settings: Settings, number: int, folder: Path) -> DryRun:
    """The dry run: every active subscriber's message written to `folder`, exactly as it
    would be sent, with no ledger row created or changed. A message that cannot be built
    is reported, as the send would record it, and the others are written."""
    from digest.mail.transport import OutboxTransport
    from digest.pipeline import load_issue
    from digest.render import render_issue

    issue, items = load_issue(store, number)
    template = message_template(render_issue(issue, items, settings), settings)
    connection = OutboxTransport(folder).connect()
    secret = _secret(settings)
    result = DryRun()
    for person in store.list_subscribers(SubscriberStatus.ACTIVE):
        try:
            reader = recipient(
                settings,
                secret,
                number,
                person.id,
                person.email,
                person.name,
                nonce=person.token_nonce,
            )
            message = build_message(template, reader, datetime.now(UTC))
        except Exception as exc:  # this one's address or name: reported, the others written
            result.failed.append((person.email, f"{type(exc).__name__}: {exc}"))
            continue
        connection.send(
            _envelope_of(settings), person.email, message, f"{number:04d}-{person.id:08d}"
        )
        result.written += 1
    return result


def _envelope_of(settings: Settings) -> str:
    return sender_address(settings.mail.sender)
