"""The workers of one send, one per connection, and what they share (the rate limiter,
the report): each claims rows, builds and sends each message, and records each outcome
in the ledger.

Every outcome of one message is classified here: accepted (marked sent), a 4xx (retried
later), a 5xx about the address (failed; a 5.1.x bounces the subscriber), a refusal of
the content or sender, or an exception no outcome covers (that message fails alone). The
last two are held back: STREAK identical ones in a row are the server's or ours, not
these recipients', so the run stops and their rows go back untouched. A dropped
connection or a 421 is reopened and the same recipient tried again.
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
from datetime import datetime, timedelta

from digest.errors import DigestError
from digest.mail.dkim import sign
from digest.mail.identity import recipient
from digest.mail.message import MessageTemplate, Recipient, build_message
from digest.mail.transport import (
    Connection,
    ConnectionLost,
    PermanentFailure,
    TemporaryFailure,
    Transport,
)
from digest.models import Delivery, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.store.claims import DeliveryMarks

log = logging.getLogger(__name__)

# Rows claimed at a time per connection. A claim costs three statements, so small batches
# made claiming a fifth of the send time; unsent claimed rows of a dead worker are taken
# over at once (digest.liveness.gone_holders), so a bigger batch does not add duplicates.
BATCH = 100
LEASE = timedelta(minutes=10)  # a claim older than this is taken over (its worker is gone)
MAX_RECONNECTS = 3  # in a row: then the run stops (the server keeps closing on us)
# The same failure on this many messages in a row is the server's or ours, not these
# recipients': a content filter refusing the issue (issue 10 saw a whole list marked
# bounced), a sender refused, a bug. The run stops and their rows go back untouched.
STREAK = 5


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


@dataclass
class Run:
    """What the workers of one send share: the issue, the transport, the report."""

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

    def halt(self, reason: str, hint: str | None = None) -> None:
        with self.lock:
            if self.report.stopped is None:
                self.report.stopped, self.report.hint = reason, hint
        self.stop.set()


def work(run: Run, dead: list[str]) -> None:
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    worker = _Worker(run)
    try:
        with run.store.delivery_marks() as worker.marks:
            while not run.stop.is_set():
                now = run.clock()
                claim = run.store.claim_deliveries(run.number, token, now, BATCH, now - LEASE, dead)
                worker.note_skipped(claim.skipped)
                if claim.deliveries:
                    worker.send_batch(claim.deliveries)
                elif not claim.skipped:
                    break
            worker.finish()
    except Exception:
        run.halt("internal error")  # the other workers stop too; the traceback follows
        raise
    finally:
        if worker.connection is not None:
            worker.connection.close()


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failure that may be the server's (or ours) rather than this recipient's."""

    error: str  # recorded on the row if it stays a one-off
    key: str  # identical keys in a row are one cause
    stop: str  # why the run stops when STREAK of them come in a row
    hint: str


class _Worker:
    """One connection's share of the run: its SMTP connection and its ledger marks."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.connection: Connection | None = None
        self.marks: DeliveryMarks
        self.reconnects = 0  # in a row, since the last message accepted
        # Failures held back until the next different outcome: STREAK identical ones in
        # a row are not about these recipients, and their rows go back untouched.
        self.held: list[tuple[Delivery, _Failure]] = []

    def send_batch(self, batch: list[Delivery]) -> None:
        run = self.run
        pending = deque(batch)
        while pending and not run.stop.is_set():
            if not run.limiter.acquire():
                run.halt(
                    "the sending window is full (mail.smtp.window_messages): run send again later"
                )
                break
            if not self.deliver(pending[0]):
                continue  # reconnected, or the run stops: this row is tried again or released
            pending.popleft()
            run.on_progress(1)
        run.store.release([d.id for d in pending])

    def deliver(self, delivery: Delivery) -> bool:
        """Try one recipient: True once its row is settled (or held), False to leave it."""
        run = self.run
        try:
            reader = recipient(
                run.settings,
                run.secret,
                run.number,
                delivery.subscriber_id,
                delivery.email,
                delivery.name,
                nonce=delivery.subscriber_nonce,
            )
            message = _message(run, reader)
        except Exception as exc:  # whatever this one's address or name breaks, fails it alone
            log.warning("issue %d: cannot build %s's message", run.number, delivery.email)
            log.debug("issue %d: building %s's message", run.number, delivery.email, exc_info=True)
            self.hold(delivery, _unexpected(run, "could not build the message", exc))
            return True
        if not self.connected():
            return False
        return self.send(delivery, reader, message)

    def send(self, delivery: Delivery, reader: Recipient, message: bytes) -> bool:
        run = self.run
        assert self.connection is not None
        try:
            self.connection.send(run.envelope, delivery.email, message, _key(delivery))
        except ConnectionLost as exc:
            self.lost(exc)
            return False
        except DigestError as exc:  # the transport's own diagnosis: not about this recipient
            run.halt(exc.message, exc.hint)
            return False
        except TemporaryFailure as exc:
            self.settle()
            self.record_temporary(delivery, str(exc))
        except PermanentFailure as exc:
            self.record_permanent(delivery, exc)
        except Exception as exc:  # anything else one message raised fails that message alone
            self.connection.close()  # in an unknown state: the next message reconnects
            self.connection = None
            self.hold(delivery, _unexpected(run, "could not send the message", exc))
        else:
            self.settle()
            self.reconnects = 0
            self.marks.sent(delivery.id, reader.message_id, run.clock())
            with run.lock:
                run.report.sent += 1
        return True

    def connected(self) -> bool:
        """A connection to send on; False (the run halted, with why) when none can be had."""
        if self.connection is None:
            try:
                self.connection = self.run.transport.connect()
            except DigestError as exc:  # server down, login not offered…: a sentence, a hint
                self.run.halt(exc.message, exc.hint)
                return False
        return True

    def lost(self, exc: ConnectionLost) -> None:
        run = self.run
        self.connection, self.reconnects = None, self.reconnects + 1
        log.warning("issue %d: connection lost (%s), reconnecting", run.number, exc)
        if self.reconnects > MAX_RECONNECTS:
            run.halt(
                f"the server closed the connection: {exc}",
                hint="the server may be busy or limiting senders: lower mail.smtp.connections "
                f"or mail.smtp.rate_per_second, then run digest send {run.number} again "
                "(it resumes where it stopped)",
            )

    def note_skipped(self, skipped: list[tuple[str, str]]) -> None:
        run = self.run
        for email, reason in skipped:
            log.info("issue %d: %s skipped: %s", run.number, email, reason)
        with run.lock:
            run.report.skipped.extend(skipped)
        if skipped:
            run.on_progress(len(skipped))

    def record_temporary(self, delivery: Delivery, error: str) -> None:
        run = self.run
        attempts = delivery.attempts + 1
        if attempts >= run.settings.mail.max_attempts:
            self.fail(delivery, f"gave up after {attempts} tries: {error}")
            return
        delay = run.settings.mail.retry_base_seconds * 2 ** (attempts - 1)
        self.marks.retry(delivery.id, error, run.clock() + timedelta(seconds=delay))
        log.info(
            "issue %d: %s deferred (%s), retry in %.0f s", run.number, delivery.email, error, delay
        )

    def record_permanent(self, delivery: Delivery, exc: PermanentFailure) -> None:
        # At RCPT, about this address (a bounce if it does not exist); at DATA, a 5.1.x is
        # this recipient's address too. Any other refusal may be the content's or sender's.
        if exc.stage == "rcpt" or exc.hard_bounce:
            self.settle()
            self.fail(delivery, str(exc), bounce=exc.hard_bounce)
        else:
            self.hold(delivery, _refusal(self.run, exc))

    def fail(self, delivery: Delivery, error: str, *, bounce: bool = False) -> None:
        run = self.run
        self.marks.failed(delivery.id, error)
        with run.lock:
            run.report.failed.append((delivery.email, error))
            run.report.bounced += bounce
        if bounce:
            run.store.set_subscriber_status(
                delivery.subscriber_id,
                SubscriberStatus.BOUNCED,
                run.clock(),
                reason=f"hard bounce on issue {run.number}: {error}",
            )
        log.warning("issue %d: %s refused: %s", run.number, delivery.email, error)

    def hold(self, delivery: Delivery, failure: _Failure) -> None:
        """Hold a failure back; STREAK identical ones in a row stop the run, unmarked."""
        if self.held and self.held[-1][1].key != failure.key:
            self.settle()
        self.held.append((delivery, failure))
        if len(self.held) >= STREAK:
            self.release_held()
            self.run.halt(failure.stop, failure.hint)

    def settle(self) -> None:
        """Another outcome came: the held failures were these recipients' own."""
        if not self.held:  # the usual case, once per message sent
            return
        held, self.held = self.held, []
        for delivery, failure in held:
            self.fail(delivery, failure.error)

    def release_held(self) -> None:
        held, self.held = self.held, []
        self.run.store.release([delivery.id for delivery, _ in held])

    def finish(self) -> None:
        """The end of this worker's share: held failures stand, unless the run stopped."""
        if self.run.stop.is_set():
            self.release_held()
        else:
            self.settle()


def _refusal(run: Run, exc: PermanentFailure) -> _Failure:
    """A 5xx at MAIL or DATA that is not about the address: the sender or the content."""
    text = str(exc)
    # Identical but for ids and counters: "550 5.7.1 rejected [queue 4F2A]" is one cause.
    words = " ".join(w for w in text.split()[1:] if not any(c.isdigit() for c in w))
    key = f"{exc.stage} {exc.code} {exc.enhanced} {words}"
    resume = f"nothing was marked: run digest send {run.number} again once it is fixed"
    if exc.stage == "mail":
        return _Failure(
            text,
            key,
            f"the server refuses the sender: {text}",
            f"check mail.from and that this server may send for its domain; {resume}",
        )
    return _Failure(
        text,
        key,
        f"the server rejects the content: {text}",
        "the server (or its spam filter) refuses this issue: check its links and wording "
        f"with the server's administrator; {resume}",
    )


def _unexpected(run: Run, what: str, exc: Exception) -> _Failure:
    """An exception no outcome covers: this message fails, unless every message does."""
    error = f"{what}: {type(exc).__name__}: {exc}"
    cause = exc.errno if isinstance(exc, OSError) and exc.errno else str(exc)
    return _Failure(
        error,
        f"{what} {type(exc).__name__} {cause}",
        f"every message fails the same way: {error}",
        f"nothing was marked; run with --log-level debug for the traceback, and digest send "
        f"{run.number} again once it is fixed",
    )


def _message(run: Run, reader: Recipient) -> bytes:
    return finished_message(run.settings, run.template, reader, run.clock())


def finished_message(
    settings: Settings, template: MessageTemplate, reader: Recipient, date: datetime
) -> bytes:
    """One reader's message as it leaves: built, then DKIM-signed when configured (the
    send loop's and the test send's)."""
    message = build_message(template, reader, date)
    if settings.mail.dkim is not None:
        message = sign(message, settings.mail.dkim)
    return message


def _key(delivery: Delivery) -> str:
    return f"{delivery.issue_number:04d}-{delivery.subscriber_id:08d}"
