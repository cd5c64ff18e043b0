"""Use case: send one issue to one address as a test (`digest send N --test ADDRESS`, the
preview's "send me a test" form). The issue is rendered exactly as the send renders it,
for that address as a sample reader, with « [TEST] » before the subject, and goes
through the configured transport (the outbox when offline). It stays outside the delivery
ledger: no delivery row, and the issue's status never changes, so a draft can be tested
before it is approved. Test sends are rate-limited in the database, so the command line
and the preview share one limit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from digest.errors import DigestError, SendError, TestSendLimited, UsageError
from digest.mail.identity import message_template, recipient, sender_address
from digest.mail.send import signing_secret
from digest.mail.subscribers import normalise_address
from digest.mail.transport import (
    ConnectionLost,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    configured_transport,
    outbox_folder,
)
from digest.mail.worker import finished_message
from digest.models import IssueStatus
from digest.render import render_issue
from digest.settings import Settings
from digest.store import Store

log = logging.getLogger(__name__)

TEST_PREFIX = "[TEST] "
# An editor checks a draft a few times before approving it; more than this in a few
# minutes is a loop or a form someone keeps posting, and each one is a real message.
TEST_SENDS_PER_WINDOW = 5
TEST_SEND_WINDOW = timedelta(minutes=10)
SAMPLE_NONCE = "sample"  # with subscriber id 0 (no one's): the test's unsubscribe link is inert


@dataclass(frozen=True, slots=True)
class TestSendResult:
    __test__ = False  # not a pytest test class, whatever its name

    number: int
    status: IssueStatus  # the issue's, unchanged by the test
    address: str  # normalised
    subject: str  # as sent, with the prefix
    transport: str  # "smtp" or "outbox"
    destination: str  # the SMTP server (host:port) or the outbox folder
    message_id: str
    left: int  # test sends still allowed in the current window


def send_test(
    store: Store, settings: Settings, number: int, address: str, now: datetime
) -> TestSendResult:
    """Send issue `number` (any status) to `address` as a test, outside the ledger.
    UsageError for a bad address, TestSendLimited over the limit, SendError when the
    server refuses the message."""
    email = valid_test_address(address)
    issue, items = store.load_issue(number)
    if not sender_address(settings.mail.sender):
        raise DigestError("mail.from is not set", hint="set mail.from: Lettre <lettre@example.org>")
    secret = signing_secret(settings)
    rendered = render_issue(issue, items, settings)
    rendered = replace(rendered, subject=TEST_PREFIX + rendered.subject)
    slot, left = _reserve_slot(store, settings, number, email, now)
    reader = recipient(settings, secret, number, 0, email, None, f"test{slot}", nonce=SAMPLE_NONCE)
    message = finished_message(settings, message_template(rendered, settings), reader, now)
    folder = outbox_folder(settings, number) / "test"
    transport = configured_transport(settings, folder)
    _deliver(transport, settings, email, message, f"test-{slot:08d}")
    smtp = settings.mail.smtp
    log.info("issue %d: test send to %s via %s", number, email, transport.name)
    return TestSendResult(
        number=number,
        status=issue.status,
        address=email,
        subject=rendered.subject,
        transport=transport.name,
        destination=f"{smtp.host}:{smtp.port}" if transport.name == "smtp" else str(folder),
        message_id=reader.message_id,
        left=left,
    )


def valid_test_address(address: str) -> str:
    """The address normalised, or UsageError saying what is wrong with it."""
    try:
        return normalise_address(address)
    except ValueError as exc:
        raise UsageError(
            f"not an email address: {address[:100]!r} ({exc})",
            hint="give one address, e.g. redaction@example.org",
        ) from exc


def _reserve_slot(
    store: Store, settings: Settings, number: int, email: str, now: datetime
) -> tuple[int, int]:
    """A place in the rate limit and how many are left after it, recorded before anything
    is sent: an attempt the server refuses counts too, so a broken set-up cannot be
    hammered."""
    taken = store.reserve_test_send(
        number, email, now, limit=TEST_SENDS_PER_WINDOW, window=TEST_SEND_WINDOW
    )
    if taken.slot is not None:
        return taken.slot, TEST_SENDS_PER_WINDOW - len(taken.recent) - 1
    retry_at = taken.recent[-TEST_SENDS_PER_WINDOW] + TEST_SEND_WINDOW
    local = retry_at.astimezone(ZoneInfo(settings.timezone))
    wait = max(1, round((retry_at - now).total_seconds() / 60))
    raise TestSendLimited(
        f"{len(taken.recent)} test sends in the last "
        f"{TEST_SEND_WINDOW.seconds // 60} minutes: at most {TEST_SENDS_PER_WINDOW} "
        "(the limit is shared by digest send --test and the preview)",
        retry_at,
        hint=f"try again after {local:%H:%M} ({settings.timezone}), in about {wait} min",
    )


def _deliver(
    transport: Transport, settings: Settings, email: str, message: bytes, key: str
) -> None:
    """Send the one message, or SendError with the server's answer."""
    connection = transport.connect()  # ServerUnavailable (a SendError) when it cannot
    try:
        connection.send(sender_address(settings.mail.sender), email, message, key)
    except (TemporaryFailure, PermanentFailure, ConnectionLost) as exc:
        raise SendError(
            f"the test message to {email} was not accepted: {exc}",
            hint="a 4xx answer may pass if you try again later; a 5xx is the server's "
            "refusal (check mail.from and the server's logs)",
        ) from exc
    finally:
        connection.close()
