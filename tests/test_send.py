"""Sending against a real SMTP server (aiosmtpd on loopback) and a real store (SQLite and
PostgreSQL): exactly once, headers, unsubscribe links, 4xx / 5xx / dropped connection /
server down, the dry run and the rate limiter."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digest.app.build import run_build
from digest.app.send import preview_messages, send_issue
from digest.config import load_settings
from digest.errors import DigestError
from digest.ingest.documents import ingest_documents
from digest.mail.identity import read_unsubscribe_token
from digest.mail.transport import SmtpTransport
from digest.mail.worker import RateLimiter
from digest.models import DeliveryStatus, IssueStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store

from .conftest import DOCUMENTS, REPLAYS, REPO, build_key
from .smtpserver import SmtpServer

SECRET = "test-secret-of-16-chars"


def settings_for(server_url: str, tmp_path: Path, **mail: object) -> Settings:
    env = {"DIGEST_SMTP_URL": server_url, "DIGEST_SECRET_KEY": SECRET}
    base = load_settings(REPO / "feeds.yaml", env=env)
    options = {"outbox_dir": tmp_path / "outbox", "retry_base_seconds": 60.0, **mail}
    return replace(base, mail=replace(base.mail, **options))  # type: ignore[arg-type]


def issue_with_readers(
    store: Store, settings: Settings, now: datetime, *, approve: bool = True
) -> tuple[int, dict[str, int]]:
    """An issue built from two documents, approved unless `approve` is False (the shipped
    configuration does not auto-approve drafts), and five readers (three active). The
    build is the costly part: after the first, its rows are written back (REPLAYS)."""
    key = build_key(settings, now, TWO_DOCUMENTS)
    number = REPLAYS.run(store, key, lambda: build(store, settings, now))
    if approve:
        store.approve_issue(number, now)
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
    return number, ids


TWO_DOCUMENTS = [DOCUMENTS / "004_c8bb9166e346ef4b.txt", DOCUMENTS / "003_186302cdc7413e06.txt"]


def build(store: Store, settings: Settings, now: datetime) -> int:
    ingest_documents(store, TWO_DOCUMENTS, now - timedelta(hours=1))
    issue = run_build(store, settings, now).issue
    assert issue is not None
    return issue.number


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
        assert str(message["Subject"]).startswith("Le Fil IA n°\u202f1 — ")
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
    number, _ = issue_with_readers(store, settings, now, approve=False)
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
    chloe = store.get_subscriber(ids["chloe@example.org"])
    assert chloe.status is SubscriberStatus.BOUNCED
    assert chloe.status_reason and chloe.status_reason.startswith("hard bounce on issue")
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
    number, _ = issue_with_readers(store, settings, now, approve=False)
    folder = tmp_path / "dry"
    dry = preview_messages(store, settings, number, folder)
    assert dry.written == 3 and dry.failed == []
    assert len(list(folder.glob("*.eml"))) == 3
    assert store.deliveries(number) == [] and store.get_issue(number).status is IssueStatus.DRAFT


def test_dry_run_writes_the_others_when_one_message_cannot_be_built(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    # The issue's repro (an ASCII name with a non-ASCII address broke formataddr) made the
    # dry run raise, so nobody's message was written.
    settings = settings_for("smtp://127.0.0.1:9?tls=none", tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    store.add_subscribers([("josé@exemple.fr", "Jo")], SubscriberStatus.ACTIVE, now)
    folder = tmp_path / "dry"
    dry = preview_messages(store, settings, number, folder)
    assert dry.written + len(dry.failed) == 4
    assert len(list(folder.glob("*.eml"))) == dry.written >= 3
    assert all(email == "josé@exemple.fr" and why for email, why in dry.failed)


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


# -- issue 10, item 1: whoever is no longer active when their row is claimed gets nothing --


def test_unsubscribed_after_the_ledger_was_made_gets_nothing(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    store.open_deliveries(number, now)  # the ledger holds bob...
    # ...then bob clicks the one-click link (the web endpoint calls exactly this).
    store.set_subscriber_status(ids["bob@example.org"], SubscriberStatus.UNSUBSCRIBED, now)
    report = send(store, settings, number, now)
    assert smtp_server.handler.to("bob@example.org") == []
    assert report.sent == 2 and report.complete and not report.failed
    assert report.skipped == [("bob@example.org", "unsubscribed at claim time")]
    rows = {d.email: d for d in store.deliveries(number)}
    assert rows["bob@example.org"].status is DeliveryStatus.SKIPPED
    assert rows["bob@example.org"].last_error == "unsubscribed at claim time"
    assert store.delivery_counts(number) == {DeliveryStatus.SENT: 2, DeliveryStatus.SKIPPED: 1}
    assert store.get_issue(number).status is IssueStatus.SENT  # a skipped row is done


def test_unsubscribed_between_a_failed_run_and_its_resume_gets_nothing(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    smtp_server.handler.rcpt_answers = {"chloe@example.org": "451 4.7.1 Greylisted"}
    first = send(store, settings, number, now)
    assert first.sent == 2 and first.waiting == 1
    smtp_server.handler.rcpt_answers.clear()
    store.set_subscriber_status(ids["chloe@example.org"], SubscriberStatus.UNSUBSCRIBED, now)
    resumed = send(store, settings, number, now + timedelta(minutes=5))
    assert resumed.sent == 0 and resumed.skipped == [
        ("chloe@example.org", "unsubscribed at claim time")
    ]
    assert smtp_server.handler.to("chloe@example.org") == []
    assert store.get_issue(number).status is IssueStatus.SENT


def test_a_reader_who_came_after_the_send_started_never_gets_the_old_issue(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """The audience is fixed when the send starts: neither the resume of an unfinished send
    nor an operator's second `digest send` of a sent issue reaches a newer reader."""
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    smtp_server.handler.rcpt_answers = {"chloe@example.org": "451 4.7.1 Greylisted"}
    first = send(store, settings, number, now)
    assert first.sent == 2 and first.waiting == 1
    assert store.get_issue(number).status is IssueStatus.SENDING
    # Between the two runs: a pending reader confirms, a new one is added active.
    store.set_subscriber_status(ids["pending@example.org"], SubscriberStatus.ACTIVE, now)
    store.add_subscribers([("late@example.org", "Late")], SubscriberStatus.ACTIVE, now)
    smtp_server.handler.rcpt_answers.clear()
    resumed = send(store, settings, number, now + timedelta(minutes=5))
    assert resumed.sent == 1 and resumed.total == 3
    assert store.get_issue(number).status is IssueStatus.SENT
    again = send(store, settings, number, now + timedelta(hours=1))
    assert again.sent == 0 and again.total == 3
    for late in ("pending@example.org", "late@example.org"):
        assert smtp_server.handler.to(late) == []
    assert sorted(d.email for d in store.deliveries(number)) == [
        "ada@example.org",
        "bob@example.org",
        "chloe@example.org",
    ]


def test_the_summary_and_status_show_the_skipped(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    from click.testing import CliRunner

    from digest.cli import main

    config = tmp_path / "feeds.yaml"
    config.write_text(
        "newsletter: {title: Test, base_url: 'https://lettre.example.org'}\n"
        "mail: {from: 'Test <t@example.org>', auto_approve: true}\n",
        encoding="utf-8",
    )
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    store.open_deliveries(number, now)
    store.set_subscriber_status(ids["ada@example.org"], SubscriberStatus.UNSUBSCRIBED, now)
    env = {
        "DIGEST_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "DIGEST_SMTP_URL": smtp_server.url,
        "DIGEST_SECRET_KEY": SECRET,
    }
    runner = CliRunner()
    sent = runner.invoke(main, ["--config", str(config), "send", str(number)], env=env)
    assert sent.exit_code == 0, sent.output
    assert "2 sent" in sent.stdout and "1 skipped" in sent.stdout
    assert "skipped: ada@example.org: unsubscribed at claim time" in sent.stdout
    status = runner.invoke(main, ["--config", str(config), "status"], env=env)
    assert "1 skipped" in status.stdout and "2 sent" in status.stdout


# -- item 2: whatever goes wrong with one recipient's message fails that recipient alone --


@pytest.mark.parametrize("server", ["outbox", "smtp", "smtputf8"])
def test_an_address_that_breaks_formatting_fails_alone(
    store: Store, now: datetime, tmp_path: Path, server: str
) -> None:
    # The issue's exact repro: `subscribers add 'josé@exemple.fr' --name Jo` (an ASCII
    # name with a non-ASCII address raised UnicodeEncodeError in formataddr), then `send`.
    from click.testing import CliRunner

    from digest.cli import main

    smtp = SmtpServer(smtputf8=server == "smtputf8").start()
    try:
        config = tmp_path / "feeds.yaml"
        config.write_text(
            "newsletter: {title: Test, base_url: 'https://lettre.example.org'}\n"
            "mail: {from: 'Test <t@example.org>', auto_approve: true, outbox_dir: out}\n",
            encoding="utf-8",
        )
        settings = settings_for(smtp.url, tmp_path)
        number, _ = issue_with_readers(store, settings, now)
        env = {
            "DIGEST_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
            "DIGEST_SECRET_KEY": SECRET,
            **({} if server == "outbox" else {"DIGEST_SMTP_URL": smtp.url}),
        }
        runner = CliRunner()
        add = ["--config", str(config), "subscribers", "add", "josé@exemple.fr", "--name", "Jo"]
        assert runner.invoke(main, add, env=env).exit_code == 0
        result = runner.invoke(main, ["--config", str(config), "send", str(number)], env=env)
        again = runner.invoke(main, ["--config", str(config), "send", str(number)], env=env)
    finally:
        smtp.stop()
    assert result.exit_code == 0 and again.exit_code == 0, result.output
    assert "internal error" not in result.output + again.output
    if server == "outbox":
        got = {
            # An SMTPUTF8 message (RFC 6532) is UTF-8 text: parsed from bytes, its
            # non-ASCII address would come back as surrogate escapes.
            email.message_from_string(p.read_text(encoding="utf-8"), policy=email.policy.default)[
                "To"
            ]
            .addresses[0]
            .addr_spec
            for p in (tmp_path / "out" / f"issue-{number}").glob("*.eml")
        }
    else:
        got = {r.recipient for r in smtp.handler.received}
    assert {"ada@example.org", "bob@example.org", "chloe@example.org"} <= got
    assert store.get_issue(number).status is IssueStatus.SENT  # not stuck in `sending`
    (jose,) = [d for d in store.deliveries(number) if d.email == "josé@exemple.fr"]
    if "josé@exemple.fr" in got:
        assert jose.status is DeliveryStatus.SENT
    else:  # failed alone, with the reason in the ledger and the summary
        assert jose.status is DeliveryStatus.FAILED and jose.last_error
        assert "josé@exemple.fr" in result.stdout and "1 failed" in result.stdout


def test_an_unreadable_answer_for_one_recipient_fails_that_recipient_alone(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # A reply line longer than smtplib reads (8 KiB) raises SMTPResponseException, which
    # no transport outcome covered: it stopped the run with "internal error".
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    smtp_server.handler.rcpt_answers = {"bob@example.org": "550 " + "x" * 9000}
    report = send(store, settings, number, now, connections=1)
    assert report.stopped is None and report.sent == 2
    assert {r.recipient for r in smtp_server.handler.received} == {
        "ada@example.org",
        "chloe@example.org",
    }
    assert [email for email, _ in report.failed] == ["bob@example.org"]
    rows = {d.email: d for d in store.deliveries(number)}
    assert rows["bob@example.org"].status is DeliveryStatus.FAILED
    assert "Line too long" in (rows["bob@example.org"].last_error or "")
    assert store.get_issue(number).status is IssueStatus.SENT


# -- item 3: only a permanent failure of the address is a bounce -----------------------


def readers(store: Store, now: datetime, count: int) -> list[str]:
    people = [(f"reader{i:02d}@example.org", None) for i in range(count)]
    store.add_subscribers(people, SubscriberStatus.ACTIVE, now)
    return [address for address, _ in people]


@pytest.mark.parametrize(
    ("stage", "answer", "stop"),
    [
        ("data", "550 Message content rejected", "the server rejects the content: "),
        ("mail", "553 5.7.1 Sender address rejected", "the server refuses the sender: "),
        ("rcpt", "550 " + "x" * 9000, "every message fails the same way: "),
    ],
)
def test_the_same_refusal_in_a_row_stops_the_run_and_marks_nobody(
    store: Store,
    now: datetime,
    tmp_path: Path,
    smtp_server: SmtpServer,
    stage: str,
    answer: str,
    stop: str,
) -> None:
    # Issue 10: "550 Message content rejected" at DATA once marked all 10 subscribers
    # bounced. Not a bounce, and 5 in a row are the server's verdict on the issue.
    settings = settings_for(smtp_server.url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    for address in ("ada", "bob", "chloe"):
        store.remove_subscriber(f"{address}@example.org", now)
    people = readers(store, now, 10)
    handler = smtp_server.handler
    if stage == "data":
        handler.data_answer = answer
    elif stage == "mail":
        handler.mail_answer = answer
    else:  # an answer smtplib cannot read (a line over 8 KiB), for everyone
        handler.rcpt_answers = dict.fromkeys(people, answer)
    report = send(store, settings, number, now)
    assert report.stopped and report.stopped.startswith(stop), report.stopped
    assert answer[:40] in report.stopped or "Line too long" in report.stopped
    assert report.hint and f"digest send {number}" in report.hint
    assert report.bounced == 0 and not report.failed and report.sent == 0
    assert not store.list_subscribers(SubscriberStatus.BOUNCED)
    assert len(store.list_subscribers(SubscriberStatus.ACTIVE)) == 10
    assert {(d.status, d.attempts) for d in store.deliveries(number)} == {
        (DeliveryStatus.PENDING, 0)
    }
    handler.data_answer = handler.mail_answer = None  # fixed: the re-run sends to everyone
    handler.rcpt_answers = {}
    again = send(store, settings, number, now)
    assert again.sent == 10 and again.complete
    assert sorted(r.recipient for r in handler.received) == people


def test_one_rejected_message_fails_alone_and_a_data_time_5_1_x_is_a_bounce(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    smtp_server.handler.data_answers = {
        "bob@example.org": "554 5.7.1 Message content rejected",
        "chloe@example.org": "550 5.1.1 Mailbox unknown",
    }
    report = send(store, settings, number, now, connections=1)
    assert report.stopped is None and report.sent == 1 and report.bounced == 1
    assert sorted(email for email, _ in report.failed) == ["bob@example.org", "chloe@example.org"]
    assert store.get_subscriber(ids["bob@example.org"]).status is SubscriberStatus.ACTIVE
    assert store.get_subscriber(ids["chloe@example.org"]).status is SubscriberStatus.BOUNCED
    assert store.get_issue(number).status is IssueStatus.SENT


def test_a_policy_refusal_without_5_1_x_is_not_a_bounce(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    smtp_server.handler.rcpt_answers = {"bob@example.org": "550 Relaying denied"}
    report = send(store, settings, number, now, connections=1)
    assert report.bounced == 0 and [email for email, _ in report.failed] == ["bob@example.org"]
    assert store.get_subscriber(ids["bob@example.org"]).status is SubscriberStatus.ACTIVE


# -- item 13 (SMTP): a sentence, not a traceback --------------------------------------


def test_a_login_the_server_does_not_offer_is_a_clear_error(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    # aiosmtpd offers AUTH only over TLS, as most servers do: a plain connection has none.
    url = f"smtp://lettre:secret@127.0.0.1:{smtp_server.port}?tls=none"
    settings = settings_for(url, tmp_path)
    number, _ = issue_with_readers(store, settings, now)
    with _no_thread_traceback():
        report = send(store, settings, number, now)
    where = f"127.0.0.1:{smtp_server.port}"
    assert report.stopped == f"{where} does not offer SMTP login (AUTH), but a username is set"
    assert report.hint and "tls=starttls" in report.hint and "STARTTLS" not in report.stopped
    assert {d.status for d in store.deliveries(number)} == {DeliveryStatus.PENDING}


@pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
def test_a_server_that_keeps_answering_421_is_a_clear_error(
    store: Store, now: datetime, tmp_path: Path, smtp_server: SmtpServer, stage: str
) -> None:
    # Was: each 421 used up a recipient's retry, and the run ended on smtplib's
    # "please run connect() first" (the connection the 421 had closed).
    settings = settings_for(smtp_server.url, tmp_path)
    number, ids = issue_with_readers(store, settings, now)
    busy = "421 4.3.2 Too busy, closing connection"
    handler = smtp_server.handler
    if stage == "mail":
        handler.mail_answer = busy
    elif stage == "rcpt":
        handler.rcpt_answers = dict.fromkeys(ids, busy)
    else:
        handler.data_answer = busy
    with _no_thread_traceback():
        report = send(store, settings, number, now, connections=1)
    assert report.stopped == f"the server closed the connection: {busy}"
    assert report.hint and "connect()" not in report.stopped
    # Nobody's row was used up by the server's trouble: all handed back, untried.
    assert {(d.status, d.attempts) for d in store.deliveries(number)} == {
        (DeliveryStatus.PENDING, 0)
    }
    handler.mail_answer = handler.data_answer = None
    handler.rcpt_answers = {}
    assert send(store, settings, number, now).sent == 3


@contextmanager
def _no_thread_traceback() -> Iterator[None]:
    """Fails the test if a send thread died with an exception (a traceback on stderr)."""
    died: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: died.append(args.exc_value)
    try:
        yield
    finally:
        threading.excepthook = previous
    assert died == []
