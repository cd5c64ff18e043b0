"""Sending against a real SMTP server (aiosmtpd on loopback) and a real store (SQLite and
PostgreSQL): exactly once, headers, unsubscribe links, 4xx / 5xx / dropped connection /
server down, the dry run and the rate limiter."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digest.config import load_settings
from digest.errors import DigestError
from digest.ingest.documents import ingest_documents
from digest.mail.identity import read_unsubscribe_token
from digest.mail.send import RateLimiter, preview_messages, send_issue
from digest.mail.transport import SmtpTransport
from digest.models import DeliveryStatus, IssueStatus, SubscriberStatus
from digest.pipeline import run_build
from digest.settings import Settings
from digest.store import Store

from .conftest import DOCUMENTS, REPO
from .smtpserver import SmtpServer

SECRET = "test-secret"


def settings_for(server_url: str, tmp_path: Path, **mail: object) -> Settings:
    env = {"DIGEST_SMTP_URL": server_url, "DIGEST_SECRET_KEY": SECRET}
    base = load_settings(REPO / "feeds.yaml", env=env)
    options = {"outbox_dir": tmp_path / "outbox", "retry_base_seconds": 60.0, **mail}
    return replace(base, mail=replace(base.mail, **options))  # type: ignore[arg-type]


def issue_with_readers(
    store: Store, settings: Settings, now: datetime
) -> tuple[int, dict[str, int]]:
    ingest_documents(
        store,
        [DOCUMENTS / "004_c8bb9166e346ef4b.txt", DOCUMENTS / "003_186302cdc7413e06.txt"],
        now - timedelta(hours=1),
    )
    issue = run_build(store, settings, now).issue
    assert issue is not None
    ids = {}
    for address, status in [
        ("ada@example.org", SubscriberStatus.ACTIVE),
        ("bob@example.org", SubscriberStatus.ACTIVE),
        ("chloe@example.org", SubscriberStatus.ACTIVE),
        ("pending@example.org", SubscriberStatus.PENDING),
        ("gone@example.org", SubscriberStatus.ACTIVE),
    ]:
        ids[address] = store.add_subscribers([(address, address[:3].title())], status, now)[0].id
    store.set_subscriber_status(ids["gone@example.org"], SubscriberStatus.UNSUBSCRIBED, now)
    return issue.number, ids


def send(store: Store, settings: Settings, number: int, now: datetime, connections: int = 2):  # type: ignore[no-untyped-def]
    return send_issue(
        store,
        settings,
        number,
        SmtpTransport(settings.mail.smtp),
        clock=lambda: now,
        connections=connections,
    )


def test_each_active_subscriber_gets_exactly_one_message(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    report = send(store, settings, number, now)
    assert report.sent == 3 and report.complete and not report.failed
    got = {r.recipient for r in smtp_server.handler.received}
    assert got == {"ada@example.org", "bob@example.org", "chloe@example.org"}
    assert len(smtp_server.handler.received) == 3  # pending and unsubscribed got nothing
    message_ids = set()
    for received in smtp_server.handler.received:
        message = received.message
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        assert (
            message["From"] == settings.mail.sender
            and message["To"].addresses[0].addr_spec == received.recipient
        )
        assert str(message["Subject"]).startswith("Le Fil IA n°1 — ")
        assert message["Date"] and message["List-Id"].endswith("<le-fil-ia.example.org>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
        assert https.startswith(f"{settings.newsletter.base_url}/u/") and mailto.startswith(
            "mailto:"
        )
        token = https.rsplit("/", 1)[1]
        claim = read_unsubscribe_token(SECRET, token)
        assert claim is not None and claim.subscriber_id == ids[received.recipient]
        assert https in message.get_body(("html",)).get_content()
        assert https in message.get_body(("plain",)).get_content()
        message_ids.add(message["Message-ID"])
    assert len(message_ids) == 3
    assert store.get_issue(number).status is IssueStatus.SENT
    again = send(store, settings, number, now)  # a re-run sends nothing more
    assert again.sent == 0 and len(smtp_server.handler.received) == 3


def test_a_draft_is_refused_unless_auto_approved(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path, auto_approve=False)
    number, _ = issue_with_readers(store, settings, now)
    with pytest.raises(DigestError, match="draft, not approved"):
        send(store, settings, number, now)
    assert smtp_server.handler.received == []
    store.approve_issue(number, now)
    assert send(store, settings, number, now).sent == 3


def test_4xx_is_retried_later_and_5xx_fails_and_bounces(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    smtp_server.handler.rcpt_answers = {
        "bob@example.org": "451 4.7.1 Greylisted, try again later",
        "chloe@example.org": "550 5.1.1 No such user here",
    }
    first = send(store, settings, number, now)
    assert first.sent == 1 and first.waiting == 1 and first.bounced == 1
    assert [email for email, _ in first.failed] == ["chloe@example.org"]
    assert "550 5.1.1 No such user" in first.failed[0][1]
    assert store.get_subscriber(ids["chloe@example.org"]).status is SubscriberStatus.BOUNCED
    rows = {d.email: d for d in store.deliveries(number)}
    assert rows["bob@example.org"].status is DeliveryStatus.RETRY
    assert store.get_issue(number).status is IssueStatus.SENDING  # not done: bob waits
    too_soon = send(store, settings, number, now + timedelta(seconds=30))
    assert too_soon.sent == 0  # the retry is not due yet
    smtp_server.handler.rcpt_answers.pop("bob@example.org")
    later = send(store, settings, number, now + timedelta(minutes=2))
    assert later.sent == 1 and [r.recipient for r in smtp_server.handler.to("bob@example.org")]
    assert len(smtp_server.handler.received) == 2  # ada and bob, once each
    assert store.get_issue(number).status is IssueStatus.SENT


def test_a_dropped_connection_is_reopened_and_nobody_is_lost(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    smtp_server.handler.drop_once = {"bob@example.org"}
    report = send(store, settings, number, now, connections=1)
    assert report.sent == 3 and report.complete
    assert sorted(r.recipient for r in smtp_server.handler.received) == [
        "ada@example.org",
        "bob@example.org",
        "chloe@example.org",
    ]


def test_server_down_stops_cleanly_and_a_rerun_resumes(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    server = SmtpServer()  # its port, not listening yet
    settings = settings_for(server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    report = send(store, settings, number, now)
    assert report.sent == 0 and report.stopped and "cannot connect" in report.stopped
    statuses = {d.status for d in store.deliveries(number)}
    assert statuses == {DeliveryStatus.PENDING}  # claimed rows were handed back
    server.start()
    try:
        again = send(store, settings, number, now)
    finally:
        server.stop()
    assert again.sent == 3 and len(server.handler.received) == 3


def test_dry_run_writes_every_message_and_leaves_the_ledger(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    settings = settings_for("smtp://127.0.0.1:9?tls=none", tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    folder = tmp_path / "dry"
    assert preview_messages(store, settings, number, folder) == 3
    assert len(list(folder.glob("*.eml"))) == 3
    assert store.deliveries(number) == [] and store.get_issue(number).status is IssueStatus.DRAFT


def test_rate_limiter_spaces_messages_and_enforces_the_window() -> None:
    clock = [100.0]
    limiter = RateLimiter(per_second=0, window=3, window_seconds=60, clock=lambda: clock[0])
    assert [limiter.acquire() for _ in range(4)] == [True, True, True, False]
    clock[0] += 61  # the window moved on
    assert limiter.acquire()
    spaced = RateLimiter(per_second=1000, window=0, window_seconds=1)
    assert spaced.interval == pytest.approx(0.001)


def test_lines_starting_with_a_period_arrive_intact(smtp_server: SmtpServer) -> None:
    # QP leaves a leading "." alone, and the issue's <style> has lines like ".entry {":
    # the transport must dot-stuff them (RFC 5321 §4.5.2) and the server un-stuff them.
    message = (
        b".first line is a period\r\nSubject: dots\r\n\r\n.entry { color: red }\r\n"
        b"..two\r\n.\r\nend without newline"
    )
    settings = settings_for(smtp_server.url, Path("unused"))
    connection = SmtpTransport(settings.mail.smtp).connect()
    try:
        connection.send("lettre@example.org", "ada@example.org", message, "key")
    finally:
        connection.close()
    (received,) = smtp_server.handler.received
    assert received.data == message + b"\r\n"  # only the final line end is added


def test_more_connections_than_the_database_pool_holds(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # Each connection's worker keeps a database connection for its marks: 20 of them are
    # more than SQLAlchemy's default pool (5 + 10 overflow) would hand out.
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    report = send(store, settings, number, now, connections=20)
    assert report.sent == 3 and report.complete and report.stopped is None


@pytest.mark.parametrize("smtputf8", [False, True])
def test_an_internationalised_address_needs_smtputf8(
    store: Store, now: datetime, tmp_path: Path, smtputf8: bool
) -> None:
    server = SmtpServer(smtputf8=smtputf8).start()
    try:
        settings = settings_for(server.url, tmp_path)
        number, _ = issue_with_readers(store, settings, now)
        store.add_subscribers([("josé@exemple.fr", "José")], SubscriberStatus.ACTIVE, now)
        report = send(store, settings, number, now)
    finally:
        server.stop()
    got = {r.recipient for r in server.handler.received}
    assert report.stopped is None  # the others are mailed either way
    assert {"ada@example.org", "bob@example.org", "chloe@example.org"} <= got
    if smtputf8:
        assert "josé@exemple.fr" in got and report.sent == 4 and not report.failed
        (received,) = server.handler.to("josé@exemple.fr")
        # RFC 6532: the header is UTF-8 (BytesParser would read it as ASCII).
        message = email.message_from_string(received.data.decode(), policy=email.policy.default)
        assert message["To"].addresses[0].addr_spec == "josé@exemple.fr"
    else:
        assert "josé@exemple.fr" not in got and report.sent == 3
        assert [(email, "SMTPUTF8" in why) for email, why in report.failed] == [
            ("josé@exemple.fr", True)
        ]
