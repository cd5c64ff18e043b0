"""The send loop: deliver one issue to every active subscriber, from the ledger.

Rows are created for every active subscriber before the first message (one transaction);
each connection's worker claims a batch, sends, and marks each row the moment the server
accepted it. 4xx answers are retried later with a growing delay; 5xx answers fail the
row (a hard bounce also marks the subscriber bounced); a dropped connection is reopened
and the same recipient tried again; a server that cannot be reached stops the run
cleanly, handing claimed rows back. A re-run resumes: only rows not yet sent are sent.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.errors import DigestError
from digest.mail.identity import (
    message_template,
    recipient,
    sender_address,
)
from digest.mail.message import MessageTemplate, Recipient, build_message
from digest.mail.transport import (
    Connection,
    ConnectionLost,
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
)
from digest.models import Delivery, DeliveryStatus, IssueStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.store.ledger import DeliveryMarks

log = logging.getLogger(__name__)

# Rows claimed at a time per connection. A claim costs three statements, so small batches
# made claiming a fifth of the send time; unsent claimed rows of a dead worker are taken
# over at once (see _dead_claims), so a bigger batch does not add duplicates.
BATCH = 100
LEASE = timedelta(minutes=10)  # a claim older than this is taken over (its worker is gone)
MAX_RECONNECTS = 3


@dataclass
class SendReport:
    issue: int
    total: int = 0
    sent: int = 0
    waiting: int = 0  # 4xx answers, to be retried by a later run
    bounced: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None  # why the run ended early, if it did

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


@dataclass
class _Run:
    store: Store
    settings: Settings
    number: int
    template: MessageTemplate
    transport: Transport
    limiter: RateLimiter
    clock: Callable[[], datetime]
    report: SendReport
    secret: str
    envelope: str  # MAIL FROM
    on_progress: Callable[[int], None]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def halt(self, reason: str) -> None:
        with self.lock:
            self.report.stopped = self.report.stopped or reason
        self.stop.set()


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
                if status is not DeliveryStatus.SENT and status is not DeliveryStatus.FAILED
            )
        )
    smtp = settings.mail.smtp
    run = _Run(
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
    dead = _dead_claims(store.claims_in_progress(number))
    threads = [
        threading.Thread(target=_work, args=(run, dead), name=f"send-{i}")
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


def _dead_claims(claims: list[str]) -> list[str]:
    """Claims of workers that ran on this host and whose process is gone (killed, crashed):
    their rows are taken over at once instead of after the lease."""
    host = socket.gethostname()
    dead = []
    for claim in claims:
        parts = claim.split(":")
        if len(parts) >= 3 and parts[0] == host and parts[1].isdigit():
            try:
                os.kill(int(parts[1]), 0)
            except ProcessLookupError:
                dead.append(claim)
            except PermissionError:
                pass  # alive, someone else's
    return dead


def _work(run: _Run, dead: list[str]) -> None:
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    worker = _Worker(run)
    try:
        with run.store.delivery_marks() as worker.marks:
            while not run.stop.is_set():
                now = run.clock()
                batch = run.store.claim_deliveries(run.number, token, now, BATCH, now - LEASE, dead)
                if not batch:
                    return
                worker.send_batch(batch)
    except Exception:
        run.halt("internal error")  # the other workers stop too; the traceback follows
        raise
    finally:
        if worker.connection is not None:
            worker.connection.close()


class _Worker:
    """One connection's share of the run: its SMTP connection and its ledger marks."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.connection: Connection | None = None
        self.marks: DeliveryMarks

    def send_batch(self, batch: list[Delivery]) -> None:
        run = self.run
        pending = deque(batch)
        reconnects = 0
        while pending:
            if run.stop.is_set():
                break
            if not run.limiter.acquire():
                run.halt(
                    "the sending window is full (mail.smtp.window_messages): run send again later"
                )
                break
            delivery = pending[0]
            reader = recipient(
                run.settings,
                run.secret,
                run.number,
                delivery.subscriber_id,
                delivery.email,
                delivery.name,
                nonce=delivery.subscriber_nonce,
            )
            try:
                if self.connection is None:
                    self.connection = run.transport.connect()
                self.connection.send(
                    run.envelope, delivery.email, _message(run, reader), _key(delivery)
                )
            except ConnectionLost as exc:
                self.connection, reconnects = None, reconnects + 1
                log.warning("issue %d: connection lost (%s), reconnecting", run.number, exc)
                if reconnects > MAX_RECONNECTS:
                    run.halt(f"the connection keeps dropping: {exc}")
                    break
                continue
            except ServerUnavailable as exc:
                run.halt(exc.message)
                break
            except TemporaryFailure as exc:
                self.record_temporary(delivery, str(exc))
            except PermanentFailure as exc:
                self.record_permanent(delivery, exc)
            else:
                self.marks.sent(delivery.id, reader.message_id, run.clock())
                with run.lock:
                    run.report.sent += 1
            pending.popleft()
            run.on_progress(1)
        run.store.release([d.id for d in pending])

    def record_temporary(self, delivery: Delivery, error: str) -> None:
        run = self.run
        attempts = delivery.attempts + 1
        if attempts >= run.settings.mail.max_attempts:
            self.marks.failed(delivery.id, f"gave up after {attempts} tries: {error}")
            with run.lock:
                run.report.failed.append((delivery.email, error))
            return
        delay = run.settings.mail.retry_base_seconds * 2 ** (attempts - 1)
        self.marks.retry(delivery.id, error, run.clock() + timedelta(seconds=delay))
        log.info(
            "issue %d: %s deferred (%s), retry in %.0f s", run.number, delivery.email, error, delay
        )

    def record_permanent(self, delivery: Delivery, exc: PermanentFailure) -> None:
        run = self.run
        self.marks.failed(delivery.id, str(exc))
        with run.lock:
            run.report.failed.append((delivery.email, str(exc)))
            run.report.bounced += exc.hard_bounce
        if exc.hard_bounce:
            run.store.set_subscriber_status(
                delivery.subscriber_id, SubscriberStatus.BOUNCED, run.clock()
            )
        log.warning("issue %d: %s refused: %s", run.number, delivery.email, exc)


def _message(run: _Run, reader: Recipient) -> bytes:
    message = build_message(run.template, reader, run.clock())
    if run.settings.mail.dkim is not None:
        from digest.mail.dkim import sign

        message = sign(message, run.settings.mail.dkim)
    return message


def _key(delivery: Delivery) -> str:
    return f"{delivery.issue_number:04d}-{delivery.subscriber_id:08d}"


def preview_messages(store: Store, settings: Settings, number: int, folder: Path) -> int:
    """The dry run: every active subscriber's message written to `folder`, exactly as it
    would be sent, with no ledger row created or changed."""
    from digest.mail.transport import OutboxTransport
    from digest.pipeline import load_issue
    from digest.render import render_issue

    issue, items = load_issue(store, number)
    template = message_template(render_issue(issue, items, settings), settings)
    connection = OutboxTransport(folder).connect()
    secret = _secret(settings)
    people = store.list_subscribers(SubscriberStatus.ACTIVE)
    for person in people:
        reader = recipient(
            settings, secret, number, person.id, person.email, person.name, nonce=person.token_nonce
        )
        message = build_message(template, reader, datetime.now(UTC))
        connection.send(
            _envelope_of(settings), person.email, message, f"{number:04d}-{person.id:08d}"
        )
    return len(people)


def _envelope_of(settings: Settings) -> str:
    return sender_address(settings.mail.sender)
